// LeaseIndexPruneTests: the first index of a new network directory sweeps the indexes of directories that are gone.
import CNIIPAM
import CNISpec
import CNISystem
import Glibc
import Testing

@Suite struct LeaseIndexPruneTests {
    /// One ADD of `id` on network `name` (which writes its index), in its own fresh store.
    private func add(_ scratch: ScratchDirectory, _ name: String, _ id: String = "c1") throws {
        let store = try DiskAddressStore(dataDir: "\(scratch.path)/data", network: name,
                                         index: LeaseIndexFile(root: "\(scratch.path)/index"))
        try store.create()
        _ = try AddressAllocator(rangeSets: [try rangeSet("10.1.2.0/24")], store: store)
            .allocate(containerID: id, ifName: "eth0", requested: [])
    }

    private func indexes(_ scratch: ScratchDirectory) throws -> Set<String> {
        Set(try FileSystem.list("\(scratch.path)/index").filter { $0.hasSuffix(".index") })
    }

    @Test func indexesOfRemovedOrRecreatedDirectoriesGoLiveOnesStay() throws {
        let scratch = try ScratchDirectory()
        try add(scratch, "gone")
        try add(scratch, "kept")
        try add(scratch, "recreated")
        let before = try indexes(scratch)
        #expect(before.count == 3)

        // The new directories are made before the old ones go, so that neither can reuse a freed inode
        // (and with it the name of a stale index file): "recreated" is renamed into place.
        try FileSystem.makeDirectories("\(scratch.path)/data/new")
        try FileSystem.makeDirectories("\(scratch.path)/data/recreated.next")
        #expect(system("rm -rf '\(scratch.path)/data/gone' '\(scratch.path)/data/recreated'") == 0)
        #expect(rename("\(scratch.path)/data/recreated.next", "\(scratch.path)/data/recreated") == 0)   // same path, another inode
        try add(scratch, "new")

        let after = try indexes(scratch)
        #expect(after.count == 2, "\(after)")
        #expect(after.intersection(before).count == 1, "only the live network's index is left of the old ones")
        // The kept network still answers from its index.
        try add(scratch, "kept", "c2")
        #expect(try indexes(scratch).count == 2)
    }
}
