// HostLocalMaintenanceTests: GC against valid attachments and STATUS (unusable data dir, exhausted range set).
import CNIPlugin
import CNISpec
import CNISystem
import Testing

@Suite struct HostLocalMaintenanceTests {
    private func addThree(_ h: HostLocalHarness) throws {
        for (id, ifName) in [("c1", "eth0"), ("c1", "eth1"), ("c2", "eth0")] {
            _ = try HostLocalHarness.addresses(h.run("ADD", h.config(), id: id, ifName: ifName))
        }
    }

    @Test(arguments: ["cni.dev/valid-attachments", "cni.dev/attachments"])
    func gcRemovesReservationsOfAttachmentsNotListed(key: String) throws {
        let h = try HostLocalHarness()
        try addThree(h)
        try FileSystem.write("\(h.networkDir)/10.1.2.100", contents: Array("legacy-gone".utf8))
        let out = h.run("GC", h.config(top: #""\#(key)":[{"containerID":"c1","ifname":"eth1"}]"#))
        #expect(out.exitCode == 0, "\(out.stdout)")
        #expect(h.leaseFiles() == ["10.1.2.3"])
        #expect(FileSystem.exists("\(h.networkDir)/last_reserved_ip.0"))
    }

    @Test func gcWithoutAValidAttachmentsListRemovesNothing() throws {
        let h = try HostLocalHarness()
        try addThree(h)
        #expect(h.run("GC", h.config()).exitCode == 0)
        #expect(h.leaseFiles().count == 3)
    }

    @Test func gcWithAnEmptyListRemovesEverything() throws {
        let h = try HostLocalHarness()
        try addThree(h)
        #expect(h.run("GC", h.config(top: #""cni.dev/valid-attachments":[]"#)).exitCode == 0)
        #expect(h.leaseFiles().isEmpty)
    }

    @Test func gcOnANetworkWithNoStateSucceedsAndCreatesNothing() throws {
        let h = try HostLocalHarness()
        #expect(h.run("GC", h.config(top: #""cni.dev/valid-attachments":[]"#)).exitCode == 0)
        #expect(!FileSystem.exists(h.dataDir))
    }

    @Test(arguments: [SpecVersion.v0_4_0, .v1_0_0])
    func gcAndStatusNeedV110(version: SpecVersion) throws {
        let h = try HostLocalHarness()
        #expect(HostLocalHarness.errorCode(h.run("GC", h.config(version))) == 1)
        #expect(HostLocalHarness.errorCode(h.run("STATUS", h.config(version))) == 1)
    }

    @Test func statusSucceedsWithFreeAddresses() throws {
        let h = try HostLocalHarness()
        #expect(h.run("STATUS", h.config()).exitCode == 0)
        #expect(h.leaseFiles().isEmpty)
        #expect(try FileSystem.list(h.networkDir).allSatisfy { !$0.hasPrefix(".status-probe") })
    }

    @Test func statusIs50WhenARangeSetIsExhausted() throws {
        let h = try HostLocalHarness()
        let cfg = h.config(ipam: #""ranges":[[{"subnet":"10.1.2.0/30"}],[{"subnet":"fd00::/64"}]]"#)
        _ = try HostLocalHarness.addresses(h.run("ADD", cfg))
        let out = h.run("STATUS", cfg)
        #expect(HostLocalHarness.errorCode(out) == 50)
        #expect(HostLocalHarness.message(out).contains("no IP addresses available in range set: 10.1.2.1-10.1.2.2"))
        _ = h.run("DEL", cfg)
        #expect(h.run("STATUS", cfg).exitCode == 0)
    }

    @Test func statusWithoutRangesChecksOnlyTheDataDir() throws {
        let h = try HostLocalHarness()
        let cfg = h.config(ipam: #""routes":[]"#)
        #expect(h.run("STATUS", cfg).exitCode == 0)
        #expect(HostLocalHarness.errorCode(h.run("STATUS", h.config(ipam: #""ranges":[[{"subnet":"10.1.2.3/24"}]]"#))) == 7)
    }

    @Test func statusIs50WhenTheDataDirCannotBeCreated() throws {
        let h = try HostLocalHarness()
        try FileSystem.write(h.dataDir, contents: [])          // a file where the directory should be
        let out = h.run("STATUS", h.config())
        #expect(HostLocalHarness.errorCode(out) == 50)
        #expect(HostLocalHarness.message(out).contains(h.networkDir))
    }
}
