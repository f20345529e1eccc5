// LeaseIndexTests: DiskAddressStore answers from its lease index only while nobody else changed the directory, on a real disk.
import CNIIPAM
import CNISpec
import CNISystem
import Glibc
import Testing

@Suite struct LeaseIndexTests {
    /// 20 leases, made one by one: only the very first run scans, and only an empty directory.
    private func twentyLeases(_ n: IndexedNetwork) throws {
        for i in 1...20 { try n.add("c\(i)") }
    }

    @Test func unchangedDirectoryIsAnsweredFromTheIndexWithoutOpeningALeaseFile() throws {
        let n = try IndexedNetwork()
        let first = try n.add("c1").store.lookups
        #expect(first.scans == [.indexMissing])
        #expect(first.leaseFilesRead == 0 && first.indexWrites == 1)
        for i in 2...20 {
            let s = try n.add("c\(i)").store
            #expect(s.lookups.scans.isEmpty && s.lookups.indexUses == 1 && s.lookups.leaseFilesRead == 0, "ADD \(i)")
        }
        let add = try n.add("c21")
        #expect(add.ip == "10.1.2.22")
        #expect(add.store.lookups == { var l = LeaseLookupLog(); l.indexUses = 1; l.indexWrites = 1; return l }())

        let check = try n.find("c7")
        #expect(check.held == ["10.1.2.8"])
        #expect(check.store.lookups.scans.isEmpty && check.store.lookups.indexWrites == 0)

        let del = try n.del("c7")
        #expect(del.released == ["10.1.2.8"])
        #expect(del.store.lookups.scans.isEmpty && del.store.lookups.leaseFilesRead == 0 && del.store.lookups.indexWrites == 1)
        #expect(!n.leaseFiles().contains("10.1.2.8") && n.leaseFiles().count == 20)

        // A repeated ADD of a held attachment is refused from the index too.
        #expect(throws: CNIError.self) { try n.add("c3") }
        #expect(try n.storedIndex()?.leases.count == 20)
    }

    @Test func theIndexLivesOutsideTheLeaseDirectoryWithPrivateModes() throws {
        let n = try IndexedNetwork()
        try n.add("c1")
        #expect(ScratchDirectory.mode(n.indexRoot) == 0o700)
        #expect(ScratchDirectory.mode(n.indexPath) == 0o600)
        let st = DirectoryStamp(of: n.directory)!
        #expect(n.indexPath == "\(n.indexRoot)/\(st.device)-\(st.inode).index")
        #expect(try FileSystem.list(n.directory).sorted() == ["10.1.2.2", "last_reserved_ip.0", "lock"])
        let stored = try #require(try n.storedIndex())
        #expect(stored.directory == n.directory && stored.stamp == st)
        #expect(stored.leases == ["10.1.2.2": LeaseOwner(containerID: "c1", ifName: "eth0")])
    }

    @Test func aForeignAddBetweenOursIsSeenItsDuplicateRefusedAndItsDelReleased() throws {
        let n = try IndexedNetwork()
        try twentyLeases(n)
        try n.foreignLease("10.1.2.22", "r1")
        let ours = try n.add("o1")
        #expect(ours.store.lookups.scans == [.indexStale(.stampChanged)])
        #expect(ours.store.lookups.leaseFilesRead == 21)
        #expect(ours.ip == "10.1.2.23")

        let duplicate = #expect(throws: CNIError.self) { try n.add("r1") }
        #expect(duplicate?.code == .alreadyExists)
        #expect(duplicate?.msg.contains("10.1.2.22 has been allocated to r1") == true)
        let del = try n.del("r1")
        #expect(del.released == ["10.1.2.22"] && del.store.lookups.scans.isEmpty)
        #expect(!n.leaseFiles().contains("10.1.2.22"))
    }

    @Test func aForeignDelBetweenOursIsSeen() throws {
        let n = try IndexedNetwork()
        try twentyLeases(n)
        try n.foreignRelease("10.1.2.5")
        let check = try n.find("c4")
        #expect(check.held.isEmpty)
        #expect(check.store.lookups.scans == [.indexStale(.stampChanged)])
        // The rescan was stored: the next run is back on the index, and c4 may add again.
        let again = try n.add("c4", requested: "10.1.2.5")
        #expect(again.store.lookups.scans.isEmpty && again.ip == "10.1.2.5")
    }

