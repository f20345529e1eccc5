// DiskAddressStore: host-local's on-disk reservations, byte-compatible with the reference plugin's layout.
import CNISpec
import CNISystem
import Glibc

/// `<dataDir>/<network>/` holds one file per reserved address, named by the address and containing
/// `<containerID>\r\n<ifname>` (legacy files hold only the ID), `last_reserved_ip.<setIndex>` with the
/// last address handed out from each range set, and `lock`, flocked around every operation.
/// New files are 0600 and new directories 0700. The reference host-local reads and writes the same
/// layout, so a node can switch between the two with no lease lost.
public struct DiskAddressStore: AddressStore {
    public static let defaultDataDir = "/var/lib/cni/networks"

    /// The network's directory, `<dataDir>/<network>`.
    public let directory: String

    /// Rejects a network name that would leave `dataDir` (empty, ".", "..", or holding "/" or NUL).
    public init(dataDir: String, network: String) throws(CNIError) {
        if network.isEmpty || network == "." || network == ".." || network.contains("/") || network.contains("\0") {
            throw CNIError.invalidConfig("name", "\"\(network)\"", "would escape the data directory")
        }
        let root = dataDir.count > 1 && dataDir.hasSuffix("/") ? String(dataDir.dropLast()) : dataDir
        directory = root == "/" ? "/\(network)" : "\(root)/\(network)"
    }

    /// Whether the network's directory exists (DEL, CHECK and GC have nothing to do otherwise).
    public var exists: Bool { FileSystem.isDirectory(directory) }

    /// Creates the network's directory and missing parents (0700).
    public func create() throws(CNIError) {
        do { try FileSystem.makeDirectories(directory, mode: 0o700) } catch {
            throw CNIError(error, context: "creating data directory")
        }
    }

    public func withLock<T>(_ body: () throws(CNIError) -> T) throws(CNIError) -> T {
        let lock: FileLock
        do { lock = try FileLock(path: path("lock")) } catch {
            throw CNIError(error, context: "locking \(directory)")
        }
        return try withExtendedLifetime(lock) { () throws(CNIError) -> T in try body() }
    }

    public func reserve(_ ip: IPAddress, containerID: String, ifName: String, rangeSetIndex: Int) throws(CNIError) -> Bool {
        let file = path(ip.description)
        do {
            guard try FileSystem.createExclusive(file, contents: Self.contents(containerID, ifName)) else { return false }
        } catch {
            throw CNIError(error, context: "reserving \(ip)")
        }
        do {
            try FileSystem.write(path(lastReservedName(rangeSetIndex)), contents: Array(ip.description.utf8))
        } catch {
            _ = try? FileSystem.remove(file)
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
        do { return try FileSystem.remove(path(ip.description)) } catch {
            throw CNIError(error, context: "releasing \(ip)")
        }
    }

    /// Reads every file named by an address. A file that vanished or cannot be read is skipped.
    public func reservations() throws(CNIError) -> [Reservation] {
        guard exists else { return [] }
        let names: [String]
        do { names = try FileSystem.list(directory) } catch {
            throw CNIError(error, context: "listing \(directory)")
        }
        var out: [Reservation] = []
        for name in names {
            guard let ip = IPAddress(name), ip.description == name,
                  let bytes = try? FileSystem.read(path(name)) else { continue }
            let owner = Self.parse(bytes)
            out.append(Reservation(ip: ip, containerID: owner.containerID, ifName: owner.ifName))
        }
        return out
    }

    /// The exact bytes of a reservation file: `<containerID>\r\n<ifname>`, no trailing newline.
    public static func contents(_ containerID: String, _ ifName: String) -> [UInt8] {
        Array(containerID.utf8) + [13, 10] + Array(ifName.utf8)
    }

    /// Reads a reservation file: surrounding whitespace is ignored; the first line break separates
    /// the container ID from the interface name; a file with one line is a legacy, ID-only entry.
    public static func parse(_ bytes: [UInt8]) -> (containerID: String, ifName: String?) {
        let text = String(decoding: bytes, as: UTF8.self).trimmingWhitespace()
        let utf8 = Array(text.utf8)
        guard let lf = utf8.firstIndex(of: 10) else { return (text, nil) }
        var idEnd = lf
        if idEnd > 0 && utf8[idEnd - 1] == 13 { idEnd -= 1 }
        return (String(decoding: utf8[..<idEnd], as: UTF8.self), String(decoding: utf8[(lf + 1)...], as: UTF8.self))
    }

    private func lastReservedName(_ index: Int) -> String { "last_reserved_ip.\(index)" }
    private func path(_ name: String) -> String { "\(directory)/\(name)" }
}
