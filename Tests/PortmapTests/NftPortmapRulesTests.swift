// NftPortmapRulesTests: golden nft transactions of the nftables backend, listing parsing, ownership, conflicts, GC.
import CNIFirewall
import CNIJSON
import CNISpec
import PortmapPlugin
import Testing

@Suite struct NftPortmapRulesTests {
    let owner = RuleOwner(network: "mynet", containerID: "abc", ifName: "eth0")

    func config() -> PortmapConfig {
        var c = PortmapConfig()
        c.backend = .nftables
        c.mappings = [PortMapping(hostPort: 8080, containerPort: 80),
                      PortMapping(hostPort: 5353, containerPort: 53, proto: .udp, hostIP: IPAddress("192.0.2.1"))]
        c.containerV4 = IPNetwork("10.250.0.2/24"); c.containerV6 = IPNetwork("fd00::2/64")
        return c
    }

    var comment: String { NftPortmapRules.comment(owner) }

    @Test func commentHoldsBothHashesAndNames() {
        let net = String(SHA512.hex(Array("mynet".utf8)).prefix(16)), inst = String(SHA512.hex(Array("eth0:abc".utf8)).prefix(16))
        #expect(comment == "\(net)-\(inst) net: mynet if: eth0 id: abc")
        #expect(NftPortmapRules.comment(RuleOwner(network: "n", containerID: String(repeating: "x", count: 300), ifName: "e")).utf8.count == 128)
    }