    @Test func aForeignLegacyLeaseIsFoundByContainerIDThroughTheIndex() throws {
        let n = try IndexedNetwork()
        try n.add("c1")
        try n.foreignLease("10.1.2.40", "old", nil)
        #expect(try n.find("old").held == ["10.1.2.40"])
        let later = try n.find("old", "eth9")
        #expect(later.held == ["10.1.2.40"] && later.store.lookups.scans.isEmpty)
        let del = try n.del("old", "eth3")
        #expect(del.released == ["10.1.2.40"] && del.store.lookups.scans.isEmpty)
    }

    /// On coarse timestamps a foreign create or delete in the same tick as our stamp keeps the stamp;
    /// the names comparison catches it.
    @Test func sameStampButDifferentLeaseNamesIsDetectedByComparingNames() throws {
        let n = try IndexedNetwork(alwaysCompareNames: true)
        try twentyLeases(n)
        let before = try #require(try n.storedIndex()).leases
        try n.foreignLease("10.1.2.30", "r1")
        try n.restamp(before)
        let seen = try n.find("r1")
        #expect(seen.held == ["10.1.2.30"] && seen.store.lookups.scans == [.indexStale(.namesDiffer)])
        #expect(try n.find("r1").store.lookups.scans.isEmpty)

        let withR1 = try #require(try n.storedIndex()).leases
        try n.foreignRelease("10.1.2.30")
        try n.restamp(withR1)
        let check = try n.find("r1")
        #expect(check.held.isEmpty && check.store.lookups.scans == [.indexStale(.namesDiffer)])
    }

    /// Where the stamp alone is trusted (multigrain timestamps), a forged same-stamp index is believed
    /// until the disk contradicts it; then the run rescans if it still needs to know, and the bad
    /// index is not kept either way.
    @Test(.enabled(if: StampTrust.of("/tmp") == .stampAlone, "needs multigrain timestamps (Linux >= 6.13, ext4/xfs/btrfs/tmpfs /tmp)"))
    func anIndexContradictedByTheDiskIsDropped() throws {
        let n = try IndexedNetwork()
        try twentyLeases(n)
        var missingOne = try #require(try n.storedIndex()).leases
        missingOne["10.1.2.10"] = nil
        try n.restamp(missingOne)
        // The index says 10.1.2.10 is free; creating it finds the file: not reserved, index dropped.
        #expect(throws: CNIError.self) { try n.add("x", requested: "10.1.2.10") }
        #expect(!FileSystem.exists(n.indexPath))
        let check = try n.find("c9")
        #expect(check.held == ["10.1.2.10"] && check.store.lookups.scans == [.indexMissing])

        var extra = try #require(try n.storedIndex()).leases
        extra["10.1.2.99"] = LeaseOwner(containerID: "ghost", ifName: "eth0")
        try n.restamp(extra)
        // The index says ghost holds 10.1.2.99; removing it finds no file: the index is dropped.
        let del = try n.del("ghost")
        #expect(del.released.isEmpty)
        #expect(!FileSystem.exists(n.indexPath))
        let next = try n.find("ghost")
        #expect(next.held.isEmpty && next.store.lookups.scans == [.indexMissing])
        #expect(try n.storedIndex()?.leases.count == 20)

        // Inconsistent in the middle of a run that goes on asking: it rescans there and then.
        var taken = try #require(try n.storedIndex()).leases
        taken["10.1.2.22"] = nil
        try FileSystem.write("\(n.directory)/10.1.2.22", contents: DiskAddressStore.contents("r9", "eth0"))
        try n.restamp(taken)
        let add = try n.add("y")
        #expect(add.ip == "10.1.2.23")
        #expect(add.store.lookups.scans == [.inconsistent])
        #expect(try n.storedIndex()?.leases["10.1.2.22"] == LeaseOwner(containerID: "r9", ifName: "eth0"))
    }

