// DiskAddressStore: host-local's on-disk reservations, byte-compatible with the reference plugin's layout.
import CNISpec
import CNISystem
import Glibc

/// `<dataDir>/<network>/` holds one file per reserved address, named by the address and containing
/// `<containerID>\r\n<ifname>` (legacy files hold only the ID), `last_reserved_ip.<setIndex>` with the
/// last address handed out from each range set, and `lock`, flocked around every operation.
/// New files are 0600 and new directories 0700. The reference host-local reads and writes the same
/// layout, so a node can switch between the two with no lease lost.
///
/// Under the lock, who holds which address comes from a `LeaseIndex` kept outside the directory
/// (`LeaseIndexFile`) while it still describes the directory, so that ADD, DEL and CHECK open a
/// constant number of files however many leases there are; otherwise, and always for GC and STATUS
/// (`scanReservations`), every lease file is read and the index rebuilt (`LockedLeases`).
/// Without the lock every read scans.
public struct DiskAddressStore: AddressStore {
    public static let defaultDataDir = "/var/lib/cni/networks"

    /// The network's directory, `<dataDir>/<network>`.
    public let directory: String
    /// Where the lease index is kept and how it is checked; nil: no index, every locked operation scans.
    public let indexFile: LeaseIndexFile?
    private let sessions = Sessions()

    /// Rejects a network name that would leave `dataDir` (empty, ".", "..", or holding "/" or NUL).
    public init(dataDir: String, network: String, index: LeaseIndexFile? = LeaseIndexFile()) throws(CNIError) {
        if network.isEmpty || network == "." || network == ".." || network.contains("/") || network.contains("\0") {
            throw CNIError.invalidConfig("name", "\"\(network)\"", "would escape the data directory")
        }
        let root = dataDir.count > 1 && dataDir.hasSuffix("/") ? String(dataDir.dropLast()) : dataDir
        directory = root == "/" ? "/\(network)" : "\(root)/\(network)"
        indexFile = index
    }

    /// How this store (and its copies) learned the leases so far: index uses, scans and their reasons.
    public var lookups: LeaseLookupLog { sessions.log }

    /// Whether the network's directory exists (DEL, CHECK and GC have nothing to do otherwise).
    public var exists: Bool { FileSystem.isDirectory(directory) }

    /// Creates the network's directory and missing parents (0700).
    public func create() throws(CNIError) {
        do { try FileSystem.makeDirectories(directory, mode: 0o700) } catch {
            throw CNIError(error, context: "creating data directory")
        }
    }

    public func withLock<T>(_ body: () throws(CNIError) -> T) throws(CNIError) -> T {
        precondition(sessions.current == nil, "DiskAddressStore lock taken twice")
        let lock: FileLock
        do { lock = try FileLock(path: path("lock")) } catch {
            throw CNIError(error, context: "locking \(directory)")
        }
        let session = LockedLeases(directory: directory, indexFile: indexFile)
        sessions.current = session
        return try withExtendedLifetime(lock) { () throws(CNIError) -> T in
            defer {
                session.finish()
                sessions.log.add(session.log)
                sessions.current = nil
            }
            return try body()
        }
    }

    public func reserve(_ ip: IPAddress, containerID: String, ifName: String, rangeSetIndex: Int) throws(CNIError) -> Bool {
        let name = ip.description, file = path(name)
        let contents = Self.contents(containerID, ifName)
        let session = sessions.current
        session?.willChange()
        do {
            guard try FileSystem.createExclusive(file, contents: contents) else {
                session?.foundTaken(name)
                return false
            }
        } catch {
            session?.failed()
            throw CNIError(error, context: "reserving \(ip)")
        }
        session?.created(name, owner: Self.parse(contents))    // what a scan would read back from the file
        do {
            try FileSystem.overwrite(path(lastReservedName(rangeSetIndex)), contents: Array(ip.description.utf8))
        } catch {
            _ = try? FileSystem.remove(file)
            session?.failed()
            throw CNIError(error, context: "recording last reserved address \(ip)")
        }
        return true
    }

    public func lastReserved(rangeSetIndex: Int) throws(CNIError) -> IPAddress? {
        do {
            return try FileSystem.readText(path(lastReservedName(rangeSetIndex))).flatMap { IPAddress($0.trimmingWhitespace()) }
        } catch {
            throw CNIError(error, context: "reading last reserved address")
        }
    }

    @discardableResult
    public func release(_ ip: IPAddress) throws(CNIError) -> Bool {
        let name = ip.description
        let session = sessions.current
        session?.willChange()
        let removed: Bool
        do { removed = try FileSystem.remove(path(name)) } catch {
            session?.failed()
            throw CNIError(error, context: "releasing \(ip)")
        }
        session?.removed(name, removed: removed)
        return removed
    }

    /// Every file named by an address and its owner: from the index under the lock when it is valid,
    /// else read from every file (a file that vanished or cannot be read is skipped).
    public func reservations() throws(CNIError) -> [Reservation] {
        if let session = sessions.current { return try session.leases().reservations() }
        guard exists else { return [] }
        sessions.log.scans.append(.unlocked)
        return try LockedLeases.scan(directory, log: &sessions.log).reservations()
    }

    /// Reads every lease file even when the index is valid, and rebuilds the index from them (GC, STATUS).
    public func scanReservations() throws(CNIError) -> [Reservation] {
        guard let session = sessions.current else { return try reservations() }
        return try session.rescan().reservations()
    }

    /// The attachment's addresses; under the lock only its own entries of the index are decoded.
    public func find(containerID: String, ifName: String) throws(CNIError) -> [IPAddress] {
        guard let session = sessions.current else { return try reservations().held(by: containerID, ifName: ifName) }
        return try session.leases().reservations(of: containerID).held(by: containerID, ifName: ifName)
    }

    /// The exact bytes of a reservation file: `<containerID>\r\n<ifname>`, no trailing newline.
    public static func contents(_ containerID: String, _ ifName: String) -> [UInt8] {
        Array(containerID.utf8) + [13, 10] + Array(ifName.utf8)
    }

    /// Reads a reservation file: surrounding whitespace is ignored; the first line break separates
    /// the container ID from the interface name; a file with one line is a legacy, ID-only entry.
    public static func parse(_ bytes: [UInt8]) -> LeaseOwner {
        let text = String(decoding: bytes, as: UTF8.self).trimmingWhitespace()
        let utf8 = Array(text.utf8)
        guard let lf = utf8.firstIndex(of: 10) else { return LeaseOwner(containerID: text, ifName: nil) }
        var idEnd = lf
        if idEnd > 0 && utf8[idEnd - 1] == 13 { idEnd -= 1 }
        return LeaseOwner(containerID: String(decoding: utf8[..<idEnd], as: UTF8.self),
                          ifName: String(decoding: utf8[(lf + 1)...], as: UTF8.self))
    }

    private func lastReservedName(_ index: Int) -> String { "last_reserved_ip.\(index)" }
    private func path(_ name: String) -> String { "\(directory)/\(name)" }

    /// The lock session in progress, if any, and the log of finished ones; shared by copies of the store.
    private final class Sessions {
        var current: LockedLeases?
        var log = LeaseLookupLog()
    }
}
