// IptablesNftNetlinkTests: the iptables backend against the real iptables-nft in private namespaces: the in-process reader
// describes the rules iptables wrote, and the fast paths leave exactly the table the full path leaves, both families.
import CNIFirewall
import CNISpec
import CNISystem
import CNITesting
import Glibc
import PortmapPlugin
import Testing

@Suite(.serialized, .enabled(if: TestNamespace.isRoot && SystemIptablesKernel().available(.v4), "needs root and iptables-nft"))
struct IptablesNftNetlinkTests {
    let lockPath = "/tmp/swcni-iptnft-\(UInt32.random(in: 0...UInt32.max)).lock"

    func config(_ v4: String, _ v6: String, _ mappings: [PortMapping], conditions: [String] = []) -> PortmapConfig {
        var c = PortmapConfig()
        c.mappings = mappings
        c.containerV4 = IPNetwork(v4); c.containerV6 = IPNetwork(v6)
        c.conditionsV4 = conditions
        return c
    }

    /// Pods as (container ID, config): one with a plain mapping, one with 16 TCP ports (two multiport jumps), UDP and a
    /// host address, one with conditions.
    var pods: [(String, PortmapConfig)] {
        [("c0", config("10.250.0.10/24", "fd00::10/64", [PortMapping(hostPort: 9000, containerPort: 80)])),
         ("c1", config("10.250.0.11/24", "fd00::11/64", (1...16).map { PortMapping(hostPort: 8000 + $0, containerPort: 80) }
            + [PortMapping(hostPort: 8053, containerPort: 53, proto: .udp), PortMapping(hostPort: 8443, containerPort: 443, hostIP: IPAddress("192.0.2.1"))])),
         ("c2", config("10.250.0.12/24", "fd00::12/64", [PortMapping(hostPort: 7000, containerPort: 70)], conditions: ["!", "-s", "10.0.0.0/8"]))]
    }

    func owner(_ id: String) -> RuleOwner { RuleOwner(network: "mynet", containerID: id, ifName: "eth0") }

    /// Both families' nat tables as iptables-save prints them, without comments and counters.
    func saved() throws -> String {
        var out = ""
        for tool in ["iptables-save", "ip6tables-save"] {
            let p = try Subprocess.run(Subprocess.find(tool, inPath: SystemIptables.searchPath)!, arguments: ["-t", "nat"], environment: [:])
            out += String(decoding: p.stdout, as: UTF8.self).split(separator: "\n").filter { !$0.hasPrefix("#") }
                .map { $0.hasPrefix(":") ? String($0.prefix { $0 != "[" }) : String($0) }.joined(separator: "\n")
        }
        return out
    }

    /// Runs `steps` (ADD/DEL of pod indexes) in a fresh namespace, with or without the in-process paths, and returns
    /// the tables after each step.
    func run(_ steps: [(String, Int)], fast: Bool, saves: CountingIptables = CountingIptables(),
             inspect: (SystemIptablesKernel) throws -> Void = { _ in }) throws -> [String] {
        let ns = try TestNamespace()
        defer { unlink(lockPath) }
        return try ns.namespace.run { () throws(CNIError) -> [String] in
            do {
                let backend = IptablesPortmap(saves, lockPath: lockPath, kernel: fast ? SystemIptablesKernel() : nil)
                var tables: [String] = []
                for (verb, i) in steps {
                    let (id, conf) = pods[i]
                    if verb == "ADD" { try backend.setup(owner(id), conf) } else { try backend.teardown(owner(id), conf) }
                    tables.append(try saved())
                }
                try inspect(SystemIptablesKernel())
                return tables
            } catch let e as CNIError { throw e } catch { throw CNIError(.systemFailure, "\(error)") }
        }
    }

    @Test func fastPathsLeaveWhatTheFullPathLeaves() throws {
        let steps = [("ADD", 0), ("ADD", 1), ("ADD", 2), ("DEL", 1), ("ADD", 1), ("DEL", 0), ("DEL", 2), ("DEL", 1), ("DEL", 1)]
        let full = try run(steps, fast: false)
        let counting = CountingIptables()
        let fast = try run(steps, fast: true, saves: counting)
        #expect(counting.saves == 2, "only the first ADD, on a fresh host, read the tables with iptables-save")
        for (i, step) in steps.enumerated() {
            #expect(fast[i] == full[i], "after \(step.0) \(pods[step.1].0)")
        }
        #expect(!full[2].contains("CNI-DN-") || full[2].contains("--dports 7000"))
        #expect(!full.last!.contains("CNI-DN-"))
    }

    @Test func theReaderDescribesThePortmapRules() throws {
        _ = try run([("ADD", 0), ("ADD", 1), ("ADD", 2)], fast: true) { kernel in
            let jumps = try #require(try kernel.rules(.v4, IptablesPortmapRules.dnatChain))
            let c1 = IptablesPortmapRules(owner: owner("c1"), config: PortmapConfig()).chain
            let mine = jumps.filter { $0.target == c1 }
            #expect(mine.map(\.dports) == [Array(8001...8015), [8016, 8443], [8053]])
            #expect(mine.map(\.proto) == [6, 6, 17])
            #expect(mine.allSatisfy { $0.comment == "dnat name: \"mynet\" id: \"c1\"" && $0.matches == ["comment", "multiport"] && $0.others == 0 })
            let c2 = IptablesPortmapRules(owner: owner("c2"), config: PortmapConfig()).chain
            #expect(jumps.first { $0.target == c2 }.map { $0.dports == [7000] && $0.others > 0 } == true, "conditions are other expressions")
            #expect(try kernel.rules(.v4, "PREROUTING")?.map(\.matches) == [["addrtype"]])
            let setMark = try #require(try kernel.rules(.v4, IptablesPortmapRules.setMarkChain)?.first)
            #expect(setMark.xtTarget == "MARK" && setMark.setMark == [0x2000, 0x2000] && setMark.comment == "CNI portfwd masquerade mark")
            let masq = try #require(try kernel.rules(.v4, IptablesPortmapRules.masqChain)?.first)
            #expect(masq.xtTarget == "MASQUERADE" && masq.markMatch == [0x2000, 0x2000] && masq.matches.isEmpty && masq.others == 0)
            #expect(try kernel.rules(.v4, "CNI-NO-SUCH-CHAIN") == nil)
            #expect(try kernel.contains(.v4, "POSTROUTING") { $0.target == IptablesPortmapRules.masqChain })
            #expect(try !kernel.contains(.v4, "POSTROUTING") { $0.target == "CNI-NO-SUCH-CHAIN" })
            #expect(try !kernel.contains(.v4, "CNI-NO-SUCH-CHAIN") { _ in true })
            #expect(kernel.chainExists(.v6, c1) == true && kernel.chainExists(.v6, "CNI-NO-SUCH-CHAIN") == false)
        }
    }
}

/// SystemIptables, counting the saves.
final class CountingIptables: Iptables, @unchecked Sendable {
    let system = SystemIptables()
    private(set) var saves = 0
    func save(_ family: IPFamily, table: String) throws(CNIError) -> IptablesTable { saves += 1; return try system.save(family, table: table) }
    func restore(_ family: IPFamily, batch: String) throws(CNIError) { try system.restore(family, batch: batch) }
}