    @Test(arguments: ["missing", "empty", "garbage", "truncated", "flipped", "trailing", "writable by others"])
    func aMissingOrCorruptIndexMeansAScanAndARewrite(damage: String) throws {
        let n = try IndexedNetwork()
        try twentyLeases(n)
        let good = try #require(try FileSystem.read(n.indexPath))
        switch damage {
        case "missing": try FileSystem.remove(n.indexPath)
        case "empty": try FileSystem.write(n.indexPath, contents: [])
        case "garbage": try FileSystem.write(n.indexPath, contents: Array("10.1.2.2 c1 eth0\n".utf8))
        case "truncated": try FileSystem.write(n.indexPath, contents: Array(good.dropLast(30)))
        case "flipped":
            var bad = good
            bad[good.count / 2] ^= 0x01
            try FileSystem.write(n.indexPath, contents: bad)
        case "trailing": try FileSystem.write(n.indexPath, contents: good + Array("x".utf8))
        default: #expect(chmod(n.indexPath, 0o602) == 0)
        }
        let check = try n.find("c5")
        #expect(check.held == ["10.1.2.6"])
        #expect(check.store.lookups.scans == [damage == "missing" ? .indexMissing : .indexCorrupt])
        #expect(check.store.lookups.leaseFilesRead == 20 && check.store.lookups.indexWrites == 1)
        #expect(try FileSystem.read(n.indexPath).flatMap(LeaseIndex.init(decoding:)) != nil)
        #expect(ScratchDirectory.mode(n.indexPath) == 0o600)
        #expect(try n.find("c5").store.lookups.scans.isEmpty)
    }

    @Test func aRecreatedDirectoryIsScanned() throws {
        let n = try IndexedNetwork()
        try twentyLeases(n)
        for name in try FileSystem.list(n.directory) { try FileSystem.remove("\(n.directory)/\(name)") }
        #expect(rmdir(n.directory) == 0)
        try FileSystem.makeDirectories(n.directory)
        try n.foreignLease("10.1.2.7", "r1")
        let check = try n.find("r1")
        #expect(check.held == ["10.1.2.7"])
        #expect(check.store.lookups.scans.count == 1 && check.store.lookups.indexUses == 0)
        #expect(try n.find("c1").held.isEmpty)
    }

    @Test func gcAndStatusAlwaysScanAndRefreshTheIndex() throws {
        let n = try IndexedNetwork()
        try twentyLeases(n)
        let gcStore = try n.store()
        let gc = try gcStore.collectGarbage(keeping: Set((1...10).map { Attachment(containerID: "c\($0)", ifName: "eth0") }))
        #expect(gc.released.count == 10)
        #expect(gcStore.lookups.scans == [.requested] && gcStore.lookups.leaseFilesRead == 20 && gcStore.lookups.indexWrites == 1)
        #expect(try n.storedIndex()?.leases.count == 10)

        let statusStore = try n.store()
        #expect(try statusStore.usage(of: [try rangeSet("10.1.2.0/24")]).first?.used == 10)
        #expect(statusStore.lookups.scans == [.requested] && statusStore.lookups.leaseFilesRead == 10)
        #expect(try n.add("c11").store.lookups.scans.isEmpty)
    }

    @Test func readsWithoutTheLockScanAndLeaveTheIndexAlone() throws {
        let n = try IndexedNetwork()
        try n.add("c1")
        let before = try FileSystem.read(n.indexPath)
        let s = try n.store()
        #expect(try s.reservations().map(\.containerID) == ["c1"])
        #expect(try s.find(containerID: "c1", ifName: "eth0") == [ip("10.1.2.2")])
        #expect(s.lookups.scans == [.unlocked, .unlocked] && s.lookups.indexWrites == 0)
        #expect(try FileSystem.read(n.indexPath) == before)
    }

    @Test func withoutAnIndexEveryLockedRunScans() throws {
        let scratch = try ScratchDirectory()
        let s = try DiskAddressStore(dataDir: scratch.path, network: "n", index: nil)
        try s.create()
        let allocator = AddressAllocator(rangeSets: [try rangeSet("10.1.2.0/24")], store: s)
        _ = try allocator.allocate(containerID: "a", ifName: "eth0")
        _ = try allocator.allocate(containerID: "b", ifName: "eth0")
        #expect(s.lookups.scans == [.indexDisabled, .indexDisabled] && s.lookups.leaseFilesRead == 1 && s.lookups.indexWrites == 0)
    }

    @Test func aFailedLaterRangeSetReleasesItsEarlierLeaseInTheIndexToo() throws {
        let n = try IndexedNetwork()
        try n.add("c1")
        let s = try n.store()
        let sets = [try rangeSet("10.1.2.0/24"), try rangeSet("10.9.0.0/30")]
        try n.foreignLease("10.9.0.2", "r1")
        #expect(throws: CNIError.self) { try AddressAllocator(rangeSets: sets, store: s).allocate(containerID: "c2", ifName: "eth0") }
        #expect(try n.storedIndex()?.leases.keys.sorted() == ["10.1.2.2", "10.9.0.2"])
        #expect(n.leaseFiles() == ["10.1.2.2", "10.9.0.2"])
        #expect(try n.find("c2").store.lookups.scans.isEmpty)
    }
}
