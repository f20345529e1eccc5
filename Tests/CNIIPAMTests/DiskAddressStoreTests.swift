// DiskAddressStoreTests: the on-disk layout, byte for byte as the reference host-local writes it, in a temp directory.
import CNIIPAM
import CNISpec
import CNISystem
import Testing

@Suite struct DiskAddressStoreTests {
    private func store(_ dir: ScratchDirectory, _ network: String = "net1") throws -> DiskAddressStore {
        // The lease index goes in the scratch directory too, not in the machine's /run.
        let s = try DiskAddressStore(dataDir: "\(dir.path)/data", network: network,
                                     index: LeaseIndexFile(root: "\(dir.path)/index"))
        try s.create()
        return s
    }

    private func reserve(_ s: DiskAddressStore, _ addr: String, _ id: String, _ ifName: String, set: Int = 0) throws -> Bool {
        try s.withLock { () throws(CNIError) in try s.reserve(ip(addr), containerID: id, ifName: ifName, rangeSetIndex: set) }
    }

    @Test(arguments: ["10.1.2.2", "fd00::2", "2001:db8::a:0:0:1"])
    func reservationFileIsNamedByTheAddressAndHoldsIDCRLFIfname(addr: String) throws {
        let dir = try ScratchDirectory()
        let s = try store(dir)
        #expect(try reserve(s, addr, "c1", "eth0", set: 3))
        #expect(try FileSystem.read("\(s.directory)/\(addr)") == Array("c1\r\neth0".utf8))
        #expect(try FileSystem.readText("\(s.directory)/last_reserved_ip.3") == addr)
        #expect(ScratchDirectory.mode("\(s.directory)/\(addr)") == 0o600)
        #expect(ScratchDirectory.mode("\(s.directory)/last_reserved_ip.3") == 0o600)
        #expect(ScratchDirectory.mode("\(s.directory)/lock") == 0o600)
        #expect(ScratchDirectory.mode(s.directory) == 0o700)
        #expect(ScratchDirectory.mode("\(dir.path)/data") == 0o700)
        #expect(try s.lastReserved(rangeSetIndex: 3) == ip(addr))
        #expect(try s.lastReserved(rangeSetIndex: 0) == nil)
    }

    @Test func aTakenAddressIsNotReservedAgainAndKeepsItsOwner() throws {
        let dir = try ScratchDirectory()
        let s = try store(dir)
        #expect(try reserve(s, "10.1.2.2", "c1", "eth0"))
        #expect(try !reserve(s, "10.1.2.2", "c2", "eth0"))
        #expect(try s.reservations() == [Reservation(ip: ip("10.1.2.2"), containerID: "c1", ifName: "eth0")])
    }

    @Test func onlyFilesNamedByAnAddressAreReservations() throws {
        let dir = try ScratchDirectory()
        let s = try store(dir)
        #expect(try reserve(s, "10.1.2.2", "c1", "eth0"))
        for junk in ["last_reserved_ip.0.tmp.99", "notes", "010.1.2.3", ".status-probe.1"] {
            try FileSystem.write("\(s.directory)/\(junk)", contents: Array("c1".utf8))
        }
        #expect(try s.reservations().map(\.ip) == [ip("10.1.2.2")])
    }

    /// Files written by older versions (ID only) and with stray whitespace are understood.
    @Test(arguments: [
        ("c1", "c1", nil as String?),
        ("c1\n", "c1", nil),
        ("c1\r\neth0", "c1", "eth0"),
        ("  c1\r\neth0\n", "c1", "eth0"),
        ("c1\neth0", "c1", "eth0"),
        ("", "", nil),
    ])
    func parsesReservationFiles(content: String, id: String, ifName: String?) {
        let owner = DiskAddressStore.parse(Array(content.utf8))
        #expect(owner.containerID == id)
        #expect(owner.ifName == ifName)
    }

    @Test func legacyFileIsFoundAndReleasedByContainerID() throws {
        let dir = try ScratchDirectory()
        let s = try store(dir)
        try FileSystem.write("\(s.directory)/10.1.2.9", contents: Array("c1".utf8))
        #expect(try s.find(containerID: "c1", ifName: "eth0") == [ip("10.1.2.9")])
        let released = try s.withLock { () throws(CNIError) in try s.release(containerID: "c1", ifName: "eth0") }
        #expect(released == [ip("10.1.2.9")])
        #expect(!FileSystem.exists("\(s.directory)/10.1.2.9"))
    }

    @Test func releaseOfAMissingAddressIsFalse() throws {
        let dir = try ScratchDirectory()
        let s = try store(dir)
        #expect(try !s.withLock { () throws(CNIError) in try s.release(ip("10.1.2.2")) })
    }

    @Test func aMissingDirectoryHoldsNothingAndIsNotCreatedByReading() throws {
        let dir = try ScratchDirectory()
        let s = try DiskAddressStore(dataDir: dir.path, network: "never", index: LeaseIndexFile(root: "\(dir.path)/index"))
        #expect(!s.exists)
        #expect(try s.reservations().isEmpty)
        #expect(!FileSystem.exists(s.directory))
    }

    @Test(arguments: ["..", ".", "a/b", "../etc", ""])
    func networkNamesThatEscapeTheDataDirAreRejected(name: String) {
        #expect(throws: CNIError.self) { try DiskAddressStore(dataDir: "/tmp/x", network: name) }
    }

    @Test(arguments: [("/var/lib/cni/networks", "/var/lib/cni/networks/n"), ("/tmp/d/", "/tmp/d/n"), ("/", "/n")])
    func directoryIsDataDirSlashNetwork(dataDir: String, expected: String) throws {
        #expect(try DiskAddressStore(dataDir: dataDir, network: "n").directory == expected)
    }
}
