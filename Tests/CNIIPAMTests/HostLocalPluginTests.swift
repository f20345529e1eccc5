// HostLocalPluginTests: ADD, DEL and CHECK of the host-local plugin, in-process, against a scratch data directory.
import CNIJSON
import CNIPlugin
import CNISpec
import CNISystem
import Testing

@Suite struct HostLocalPluginTests {
    private let dual = #""ranges":[[{"subnet":"10.1.2.0/24"}],[{"subnet":"fd00::/64"}]]"#

    @Test(arguments: SpecVersion.all)
    func addPrintsTheResultInTheRequestedVersion(version: SpecVersion) throws {
        let h = try HostLocalHarness()
        let out = h.run("ADD", h.config(version, ipam: dual))
        #expect(out.exitCode == 0, "\(out.stdout)")
        let json = try HostLocalHarness.json(out)
        #expect(json["cniVersion"]?.stringValue == version.description)
        if version < .v0_3_0 {
            #expect(json["ip4"]?["ip"]?.stringValue == "10.1.2.2/24")
            #expect(json["ip6"]?["gateway"]?.stringValue == "fd00::1")
        } else {
            let ips = try #require(json["ips"]?.arrayValue)
            #expect(ips.map { $0["address"]?.stringValue } == ["10.1.2.2/24", "fd00::2/64"])
            #expect(ips.allSatisfy { $0["interface"] == nil })
            #expect(ips.allSatisfy { ($0["version"] != nil) == version.hasIPVersionField })
            #expect(json["interfaces"] == nil)
        }
        #expect(h.leaseFiles() == ["10.1.2.2", "fd00::2"])
    }

