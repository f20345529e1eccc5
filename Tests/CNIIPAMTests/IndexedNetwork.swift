// IndexedNetwork: a scratch network directory and lease index, driven as separate plugin runs would (LeaseIndexTests' harness).
import CNIIPAM
import CNISpec
import CNISystem
import Glibc
import Testing

/// Each `store()` is a fresh DiskAddressStore, as each plugin run makes one; its `lookups` tell
/// whether that run used the index or scanned, and how many lease files it read.
final class IndexedNetwork {
    let scratch: ScratchDirectory
    let alwaysCompareNames: Bool
    var indexRoot: String { "\(scratch.path)/index" }
    var directory: String { "\(scratch.path)/data/net1" }

    init(alwaysCompareNames: Bool = false) throws {
        scratch = try ScratchDirectory()
        self.alwaysCompareNames = alwaysCompareNames
    }

    func store() throws -> DiskAddressStore {
        let s = try DiskAddressStore(dataDir: "\(scratch.path)/data", network: "net1",
                                     index: LeaseIndexFile(root: indexRoot, alwaysCompareNames: alwaysCompareNames))
        try s.create()
        return s
    }

    /// ADD through the allocator (duplicate check, round-robin) in a fresh store; returns the address and the store.
    @discardableResult
    func add(_ id: String, _ ifName: String = "eth0", requested: String? = nil) throws -> (ip: String, store: DiskAddressStore) {
        let s = try store()
        let ips = try AddressAllocator(rangeSets: [try rangeSet("10.1.2.0/24")], store: s)
            .allocate(containerID: id, ifName: ifName, requested: requested.map { [ip($0)] } ?? [])
        return (ips[0].address.address.description, s)
    }

    /// DEL through the allocator in a fresh store.
    @discardableResult
    func del(_ id: String, _ ifName: String = "eth0") throws -> (released: [String], store: DiskAddressStore) {
        let s = try store()
        let released = try AddressAllocator(rangeSets: [], store: s).release(containerID: id, ifName: ifName)
        return (released.map(\.description), s)
    }

    /// CHECK's lookup in a fresh store.
    func find(_ id: String, _ ifName: String = "eth0") throws -> (held: [String], store: DiskAddressStore) {
        let s = try store()
        let held = try s.withLock { () throws(CNIError) in try s.find(containerID: id, ifName: ifName) }
        return (held.map(\.description), s)
    }

    /// What the reference host-local does for an ADD: a lease file `<id>\r\n<ifname>` (or a legacy
    /// `<id>` file) and last_reserved_ip.0, under the lock.
    func foreignLease(_ address: String, _ id: String, _ ifName: String? = "eth0") throws {
        let lock = try FileLock(path: "\(directory)/lock")
        let content = ifName.map { DiskAddressStore.contents(id, $0) } ?? Array(id.utf8)
        #expect(try FileSystem.createExclusive("\(directory)/\(address)", contents: content))
        try FileSystem.write("\(directory)/last_reserved_ip.0", contents: Array(address.utf8))
        withExtendedLifetime(lock) {}
    }

    func foreignRelease(_ address: String) throws {
        let lock = try FileLock(path: "\(directory)/lock")
        #expect(try FileSystem.remove("\(directory)/\(address)"))
        withExtendedLifetime(lock) {}
    }

    var indexPath: String { LeaseIndexFile(root: indexRoot).path(for: DirectoryStamp(of: directory)!) }

    func storedIndex() throws -> LeaseIndex? { try FileSystem.read(indexPath).flatMap(LeaseIndex.init(decoding:)) }

    /// Rewrites the stored index as if it had been made now: the current stamp, with `leases`. This is
    /// what a foreign change within the same coarse timestamp tick as our stamp would leave behind.
    func restamp(_ leases: [String: LeaseOwner]) throws {
        let index = LeaseIndex(directory: directory, stamp: DirectoryStamp(of: directory)!, leases: leases)
        try FileSystem.write(indexPath, contents: index.encoded())
    }

    func leaseFiles() -> [String] { ((try? FileSystem.list(directory)) ?? []).filter(LeaseIndex.isLeaseName).sorted() }
}
