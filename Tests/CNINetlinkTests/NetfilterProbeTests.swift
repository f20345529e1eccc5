// NetfilterProbeTests: the nfnetlink table probe sees tables appear and go, inside a private namespace.
import CNINamespace
import CNINetlink
import CNISpec
import CNISystem
import CNITesting
import Testing

@Suite(.enabled(if: TestNamespace.isRoot, "needs root to create network namespaces"))
struct NetfilterProbeTests {
    /// Runs `nft <script>` inside the namespace.
    func nft(_ ns: TestNamespace, _ script: String) throws {
        let out = try Subprocess.run("/usr/sbin/ip", arguments: ["netns", "exec", ns.name, "nft", "-f", "-"],
                                     environment: ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin"], input: Array(script.utf8))
        try #require(out.succeeded, "nft failed")
    }

    @Test func seesAnNftablesTableOnlyWhileItExists() throws {
        let ns = try TestNamespace()
        let exists = { () throws(CNIError) -> Bool in
            try ns.namespace.run { () throws(CNIError) in NetfilterProbe.tableExists(family: "inet", name: "swcni_probe") }
        }
        #expect(try exists() == false)
        try nft(ns, "add table inet swcni_probe\n")
        #expect(try exists() == true)
        #expect(try ns.namespace.run { () throws(CNIError) in NetfilterProbe.tableExists(family: "ip", name: "swcni_probe") } == false)
        try nft(ns, "delete table inet swcni_probe\n")
        #expect(try exists() == false)
    }

    @Test func iptablesNatTableIsSeenOnceIptablesUsedIt() throws {
        let ns = try TestNamespace()
        let mayExist = { () throws(CNIError) -> Bool in
            try ns.namespace.run { () throws(CNIError) in NetfilterProbe.iptablesTableMayExist("nat", family: .v4) }
        }
        #expect(try mayExist() == false)
        let out = try Subprocess.run("/usr/sbin/ip", arguments: ["netns", "exec", ns.name, "iptables", "-t", "nat", "-N", "SWCNI-PROBE"],
                                     environment: ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin"])
        try #require(out.succeeded)
        #expect(try mayExist() == true)
    }
}
