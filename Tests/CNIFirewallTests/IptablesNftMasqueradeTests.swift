// IptablesNftMasqueradeTests: ipMasq's rules written in-process are the rules iptables-restore writes for the same
// batch (nf_tables expressions and iptables-save text, both families, byte-aligned and other prefixes), and iptables
// itself deletes them by their text, as the reference's DEL does. Against the real iptables-nft, in private namespaces.
import CNIFirewall
import CNINamespace
import CNISpec
import CNISystem
import CNITesting
import Testing

@Suite(.serialized, .enabled(if: TestNamespace.isRoot && SystemIptables().isNftVariant(.v4) && SystemIptables().isNftVariant(.v6),
                             "needs root and iptables-nft"))
struct IptablesNftMasqueradeTests {
    let first = RuleOwner(network: "masqnet", containerID: "first", ifName: "eth0")
    let owner = RuleOwner(network: "masqnet", containerID: "c-\"quoted\"", ifName: "eth0")

    static let cases: [[String]] = [
        ["10.250.0.5/24", "fd00:250::5/64"],
        ["10.250.17.5/20", "fd00:250:0:5::5/60"],
        ["10.250.0.5/24", "10.251.0.9/16"],
    ]

    /// The nat tables of both families as nft's netlink debug listing (expressions) and as iptables-save, without
    /// rule handles, counters or the header lines that carry dates.
    func tables() throws -> String {
        var out = ""
        for family in ["ip", "ip6"] {
            let nft = try Subprocess.run(Subprocess.find("nft", inPath: SystemIptables.searchPath)!,
                                         arguments: ["--debug=netlink", "list", "table", family, "nat"], environment: [:])
            out += String(decoding: nft.stdout, as: UTF8.self).split(separator: "\n")
                .filter { $0.hasPrefix("  [") || $0.hasPrefix(family + " nat") }
                .map { $0.hasPrefix(family + " nat") ? String($0.split(separator: " ").prefix(3).joined(separator: " ")) : String($0) }
                .joined(separator: "\n") + "\n"
        }
        for tool in ["iptables-save", "ip6tables-save"] {
            let p = try Subprocess.run(Subprocess.find(tool, inPath: SystemIptables.searchPath)!, arguments: ["-t", "nat"], environment: [:])
            out += String(decoding: p.stdout, as: UTF8.self).split(separator: "\n").filter { !$0.hasPrefix("#") }
                .map { $0.hasPrefix(":") ? String($0.prefix { $0 != "[" }) : String($0) }.joined(separator: "\n") + "\n"
        }
        return out
    }

    /// Sets up `first` with iptables-restore (the table and POSTROUTING then exist, as on a host after its first
    /// pod), then `owner` in-process or not; returns the tables.
    func build(_ addresses: [IPNetwork], inProcess: Bool) throws -> String {
        let ns = try TestNamespace()
        return try ns.namespace.run { () throws(CNIError) -> String in
            do {
                try IptablesMasquerade().setup(first, addresses: [IPNetwork("10.250.0.2/24")!, IPNetwork("fd00:250::2/64")!])
                if inProcess {
                    for family in [IPFamily.v4, .v6] {
                        #expect(IptablesNftMasquerade(MasqueradeRules(owner: owner, addresses: addresses)).apply(family))
                    }
                } else {
                    try IptablesMasquerade().setup(owner, addresses: addresses)
                }
                return try tables()
            } catch let e as CNIError { throw e } catch { throw CNIError(.systemFailure, "\(error)") }
        }
    }

    @Test(arguments: cases)
    func inProcessRulesAreIptablesRestoresRules(_ text: [String]) throws {
        let addresses = text.map { IPNetwork($0)! }
        let restored = try build(addresses, inProcess: false)
        let written = try build(addresses, inProcess: true)
        #expect(written == restored)
        // What was compared: expressions and iptables-save text of the owner's chain and jumps.
        #expect(restored.contains("[ target name MASQUERADE rev 0 ]") && restored.contains("[ match name comment rev 0 ]"))
        #expect(restored.contains("-A POSTROUTING -s \(addresses[0].address)/32 -m comment --comment"))
    }

    @Test func iptablesDeletesThemByTextAndAnExistingChainIsLeftToIptablesRestore() throws {
        let ns = try TestNamespace()
        try ns.namespace.run { () throws(CNIError) in
            let addresses = [IPNetwork("10.250.0.5/24")!, IPNetwork("fd00:250::5/64")!]
            let rules = MasqueradeRules(owner: owner, addresses: addresses)
            // No POSTROUTING yet: nothing written, left to iptables-restore.
            #expect(!IptablesNftMasquerade(rules).apply(.v4))
            try IptablesMasquerade().setup(first, addresses: [IPNetwork("10.250.0.2/24")!])
            #expect(IptablesNftMasquerade(rules).apply(.v4))
            // The chain exists now (a repeated ADD): refused whole, nothing duplicated.
            #expect(!IptablesNftMasquerade(rules).apply(.v4))
            var table = try SystemIptables().save(.v4, table: "nat")
            #expect(table.rules(in: "POSTROUTING", jumpingTo: owner.chainName()).count == 1)
            #expect(table.rules(in: owner.chainName()).count == 2)
            // The reference's DEL: iptables -D with the rule's text, then -F and -X.
            let iptables = Subprocess.find("iptables", inPath: SystemIptables.searchPath)!
            for args in [["-t", "nat", "-D", "POSTROUTING", "-s", "10.250.0.5/32", "-m", "comment", "--comment", owner.comment,
                          "-j", owner.chainName()],
                         ["-t", "nat", "-D", owner.chainName(), "-d", "10.250.0.0/24", "-m", "comment", "--comment", owner.comment, "-j", "ACCEPT"],
                         ["-t", "nat", "-D", owner.chainName(), "!", "-d", "224.0.0.0/4", "-m", "comment", "--comment", owner.comment,
                          "-j", "MASQUERADE"],
                         ["-t", "nat", "-X", owner.chainName()]] {
                let status: Int32
                do throws(SystemError) { status = try Subprocess.run(iptables, arguments: args, environment: [:]).status } catch { throw CNIError(error) }
                #expect(status == 0, "iptables \(args.joined(separator: " "))")
            }
            table = try SystemIptables().save(.v4, table: "nat")
            #expect(!table.hasChain(owner.chainName()))
        }
    }
}
