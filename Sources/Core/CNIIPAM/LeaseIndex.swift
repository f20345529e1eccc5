// LeaseIndex: who holds each lease file of a network directory, valid for one stamp of that directory.
import CNISpec

/// The owner recorded in one lease file, exactly as a scan reads it (`DiskAddressStore.parse`).
public struct LeaseOwner: Hashable, Sendable {
    public let containerID: String
    /// nil for a legacy file holding only the container ID.
    public let ifName: String?

    public init(containerID: String, ifName: String?) { self.containerID = containerID; self.ifName = ifName }
}

/// Every lease file of `directory` (named by the canonical address text) and its owner, as they were
/// when the directory had `stamp`. It describes the directory only while the directory still has that
/// stamp (and, where timestamps are coarse, the same lease names: `mismatch`); anything else means a
/// full scan.
public struct LeaseIndex: Equatable, Sendable {
    public let directory: String
    public let stamp: DirectoryStamp
    var table: LeaseTable

    public init(directory: String, stamp: DirectoryStamp, leases: [String: LeaseOwner]) {
        var table = LeaseTable()
        for (name, owner) in leases { table.append(name, owner) }
        self.init(directory: directory, stamp: stamp, table: table)
    }

    init(directory: String, stamp: DirectoryStamp, table: LeaseTable) {
        self.directory = directory; self.stamp = stamp; self.table = table
    }

    /// The leases by file name.
    public var leases: [String: LeaseOwner] { table.owners }

    public static func == (a: LeaseIndex, b: LeaseIndex) -> Bool {
        a.directory == b.directory && a.stamp == b.stamp && a.leases == b.leases
    }

    /// Why an index cannot be used as it is.
    public enum Mismatch: Equatable, Sendable {
        /// It was made for another path, or for another directory (device, inode) at this path.
        case otherDirectory
        /// The directory's mtime or ctime moved: someone created, removed or renamed a name in it.
        case stampChanged
        /// Same stamp, different lease names (a change within one coarse timestamp tick), or the
        /// directory could not be listed.
        case namesDiffer
    }

    /// Whether this index describes `directory`, which now has `stamp`: same path, same directory,
    /// same stamp, and with `compareNames` (see `StampTrust`) exactly the same lease names
    /// (one getdents pass, no lease file opened).
    public func mismatch(directory: String, stamp: DirectoryStamp, compareNames: Bool) -> Mismatch? {
        guard directory == self.directory, stamp.device == self.stamp.device, stamp.inode == self.stamp.inode else {
            return .otherDirectory
        }
        guard stamp == self.stamp else { return .stampChanged }
        return !compareNames || table.matchesNames(in: directory) ? nil : .namesDiffer
    }

    /// Whether a file in a network directory is a lease: named by an address in canonical form
    /// (the form `IPAddress.description` prints and the reference names its files with).
    public static func isLeaseName(_ name: String) -> Bool { IPAddress(name)?.description == name }
}
