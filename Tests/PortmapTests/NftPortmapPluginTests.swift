// NftPortmapPluginTests: the nftables backend through the plugin: skeleton on a fresh host, the fast path, the fallback.
import CNIFirewall
import CNIJSON
import CNISpec
import PortmapPlugin
import Testing

@Suite struct NftPortmapPluginTests {
    let emptyTable: JSON = ["nftables": [["table": ["family": "inet", "name": "swcni_portmap", "handle": 1]]]]

    @Test func aFreshHostGetsTheSkeletonAndTheElementsInOneTransaction() throws {
        let h = PortmapHarness()
        try h.ok("ADD", try pmconf([mapping(8080, 80)], ["backend": "nftables"]))
        #expect(h.nft.scripts.count == 1)
        #expect(h.nft.scripts[0].hasPrefix("add table inet swcni_portmap\n"))
        #expect(h.nft.scripts[0].contains("add element inet swcni_portmap dnat4any { tcp . 8080 comment"))
        #expect(h.iptables.calls.isEmpty)
    }

    @Test func anExistingTableTakesTheFastPathWithoutTheSkeleton() throws {
        let h = PortmapHarness()
        h.nft.listing = emptyTable
        try h.ok("ADD", try pmconf([mapping(8080, 80), mapping(8081, 80, hostIP: "192.0.2.1")], ["backend": "nftables"]))
        #expect(h.nft.scripts.count == 1)
        let script = h.nft.scripts[0]
        #expect(!script.contains("add table") && !script.contains("flush chain"))
        #expect(script.hasPrefix("create element inet swcni_portmap dnat4any { tcp . 8081 : 0.0.0.0 . 0 }\ndelete element inet swcni_portmap dnat4any { tcp . 8081 }\n"))
        #expect(script.contains("create element inet swcni_portmap dnat4any { tcp . 8080 comment"))
        #expect(script.contains("add element inet swcni_portmap masq4 { 10.250.0.0/24 . 10.250.0.2 comment"))
    }

    @Test func aRefusedFastPathFallsBackToTheWholeTable() throws {
        let h = PortmapHarness()
        h.nft.listing = emptyTable
        h.nft.refuse = "create element"
        try h.ok("ADD", try pmconf([mapping(8080, 80)], ["backend": "nftables"]))
        #expect(h.nft.scripts.count == 2)
        #expect(h.nft.scripts[1].hasPrefix("add table inet swcni_portmap\n"))
    }

    @Test func delOfTheLastOwnerDropsTheTable() throws {
        let h = PortmapHarness()
        let c = NftPortmapRules.comment(h.owner)
        h.nft.listing = try JSON.parse(Array("""
        {"nftables": [{"table": {"family": "inet", "name": "swcni_portmap"}},
         {"map": {"name": "dnat4any", "elem": [[{"elem": {"val": {"concat": ["tcp", 8080]}, "comment": "\(c)"}}, {"concat": ["10.250.0.2", 80]}]]}}]}
        """.utf8))
        try h.ok("DEL", try pmconf([mapping(8080, 80)], ["backend": "nftables"]))
        #expect(h.nft.scripts.last == "delete table inet swcni_portmap\n")
    }

    /// A table holding one dnat4any element `tcp . 8080` with `comment` and data `10.250.0.x . 80`.
    func tableWithOneElement(comment: String, address: String = "10.250.0.2") throws -> JSON {
        try JSON.parse(Array("""
        {"nftables": [{"table": {"family": "inet", "name": "swcni_portmap"}},
         {"map": {"name": "dnat4any", "elem": [[{"elem": {"val": {"concat": ["tcp", 8080]}, "comment": "\(comment)"}}, {"concat": ["\(address)", 80]}]]}}]}
        """.utf8))
    }

    @Test func delWithTheAddsMappingsDeletesItsElementsWithoutReadingTheTable() throws {
        let h = PortmapHarness()
        h.nft.listing = try tableWithOneElement(comment: NftPortmapRules.comment(h.owner))
        try h.ok("DEL", try pmconf([mapping(8080, 80)], ["backend": "nftables"], prev: bridgeResult(["10.250.0.2/24"])))
        #expect(h.nft.scripts == ["""
        delete element inet swcni_portmap dnat4any { tcp . 8080 }
        delete element inet swcni_portmap masq4 { 10.250.0.0/24 . 10.250.0.2 }
        delete element inet swcni_portmap masq4 { 127.0.0.1 . 10.250.0.2 }

        """])
    }

    @Test func delOfElementsOwnedBySomeoneElseTakesTheSlowPath() throws {
        let h = PortmapHarness()
        h.nft.listing = try tableWithOneElement(comment: "someone else", address: "10.250.0.9")
        try h.ok("DEL", try pmconf([mapping(8080, 80)], ["backend": "nftables"], prev: bridgeResult(["10.250.0.2/24"])))
        #expect(h.nft.scripts.isEmpty, "the whole table was read: nothing of ours, someone else's element stays")
    }

    @Test func delOfElementsWithOtherDataTakesTheSlowPath() throws {
        let h = PortmapHarness()
        h.nft.listing = try tableWithOneElement(comment: NftPortmapRules.comment(h.owner), address: "10.250.0.9")
        try h.ok("DEL", try pmconf([mapping(8080, 80)], ["backend": "nftables"], prev: bridgeResult(["10.250.0.2/24"])))
        #expect(h.nft.scripts == ["delete table inet swcni_portmap\n"], "the slow path deletes by owner; nothing else is left")
    }

    @Test func aRepeatedDelFindsNothingOfItsOwnAndReadsNoTable() throws {
        final class CountingLists: NftTableAccess {
            let inner: FakeNftTable
            var lists = 0
            init(_ inner: FakeNftTable) { self.inner = inner }
            func list(family: String, table: String) throws(CNIError) -> JSON? { lists += 1; return try inner.list(family: family, table: table) }
            func apply(_ script: String) throws(CNIError) { try inner.apply(script) }
            func elements(set: String) throws(CNIError) -> [NftElement]? { try inner.elements(set: set) }
            func elements(set: String, keys: [String]) -> [NftElement]? { inner.elements(set: set, keys: keys) }
            func change(_ changes: [NftElementChange]) throws(CNIError) { try inner.change(changes) }
            func holds(commentPrefix prefix: String) -> Bool { inner.holds(commentPrefix: prefix) }
        }
        let fake = FakeNftTable()
        fake.listing = try tableWithOneElement(comment: "someone else", address: "10.250.0.9")
        let counting = CountingLists(fake)
        let backend = NftPortmap(counting, lockPath: "/tmp/swcni-nft-repeat-\(UInt32.random(in: 0...UInt32.max)).lock", tableMayExist: { true })
        var config = PortmapConfig()
        config.backend = .nftables
        config.mappings = [PortMapping(hostPort: 8080, containerPort: 80)]
        config.containerV4 = IPNetwork("10.250.0.2/24")
        try backend.teardown(RuleOwner(network: "mynet", containerID: "c1", ifName: "eth0"), config)
        try backend.teardown(RuleOwner(network: "mynet", containerID: "c1", ifName: "eth0"), nil)
        #expect(counting.lists == 0 && fake.scripts.isEmpty)
    }
}
