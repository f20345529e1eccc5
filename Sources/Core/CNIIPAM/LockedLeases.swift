// LockedLeases: a network directory's leases while its lock is held: from the index when it is valid, else a full scan.
import CNISpec
import CNISystem

/// Made by `DiskAddressStore.withLock` once the flock is held, finished before it is released.
///
/// The first question about the leases loads the stored index and checks it against the directory
/// (a stat, and where timestamps are coarse a getdents pass: see `StampTrust`; no lease file is
/// opened); if it is missing, corrupt or stale, the directory is scanned (every lease file read).
/// Our own creates and removes are then applied to what is known, and `finish` stores it with the
/// directory's stamp taken after them. Whenever the disk contradicts what is known (a create finds
/// the file there, a remove finds it gone) or a change fails half-way, what is known is dropped: the
/// next question scans again, and an index not rebuilt by then is removed, so a doubt is never
/// written down.
final class LockedLeases {
    let directory: String
    private let configuredIndex: LeaseIndexFile?
    /// The index to use: the configured one, unless the directory's file system cannot be trusted.
    private lazy var indexFile: LeaseIndexFile? = configuredIndex.flatMap { trust == .none ? nil : $0 }
    private lazy var trust: StampTrust = StampTrust.of(directory)
    /// The leases as known now; nil until first needed, or after a doubt.
    private var known: LeaseTable?
    /// Set after a doubt: the next question scans for this reason.
    private var mustScan: LeaseLookupLog.ScanReason?
    /// The directory's stamp when this session first looked, to find the stored index to replace.
    private var firstStamp: DirectoryStamp?
    /// Whether `known` is newer than the stored index (a scan, or our own change).
    private var dirty = false
    private(set) var log = LeaseLookupLog()

    init(directory: String, indexFile: LeaseIndexFile?) {
        self.directory = directory; configuredIndex = indexFile
    }

    /// The leases now: from the index if it still describes the directory, else from a scan.
    func leases() throws(CNIError) -> LeaseTable {
        if let known { return known }
        let reason: LeaseLookupLog.ScanReason
        if let mustScan {
            reason = mustScan
        } else {
            switch loadIndex() {
            case .success(let table):
                known = table
                log.indexUses += 1
                return table
            case .failure(let why):
                reason = why.reason
            }
        }
        return try scan(reason)
    }

    /// Scans even when the index is valid (GC, STATUS), and stores the result as the new index.
    func rescan() throws(CNIError) -> LeaseTable { try scan(.requested) }

    /// Call before creating or removing a lease file, so that what is known can follow the change.
    func willChange() {
        do { _ = try leases() } catch { doubt() }
    }

    /// We created lease file `name` holding `owner`.
    func created(_ name: String, owner: LeaseOwner) {
        guard known != nil else { return }
        if known!.insert(name, owner) { dirty = true } else { doubt() }
    }

    /// Creating lease file `name` found it already there.
    func foundTaken(_ name: String) {
        if let known, !known.contains(name) { doubt() }
    }

    /// We removed lease file `name` (`removed`), or found it already gone.
    func removed(_ name: String, removed: Bool) {
        guard known != nil else { return }
        if removed {
            if known!.remove(name) { dirty = true } else { doubt() }
        } else if known!.contains(name) {
            doubt()
        }
    }

    /// A create or remove failed with an error; its effect on disk is unknown.
    func failed() { doubt() }

    /// Stores what is known, stamped with the directory as it is now, if it is newer than the stored
    /// index; removes the stored index after an unresolved doubt. Called with the lock still held.
    func finish() {
        guard known != nil ? dirty : mustScan != nil, let indexFile else { return }
        guard let known else {
            if let stamp = firstStamp ?? DirectoryStamp(of: directory) { indexFile.remove(for: stamp) }
            return
        }
        guard let stamp = DirectoryStamp(of: directory) else {
            if let firstStamp { indexFile.remove(for: firstStamp) }
            return
        }
        if let firstStamp, firstStamp.device != stamp.device || firstStamp.inode != stamp.inode {
            indexFile.remove(for: firstStamp)
        }
        indexFile.write(LeaseIndex(directory: directory, stamp: stamp, table: known))
        log.indexWrites += 1
    }

    /// Reads every lease file of `directory`. A file that vanished or cannot be read is skipped.
    /// Counts the files read into `log`.
    static func scan(_ directory: String, log: inout LeaseLookupLog) throws(CNIError) -> LeaseTable {
        let names: [String]
        do { names = try FileSystem.list(directory) } catch { throw CNIError(error, context: "listing \(directory)") }
        var table = LeaseTable()
        for name in names where LeaseIndex.isLeaseName(name) {
            log.leaseFilesRead += 1
            guard let bytes = try? FileSystem.read("\(directory)/\(name)") else { continue }
            table.append(name, DiskAddressStore.parse(bytes))
        }
        return table
    }

    private func scan(_ reason: LeaseLookupLog.ScanReason) throws(CNIError) -> LeaseTable {
        if firstStamp == nil, indexFile != nil { firstStamp = DirectoryStamp(of: directory) }    // only `finish` needs it
        log.scans.append(reason)
        let table = try Self.scan(directory, log: &log)
        known = table
        mustScan = nil
        dirty = indexFile != nil
        return table
    }

    private func doubt() {
        known = nil
        mustScan = .inconsistent
    }

    private struct Unusable: Error { let reason: LeaseLookupLog.ScanReason }

    /// The stored index, if it describes the directory now.
    private func loadIndex() -> Result<LeaseTable, Unusable> {
        guard configuredIndex != nil else { return .failure(Unusable(reason: .indexDisabled)) }
        guard let indexFile else { return .failure(Unusable(reason: .untrustedFileSystem)) }
        guard let stamp = DirectoryStamp(of: directory) else { return .failure(Unusable(reason: .indexMissing)) }
        firstStamp = stamp
        switch indexFile.read(for: stamp) {
        case .missing: return .failure(Unusable(reason: .indexMissing))
        case .corrupt: return .failure(Unusable(reason: .indexCorrupt))
        case .index(let index):
            let compareNames = trust == .withNames || indexFile.alwaysCompareNames
            if let mismatch = index.mismatch(directory: directory, stamp: stamp, compareNames: compareNames) {
                return .failure(Unusable(reason: .indexStale(mismatch)))
            }
            return .success(index.table)
        }
    }
}