    @Test func setupOnAnEmptyHostIsSkeletonPlusOneElementPerMapping() {
        let script = NftPortmapRules(owner: owner, config: config()).setupScript(current: NftPortmapState())
        let t = "inet swcni_portmap", c = comment
        #expect(script.hasPrefix("add table \(t)\nadd map \(t) dnat4 { type ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service ; }\n"))
        #expect(script.contains("add rule \(t) prerouting fib daddr type local jump hostports\nadd rule \(t) output fib daddr type local jump hostports\n"))
        #expect(script.contains("add rule \(t) hostports dnat ip to ip daddr . meta l4proto . th dport map @dnat4\n"))
        #expect(script.contains("add rule \(t) postrouting ct status dnat ip6 saddr . ip6 daddr @masq6 masquerade\n"))
        #expect(script.hasSuffix("""
        add element \(t) dnat4any { tcp . 8080 comment "\(c)" : 10.250.0.2 . 80 }
        add element \(t) dnat4 { 192.0.2.1 . udp . 5353 comment "\(c)" : 10.250.0.2 . 53 }
        add element \(t) masq4 { 10.250.0.0/24 . 10.250.0.2 comment "\(c)" }
        add element \(t) masq4 { 127.0.0.1 . 10.250.0.2 comment "\(c)" }
        add element \(t) dnat6any { tcp . 8080 comment "\(c)" : fd00::2 . 80 }
        add element \(t) masq6 { fd00::/64 . fd00::2 comment "\(c)" }

        """))
        #expect(!script.contains("delete"))
    }

    /// `nft -j -a list table inet swcni_portmap` as nft 1.0.6 prints it (abridged), with two owners.
    func listing(other: String = "d23676b4f2d9fe04-0000000000000000 net: mynet if: eth0 id: old") throws -> NftPortmapState {
        let text = """
        {"nftables": [{"metainfo": {"json_schema_version": 1}},
         {"table": {"family": "inet", "name": "swcni_portmap", "handle": 1}},
         {"map": {"family": "inet", "name": "dnat4", "table": "swcni_portmap", "type": ["ipv4_addr", "inet_proto", "inet_service"], "handle": 1, "map": "ipv4_addr . inet_service",
           "elem": [[{"elem": {"val": {"concat": ["192.0.2.1", "udp", 5353]}, "comment": "\(comment)"}}, {"concat": ["10.250.0.2", 53]}]]}},
         {"map": {"family": "inet", "name": "dnat4any", "table": "swcni_portmap", "type": ["inet_proto", "inet_service"], "handle": 2, "map": "ipv4_addr . inet_service",
           "elem": [[{"elem": {"val": {"concat": ["tcp", 8080]}, "comment": "\(comment)"}}, {"concat": ["10.250.0.2", 80]}],
                    [{"elem": {"val": {"concat": ["tcp", 9090]}, "comment": "\(other)"}}, {"concat": ["10.250.0.7", 80]}]]}},
         {"set": {"family": "inet", "name": "masq4", "table": "swcni_portmap", "type": ["ipv4_addr", "ipv4_addr"], "handle": 4, "flags": ["interval"],
           "elem": [{"elem": {"val": {"concat": [{"prefix": {"addr": "10.250.0.0", "len": 24}}, "10.250.0.2"]}, "comment": "\(comment)"}}]}},
         {"rule": {"family": "inet", "table": "swcni_portmap", "chain": "prerouting", "handle": 9, "expr": []}},
         {"rule": {"family": "inet", "table": "swcni_portmap", "chain": "hostports_conditional", "handle": 12, "comment": "\(comment)", "expr": []}}]}
        """
        return NftPortmapState(listing: try JSON.parse(Array(text.utf8)))
    }

    @Test func parsesElementsWithKeysDataAndComments() throws {
        let state = try listing()
        #expect(state.elements.first == NftElement(set: "dnat4", key: "192.0.2.1 . udp . 5353", data: "10.250.0.2 . 53", comment: comment))
        #expect(state.elements.contains(NftElement(set: "masq4", key: "10.250.0.0/24 . 10.250.0.2", comment: comment)))
        #expect(state.elements.count == 4 && state.rules.count == 2)
    }

    @Test func teardownDeletesOnlyItsOwnThenTheWholeTable() throws {
        let rules = NftPortmapRules(owner: owner, config: PortmapConfig())
        #expect(rules.teardownScript(current: try listing()) == """
        delete element inet swcni_portmap dnat4 { 192.0.2.1 . udp . 5353 }
        delete element inet swcni_portmap dnat4any { tcp . 8080 }
        delete element inet swcni_portmap masq4 { 10.250.0.0/24 . 10.250.0.2 }
        delete rule inet swcni_portmap hostports_conditional handle 12

        """)
        #expect(rules.teardownScript(current: try listing(other: comment)) == "delete table inet swcni_portmap\n")
        #expect(rules.teardownScript(current: NftPortmapState()) == nil)
    }

    @Test func repeatedSetupReplacesItsOwnElements() throws {
        let script = NftPortmapRules(owner: owner, config: config()).setupScript(current: try listing())
        #expect(script.contains("delete element inet swcni_portmap dnat4any { tcp . 8080 }\n"))
        #expect(!script.contains("tcp . 9090 }"))
    }

    @Test func conflictsAcrossAnyAndSpecificHostAddresses() throws {
        var c = config()
        c.mappings = [PortMapping(hostPort: 9090, containerPort: 80, hostIP: IPAddress("192.0.2.9")), PortMapping(hostPort: 9091, containerPort: 80)]
        let mine = NftPortmapRules(owner: RuleOwner(network: "mynet", containerID: "new", ifName: "eth0"), config: c)
        let found = mine.conflicts(current: try listing())
        #expect(found.count == 1 && found[0].contains("tcp/192.0.2.9:9090 (IPv4) is already mapped by net: mynet if: eth0 id: old"))
        #expect(NftPortmapRules(owner: owner, config: config()).conflicts(current: try listing()).isEmpty, "own elements are no conflict")
    }

    @Test func checkComparesElementsAndData() throws {
        var c = config()
        c.containerV6 = nil
        c.snat = false
        #expect(NftPortmapRules(owner: owner, config: c).missing(current: try listing()) == ["rules of chain output", "rules of chain hostports", "rules of chain postrouting"])
        c.mappings[0].containerPort = 81
        #expect(NftPortmapRules(owner: owner, config: c).missing(current: try listing()).first == "element tcp . 8080 : 10.250.0.2 . 81 in dnat4any")
    }

    @Test func gcDeletesStaleOwnersOfTheNetworkOnly() throws {
        let script = NftPortmapRules.gcScript(network: "mynet", valid: [owner], current: try listing(other: "d23676b4f2d9fe04-0000000000000000 net: mynet if: eth0 id: old"))
        #expect(script == "delete element inet swcni_portmap dnat4any { tcp . 9090 }\n")
        #expect(NftPortmapRules.gcScript(network: "othernet", valid: [], current: try listing()) == nil)
    }
}
