// NftElementNetlinkTests: the nftables backend's in-process element reads and transactions against a real table in a
// private namespace, checked with nft itself both ways (what we write, nft lists identically; what nft wrote, we find and delete).
import CNIFirewall
import CNISpec
import CNITesting
import PortmapPlugin
import Testing

@Suite(.enabled(if: TestNamespace.isRoot, "needs root to create network namespaces"))
struct NftElementNetlinkTests {
    let mine = RuleOwner(network: "mynet", containerID: "abc", ifName: "eth0")
    let other = RuleOwner(network: "mynet", containerID: "old", ifName: "eth0")

    func config(_ v4: String = "10.250.0.2/24", _ v6: String = "fd00::2/64", mappings: [PortMapping]) -> PortmapConfig {
        var c = PortmapConfig()
        c.backend = .nftables
        c.mappings = mappings
        c.containerV4 = IPNetwork(v4); c.containerV6 = IPNetwork(v6)
        return c
    }

    var mappings: [PortMapping] {
        [PortMapping(hostPort: 8080, containerPort: 80), PortMapping(hostPort: 5353, containerPort: 53, proto: .udp),
         PortMapping(hostPort: 9090, containerPort: 90, proto: .sctp, hostIP: IPAddress("192.0.2.1")),
         PortMapping(hostPort: 9091, containerPort: 91, hostIP: IPAddress("2001:db8::1"))]
    }

    /// Runs `body` inside a fresh namespace holding the portmap table's skeleton (written by nft).
    func inTable(_ body: (SystemNftTable) throws -> Void) throws {
        let ns = try TestNamespace()
        try ns.namespace.run { () throws(CNIError) in
            let table = SystemNftTable()
            try table.apply(NftPortmapRules(owner: other, config: PortmapConfig()).setupScript(current: NftPortmapState()))
            do { try body(table) } catch let e as CNIError { throw e } catch { throw CNIError(.systemFailure, "\(error)") }
        }
    }

    func listed(_ table: SystemNftTable) throws -> [NftElement] {
        try NftPortmapState(listing: #require(try table.list(family: "inet", table: NftPortmapRules.table))).elements
    }

    func sorted(_ e: [NftElement]) -> [String] { e.map { "\($0.set) \($0.key) \($0.data ?? "-") \($0.comment)" }.sorted() }

    @Test func elementsWrittenInProcessAreListedByNftExactlyAsRendered() throws {
        try inTable { table in
            let rules = NftPortmapRules(owner: mine, config: config(mappings: mappings))
            try table.change(try #require(rules.fastChanges()))
            #expect(sorted(try listed(table)) == sorted(rules.allElements))
            // Reading them back in-process gives the same keys, data and comments.
            for set in Set(rules.allElements.map(\.set)) where set.hasPrefix("dnat") {
                let keys = rules.allElements.filter { $0.set == set }.map(\.key)
                #expect(sorted(try #require(table.elements(set: set, keys: keys))) == sorted(rules.allElements.filter { $0.set == set }))
                #expect(sorted(try #require(try table.elements(set: set))) == sorted(rules.allElements.filter { $0.set == set }))
            }
            #expect(table.holds(commentPrefix: rules.instanceHash))
            try table.change(try #require(rules.fastTeardownChanges()))
            #expect(try listed(table).isEmpty)
            #expect(!table.holds(commentPrefix: rules.instanceHash))
        }
    }

    @Test func aConditionalRuleIsFoundByItsComment() throws {
        try inTable { table in
            var c = config(mappings: [PortMapping(hostPort: 8080, containerPort: 80)])
            c.conditionsV4 = ["ip", "saddr", "192.0.2.0/24"]
            c.containerV6 = nil
            let rules = NftPortmapRules(owner: mine, config: c)
            try table.apply(rules.setupScript(current: NftPortmapState(listing: try #require(try table.list(family: "inet", table: NftPortmapRules.table)))))
            #expect(table.holds(commentPrefix: rules.instanceHash))
            #expect(!table.holds(commentPrefix: NftPortmapRules(owner: other, config: PortmapConfig()).instanceHash))
        }
    }

    @Test func elementsWrittenByNftAreFoundAndDeletedInProcess() throws {
        try inTable { table in
            let rules = NftPortmapRules(owner: mine, config: config(mappings: mappings))
            let state = NftPortmapState(listing: try #require(try table.list(family: "inet", table: NftPortmapRules.table)))
            try table.apply(rules.setupScript(current: state))
            #expect(table.elements(set: "dnat4any", keys: ["tcp . 8080", "udp . 5353"])?.allSatisfy { $0.comment == NftPortmapRules.comment(mine) } == true)
            #expect(table.elements(set: "dnat4any", keys: ["tcp . 8080", "tcp . 8081"]) == nil, "a missing key")
            #expect(try table.elements(set: "dnat4")?.map(\.key) == ["192.0.2.1 . sctp . 9090"])
            try table.change(try #require(rules.fastTeardownChanges()))
            #expect(try listed(table).isEmpty)
        }
    }

    @Test func aTransactionWithAnExistingKeyChangesNothing() throws {
        try inTable { table in
            let theirs = NftPortmapRules(owner: other, config: config("10.250.0.9/24", "fd00::9/64", mappings: [PortMapping(hostPort: 5353, containerPort: 53, proto: .udp)]))
            try table.change(try #require(theirs.fastChanges()))
            let before = sorted(try listed(table))
            let rules = NftPortmapRules(owner: mine, config: config(mappings: mappings))
            #expect(throws: CNIError.self) { try table.change(try #require(rules.fastChanges())) }
            #expect(sorted(try listed(table)) == before)
            // A host-address mapping is refused when someone maps the port on any address (the probe).
            let specific = NftPortmapRules(owner: mine, config: config(mappings: [PortMapping(hostPort: 5353, containerPort: 53, proto: .udp, hostIP: IPAddress("192.0.2.1"))]))
            #expect(throws: CNIError.self) { try table.change(try #require(specific.fastChanges())) }
            #expect(sorted(try listed(table)) == before)
            // Deleting a key that is not there fails as a whole too.
            #expect(throws: CNIError.self) { try table.change(try #require(rules.fastTeardownChanges())) }
            #expect(sorted(try listed(table)) == before)
        }
    }

    @Test func aMissingTableReadsAsNil() throws {
        let ns = try TestNamespace()
        try ns.namespace.run { () throws(CNIError) in
            let table = SystemNftTable()
            #expect(try table.elements(set: "dnat4") == nil)
            #expect(table.elements(set: "dnat4any", keys: ["tcp . 80"]) == nil)
        }
    }
}
