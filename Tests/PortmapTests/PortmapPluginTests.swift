// PortmapPluginTests: the verbs on fakes: pass-through, validation before side effects, route_localnet, conntrack, rollback, CHECK, DEL, GC, STATUS.
import CNIFirewall
import CNIJSON
import CNIPlugin
import CNISpec
import PortmapPlugin
import Testing

@Suite struct PortmapPluginTests {
    @Test(arguments: ["0.3.1", "0.4.0", "1.0.0", "1.1.0"])
    func noMappingsPassesPrevResultThroughAndTouchesNothing(_ version: String) throws {
        let h = PortmapHarness()
        var o = try JSON.parse(Array(try pmconf([]).utf8)).objectValue!
        o["cniVersion"] = .string(version)
        o["prevResult"] = try bridgeResult().json(version: SpecVersion(version)!)
        let out = try h.ok("ADD", JSON.object(o).serialized())
        let result = try CNIResult(json: JSON.parse(out.stdout), assumedVersion: SpecVersion(version)!)
        #expect(result == bridgeResult())
        #expect(h.iptables.calls.isEmpty && h.nft.scripts.isEmpty && h.conntrack.flushed.isEmpty && h.host.ipv4ConfTable.isEmpty)
        try h.ok("DEL", JSON.object(o).serialized())
        #expect(h.iptables.calls.isEmpty)
    }

    @Test func addMapsBothFamiliesSetsRouteLocalnetAndFlushesUDP() throws {
        let h = PortmapHarness()
        let conf = try pmconf([mapping(8080, 80), mapping(8053, 53, "udp")])
        let out = try h.ok("ADD", conf)
        #expect(try CNIResult(json: JSON.parse(out.stdout), assumedVersion: .v1_0_0) == bridgeResult())
        #expect(h.iptables.calls == ["save 4", "save 6", "restore 4", "restore 6"])
        #expect(h.iptables.rules(.v4, containing: "DNAT --to-destination 10.250.0.2:80").count == 1)
        #expect(h.iptables.rules(.v6, containing: "DNAT --to-destination [fd00::2]:53").count == 1)
        #expect(h.host.ipv4ConfTable == ["cni0": [.routeLocalnet: 1]], "set over netlink, not /proc/sys")
        #expect(h.conntrack.flushed == ["4:8053", "6:8053"])
        try h.ok("CHECK", conf)
        try h.ok("DEL", conf)
        #expect(h.iptables.rules(.v4, containing: "CNI-DN-").isEmpty && h.iptables.rules(.v6, containing: "CNI-DN-").isEmpty)
        #expect(h.conntrack.flushed == ["4:8053", "6:8053", "4:8053", "6:8053"], "DEL forgets UDP flows too")
        try h.ok("DEL", conf)
    }

    @Test func routeLocalnetAlreadyOnIsOnlyRead() throws {
        let h = PortmapHarness()
        h.host.ipv4ConfTable["cni0"] = [.routeLocalnet: 1]
        try h.ok("ADD", try pmconf([mapping(8080, 80)]))
        #expect(h.host.calls.contains("ipv4Conf cni0 route_localnet"))
        #expect(!h.host.calls.contains { $0.hasPrefix("setIPv4Conf") })
    }

    @Test func snatOffLeavesRouteLocalnetAlone() throws {
        let h = PortmapHarness()
        try h.ok("ADD", try pmconf([mapping(8080, 80)], ["snat": false]))
        #expect(h.host.ipv4ConfTable.isEmpty)
        #expect(h.iptables.rules(.v4, containing: "SETMARK").isEmpty)
    }

    @Test(arguments: [
        ([mapping(0, 80)], [String: JSON](), "hostPort 0"),
        ([mapping(80, 65536)], [:], "containerPort 65536"),
        ([mapping(80, 80, "icmp")], [:], "protocol \"icmp\""),
        ([mapping(80, 80, hostIP: "1.2.3")], [:], "hostIP \"1.2.3\""),
        ([mapping(80, 80), mapping(80, 81)], [:], "already mapped"),
        ([mapping(80, 80)], ["markMasqBit": 32], "markMasqBit 32"),
        ([mapping(80, 80)], ["markMasqBit": 5, "externalSetMarkChain": "X"], "externalSetMarkChain"),
        ([mapping(80, 80)], ["backend": "pf"], "backend \"pf\""),
        ([mapping(80, 80)], ["backend": "nftables", "conditionsV4": ["-s", "1.2.3.4"]], "conditionsV4 \"-s\""),
        ([mapping(80, 80)], ["conditionsV6": ["ip6", "saddr", "::1"]], "conditionsV6 \"ip6\""),
        ([mapping(80, 80)], ["backend": "nftables", "markMasqBit": 3], "markMasqBit 3"),
    ] as [([JSON], [String: JSON], String)])
    func badInputNamesKeyAndValueAndTouchesNothing(_ maps: [JSON], _ keys: [String: JSON], _ text: String) throws {
        let h = PortmapHarness()
        let (code, msg) = try h.error("ADD", try pmconf(maps, keys))
        #expect(code == 7)
        #expect(msg.contains(text), "\(msg)")
        #expect(h.iptables.calls.isEmpty && h.nft.scripts.isEmpty && h.host.ipv4ConfTable.isEmpty)
    }

