// IptablesMasqueradeKernelTests: ipMasq's DEL through in-process nf_tables against the real iptables-nft, in private
// namespaces: it removes what the ADD made (both families) without iptables-restore, and leaves the batch path
// the cases it does not own alone (a second interface's jump to the shared chain).
import CNIFirewall
import CNINamespace
import CNISpec
import CNITesting
import Testing

@Suite(.serialized, .enabled(if: TestNamespace.isRoot && SystemIptablesKernel().available(.v4), "needs root and iptables-nft"))
struct IptablesMasqueradeKernelTests {
    let owner = RuleOwner(network: "masqnet", containerID: "c1", ifName: "eth0")
    let eth0 = [IPNetwork("10.250.0.5/24")!, IPNetwork("fd00:250::5/64")!]
    let eth1 = [IPNetwork("10.250.0.6/24")!]

    @Test func delRemovesTheJumpsAndTheChainWithoutIptablesRestore() throws {
        let ns = try TestNamespace()
        try ns.namespace.run { () throws(CNIError) in
            let restores = RestoreCounter()
            try IptablesMasquerade(restores).setup(owner, addresses: eth0)
            #expect(restores.restores == 2)
            let chain = owner.chainName()
            for family in [IPFamily.v4, .v6] {
                let jumps = (try SystemIptablesKernel().rules(family, "POSTROUTING") ?? []).filter { $0.target == chain }
                #expect(jumps.map(\.source) == [eth0.first { $0.family == family }!.address], "the reader sees -s")
            }
            try IptablesMasquerade(restores, kernel: SystemIptablesKernel()).teardown(owner, addresses: eth0)
            #expect(restores.restores == 2, "no iptables-restore on DEL")
            for family in [IPFamily.v4, .v6] {
                let table = try SystemIptables().save(family, table: "nat")
                #expect(!table.hasChain(chain))
                #expect(table.rules(in: "POSTROUTING").isEmpty)
            }
            // Again: nothing left is success.
            try IptablesMasquerade(restores, kernel: SystemIptablesKernel()).teardown(owner, addresses: eth0)
        }
    }

    @Test func aSecondInterfacesJumpKeepsTheSharedChain() throws {
        let ns = try TestNamespace()
        try ns.namespace.run { () throws(CNIError) in
            let second = RuleOwner(network: owner.network, containerID: owner.containerID, ifName: "eth1")
            try IptablesMasquerade().setup(owner, addresses: eth0)
            try IptablesMasquerade().setup(second, addresses: eth1)
            let masquerade = IptablesMasquerade(kernel: SystemIptablesKernel())
            try masquerade.teardown(owner, addresses: eth0)
            let chain = owner.chainName()
            var v4 = try SystemIptables().save(.v4, table: "nat")
            #expect(v4.hasChain(chain))
            let left = v4.rules(in: "POSTROUTING", jumpingTo: chain)
            #expect(left.count == 1 && left[0].contains("-s 10.250.0.6/32"))
            #expect(!(try SystemIptables().save(.v6, table: "nat")).hasChain(chain))
            try masquerade.teardown(second, addresses: eth1)
            v4 = try SystemIptables().save(.v4, table: "nat")
            #expect(!v4.hasChain(chain) && v4.rules(in: "POSTROUTING").isEmpty)
        }
    }
}

/// SystemIptables, counting the restores.
final class RestoreCounter: Iptables, @unchecked Sendable {
    let system = SystemIptables()
    private(set) var restores = 0
    func save(_ family: IPFamily, table: String) throws(CNIError) -> IptablesTable { try system.save(family, table: table) }
    func restore(_ family: IPFamily, batch: String) throws(CNIError) { restores += 1; try system.restore(family, batch: batch) }
}
