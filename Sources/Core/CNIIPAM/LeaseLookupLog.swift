// LeaseLookupLog: how a DiskAddressStore learned who holds which lease (index or scan), for tests and diagnostics.

/// Counts kept by one `DiskAddressStore` value (and its copies) over its lifetime.
public struct LeaseLookupLog: Equatable, Sendable {
    /// Why a full scan (every lease file opened and read) was made instead of using the index.
    public enum ScanReason: Equatable, Sendable {
        /// No index directory configured.
        case indexDisabled
        /// The directory's file system is not one where a stamp can be trusted (`StampTrust.none`).
        case untrustedFileSystem
        /// Read without the lock: the index is only read and written under it.
        case unlocked
        case indexMissing
        case indexCorrupt
        /// The index was made for another directory, or the directory's stamp or lease names changed.
        case indexStale(LeaseIndex.Mismatch)
        /// A reserve or release found the disk not as the index said, or failed half-way.
        case inconsistent
        /// GC and STATUS always scan (and refresh the index).
        case requested
    }

    /// Lock sessions that answered from a valid index.
    public var indexUses = 0
    /// Full scans, in order, with their reason.
    public var scans: [ScanReason] = []
    /// Lease files opened and read by those scans.
    public var leaseFilesRead = 0
    /// Index files written.
    public var indexWrites = 0

    public init() {}

    mutating func add(_ other: LeaseLookupLog) {
        indexUses += other.indexUses
        scans += other.scans
        leaseFilesRead += other.leaseFilesRead
        indexWrites += other.indexWrites
    }
}