    @Test func addPassesRoutesThroughAndReadsResolvConf() throws {
        let h = try HostLocalHarness()
        let resolv = "\(h.scratch.path)/resolv.conf"
        try FileSystem.write(resolv, contents: Array("# c\nnameserver 10.0.0.53\nnameserver fd00::53\nsearch a.example b.example\ndomain example\noptions ndots:2\n".utf8))
        let routes = #""routes":[{"dst":"0.0.0.0/0","gw":"10.1.2.254","mtu":1400,"advmss":1360,"priority":5,"table":100,"scope":0},{"dst":"fd01::/64"}]"#
        let out = h.run("ADD", h.config(ipam: dual + "," + routes + #","resolvConf":"\#(resolv)""#))
        let json = try HostLocalHarness.json(out)
        #expect(try json["routes"] == JSON.parse(Array(#"[{"dst":"0.0.0.0/0","gw":"10.1.2.254","mtu":1400,"advmss":1360,"priority":5,"table":100,"scope":0},{"dst":"fd01::/64"}]"#.utf8)))
        #expect(try json["dns"] == JSON.parse(Array(#"{"nameservers":["10.0.0.53","fd00::53"],"domain":"example","search":["a.example","b.example"],"options":["ndots:2"]}"#.utf8)))
    }

    @Test func secondAddForTheSameAttachmentIsRefusedButAnotherInterfaceGetsItsOwn() throws {
        let h = try HostLocalHarness()
        #expect(try HostLocalHarness.addresses(h.run("ADD", h.config())) == ["10.1.2.2/24"])
        let again = h.run("ADD", h.config())
        #expect(HostLocalHarness.errorCode(again) == 102)
        #expect(HostLocalHarness.message(again).contains("duplicate allocation is not allowed"))
        #expect(try HostLocalHarness.addresses(h.run("ADD", h.config(), ifName: "eth1")) == ["10.1.2.3/24"])
    }

    @Test func exhaustionIsCode101() throws {
        let h = try HostLocalHarness()
        let cfg = h.config(ipam: #""ranges":[[{"subnet":"10.1.2.0/30"}]]"#)
        #expect(try HostLocalHarness.addresses(h.run("ADD", cfg, id: "a")) == ["10.1.2.2/30"])
        let out = h.run("ADD", cfg, id: "b")
        #expect(HostLocalHarness.errorCode(out) == 101)
        #expect(HostLocalHarness.message(out).contains("no IP addresses available in range set: 10.1.2.1-10.1.2.2"))
    }

    @Test func delReleasesEverySetAndIsIdempotent() throws {
        let h = try HostLocalHarness()
        _ = try HostLocalHarness.addresses(h.run("ADD", h.config(ipam: dual)))
        _ = try HostLocalHarness.addresses(h.run("ADD", h.config(ipam: dual), id: "c2"))
        #expect(h.run("DEL", h.config(ipam: dual)).exitCode == 0)
        #expect(h.leaseFiles() == ["10.1.2.3", "fd00::3"])
        #expect(h.run("DEL", h.config(ipam: dual)).exitCode == 0)
        #expect(h.leaseFiles() == ["10.1.2.3", "fd00::3"])
    }

    @Test func delWithoutAnyStateSucceedsAndCreatesNothing() throws {
        let h = try HostLocalHarness()
        #expect(h.run("DEL", h.config()).exitCode == 0)
        #expect(!FileSystem.exists(h.dataDir))
    }

    @Test func checkFindsTheReservationAndFailsAfterDel() throws {
        let h = try HostLocalHarness()
        _ = try HostLocalHarness.addresses(h.run("ADD", h.config(ipam: dual)))
        #expect(h.run("CHECK", h.config(ipam: dual)).exitCode == 0)
        #expect(HostLocalHarness.errorCode(h.run("CHECK", h.config(ipam: dual), ifName: "eth1")) == 104)
        _ = h.run("DEL", h.config(ipam: dual))
        #expect(HostLocalHarness.errorCode(h.run("CHECK", h.config(ipam: dual))) == 104)
    }

    /// CHECK also compares the held addresses with the configured range sets.
    @Test(arguments: [
        (#""ranges":[[{"subnet":"10.9.0.0/24"}]]"#, "in no configured range set"),
        (#""ranges":[[{"subnet":"10.1.2.0/24"}],[{"subnet":"fd00::/64"}]]"#, "holds no address from range set 1"),
    ])
    func checkFailsWhenTheRangesNoLongerMatch(ipam: String, reason: String) throws {
        let h = try HostLocalHarness()
        _ = try HostLocalHarness.addresses(h.run("ADD", h.config()))
        let out = h.run("CHECK", h.config(ipam: ipam))
        #expect(HostLocalHarness.errorCode(out) == 104)
        #expect(HostLocalHarness.message(out).contains(reason))
    }

    @Test func checkAcceptsALegacyReservation() throws {
        let h = try HostLocalHarness()
        try FileSystem.makeDirectories(h.networkDir)
        try FileSystem.write("\(h.networkDir)/10.1.2.40", contents: Array("c1".utf8))
        #expect(h.run("CHECK", h.config()).exitCode == 0)
        #expect(h.run("DEL", h.config()).exitCode == 0)
        #expect(h.leaseFiles().isEmpty)
    }

    @Test func severalV4SetsNeedV030() throws {
        let h = try HostLocalHarness()
        let out = h.run("ADD", h.config(.v0_2_0, ipam: #""ranges":[[{"subnet":"10.1.2.0/24"}],[{"subnet":"10.1.3.0/24"}]]"#))
        #expect(HostLocalHarness.message(out).contains("does not support more than 1 address per family"))
        #expect(!FileSystem.exists(h.dataDir))
    }

    @Test func legacyTopLevelSubnetWorks() throws {
        let h = try HostLocalHarness()
        let cfg = h.config(.v0_2_0, ipam: #""subnet":"10.5.0.0/16","rangeStart":"10.5.1.10","rangeEnd":"10.5.1.20","gateway":"10.5.0.1""#)
        let json = try HostLocalHarness.json(h.run("ADD", cfg))
        #expect(json["ip4"]?["ip"]?.stringValue == "10.5.1.10/16")
        #expect(json["ip4"]?["gateway"]?.stringValue == "10.5.0.1")
    }

    @Test func ipRangesCapabilityIsPrependedToRanges() throws {
        let h = try HostLocalHarness()
        let out = h.run("ADD", h.config(top: #""runtimeConfig":{"ipRanges":[[{"subnet":"10.7.0.0/24"}]]}"#))
        #expect(try HostLocalHarness.addresses(out) == ["10.7.0.2/24", "10.1.2.2/24"])
    }
}