    @Test func addWithoutPrevResultIsAnError() throws {
        let h = PortmapHarness()
        let (code, msg) = try h.error("ADD", try pmconf([mapping(80, 80)], prev: nil))
        #expect(code == 7 && msg.contains("chained"))
    }

    @Test func dockerStyleV4AndV6MappingsOfOnePortAreNotAConflict() throws {
        let h = PortmapHarness()
        try h.ok("ADD", try pmconf([mapping(80, 80, hostIP: "0.0.0.0"), mapping(80, 80, hostIP: "::")]))
        #expect(h.iptables.rules(.v4, containing: "-j DNAT").count == 1 && h.iptables.rules(.v6, containing: "-j DNAT").count == 1)
    }

    @Test func conflictWithAnotherContainerIsRefusedAndChangesNothing() throws {
        let h = PortmapHarness()
        try h.ok("ADD", try pmconf([mapping(8080, 80)]))
        let before = h.iptables.rules
        h.containerID = "c2"
        let (code, msg) = try h.error("ADD", try pmconf([mapping(8080, 80)], prev: bridgeResult(["10.250.0.3/24"])))
        #expect(code == 102)
        #expect(msg.contains("tcp/8080") && msg.contains("id: \"c1\""), "\(msg)")
        #expect(h.iptables.rules == before)
        h.containerID = "c1"
        try h.ok("ADD", try pmconf([mapping(8080, 80)]))   // the owner may repeat its ADD
    }

    @Test func failedApplyRollsBackNothingAndReportsTheTool() throws {
        let h = PortmapHarness()
        h.iptables.failRestore = CNIError(.systemFailure, "iptables-restore: boom")
        let (code, msg) = try h.error("ADD", try pmconf([mapping(8080, 80)]))
        #expect(code == 100 && msg.contains("boom"))
        #expect(h.host.ipv4ConfTable.isEmpty && h.conntrack.flushed.isEmpty)
    }

    @Test func checkReportsMissingRulesWith104() throws {
        let h = PortmapHarness()
        let conf = try pmconf([mapping(8080, 80)])
        try h.ok("ADD", conf)
        h.iptables.rules[.v6]!.removeAll { $0.contains("-j DNAT") }
        let (code, msg) = try h.error("CHECK", conf)
        #expect(code == 104 && msg.contains("ip6tables rule"), "\(msg)")
    }

    @Test func checkOfAnIPv4OnlyPodLooksAtIPv4Only() throws {
        let h = PortmapHarness()
        let conf = try pmconf([mapping(8080, 80)], prev: bridgeResult(["10.250.0.2/24"]))
        try h.ok("ADD", conf)
        try h.ok("CHECK", conf)
        #expect(!h.iptables.calls.contains("restore 6"))
    }

    @Test func gcKeepsValidAttachmentsOnly() throws {
        let h = PortmapHarness()
        for id in ["a", "b"] {
            h.containerID = id
            try h.ok("ADD", try pmconf([mapping(id == "a" ? 8081 : 8082, 80)]))
        }
        let gc: JSON = ["cniVersion": "1.1.0", "name": "mynet", "type": "portmap",
                        "cni.dev/valid-attachments": [["containerID": "a", "ifname": "eth0"]]]
        try h.ok("GC", gc.serialized())
        #expect(h.iptables.rules(.v4, containing: "--dport 8081").count == 3)
        #expect(h.iptables.rules(.v4, containing: "--dport 8082").isEmpty)
    }

    @Test func statusFailsWith50WhenTheToolIsUnusable() throws {
        final class Broken: PortmapBackend {
            func setup(_ owner: RuleOwner, _ config: PortmapConfig) throws(CNIError) {}
            func teardown(_ owner: RuleOwner, _ config: PortmapConfig?) throws(CNIError) {}
            func missing(_ owner: RuleOwner, _ config: PortmapConfig) throws(CNIError) -> [String] { [] }
            func gc(network: String, valid: Set<RuleOwner>) throws(CNIError) {}
            func status() throws(CNIError) { throw CNIError(.pluginNotAvailable, "iptables backend unusable: not found") }
        }
        let h = PortmapHarness()
        try h.ok("STATUS", #"{"cniVersion":"1.1.0","name":"mynet","type":"portmap"}"#)
        let broken = PortmapPlugin(dependencies: PortmapDependencies(backend: { _ in Broken() }, host: { () throws(CNIError) in h.host },
                                                                     conntrack: h.conntrack))
        let out = Skeleton.run(broken, environment: ["CNI_COMMAND": "STATUS", "CNI_PATH": "/x"],
                               stdin: { Array(#"{"cniVersion":"1.1.0","name":"mynet","type":"portmap"}"#.utf8) })
        #expect(out.exitCode != 0 && out.stdout.contains("\"code\": 50"))
    }
}
