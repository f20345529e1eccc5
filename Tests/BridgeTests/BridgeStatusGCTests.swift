// BridgeStatusGCTests: STATUS (non-bridge link is 50, IPAM asked) and GC (IPAM GC, masquerade GC of the valid owners).
import CNIFirewall
import CNIJSON
import CNISpec
import CNITesting
import Testing

@Suite struct BridgeStatusTests {
    @Test func statusSucceedsWithAMissingOrRealBridge() throws {
        let h = BridgeHarness()
        #expect(h.run("STATUS", netconf(version: "1.1.0")).exitCode == 0)
        h.host.seedLink("br-test", kind: "bridge")
        #expect(h.run("STATUS", netconf(version: "1.1.0")).exitCode == 0)
        #expect(h.ipam.verbs == ["STATUS", "STATUS"])
    }

    @Test func nonBridgeLinkIs50() throws {
        let h = BridgeHarness()
        h.host.seedLink("br-test", kind: "dummy")
        let error = try reportedError(h.run("STATUS", netconf(version: "1.1.0")))
        #expect(error.code == 50)
        #expect(error.msg.contains("br-test") && error.msg.contains("not a bridge") && error.msg.contains("dummy"))
    }

    @Test func ipamStatusIsDelegated() throws {
        let h = BridgeHarness()
        h.ipam.failures["STATUS"] = CNIError(.addressesExhausted, "fake-ipam: no free addresses")
        let error = try reportedError(h.run("STATUS", netconf(version: "1.1.0")))
        #expect(error.code == 101 && error.msg.contains("no free addresses"))
    }

    @Test func l2StatusDoesNotCallIPAM() throws {
        let h = BridgeHarness()
        #expect(h.run("STATUS", netconf(ipam: l2, version: "1.1.0")).exitCode == 0)
        #expect(h.ipam.calls.isEmpty)
    }
}

@Suite struct BridgeGCTests {
    private func gcConfig(_ keys: [String: JSON] = [:], valid: [(String, String)]?) -> String {
        var all = keys
        if let valid {
            all["cni.dev/valid-attachments"] = .array(valid.map { ["containerID": .string($0.0), "ifname": .string($0.1)] })
        }
        return netconf(all, version: "1.1.0")
    }

    @Test func gcCallsIPAMAndMasqueradeGCWithTheValidOwners() throws {
        let h = BridgeHarness()
        let out = h.run("GC", gcConfig(["ipMasq": true], valid: [("c1", "eth0"), ("c2", "net1")]))
        #expect(out.exitCode == 0, "\(out.stdout)")
        #expect(h.ipam.verbs == ["GC"])
        let expected: Set<RuleOwner> = [RuleOwner(network: "br-net", containerID: "c1", ifName: "eth0"),
                                        RuleOwner(network: "br-net", containerID: "c2", ifName: "net1")]
        for backend in [h.iptables, h.nftables] {
            #expect(backend.gcCalls.count == 1)
            #expect(backend.gcCalls.first?.network == "br-net")
            #expect(backend.gcCalls.first?.valid == expected)
        }
    }

    @Test func gcRemovesOnlyStaleAttachments() throws {
        let h = BridgeHarness()
        let config = netconf(["ipMasq": true])
        #expect(h.run("ADD", config).exitCode == 0)
        h.containerID = "c2"; h.ifName = "eth1"
        #expect(h.run("ADD", config).exitCode == 0)
        #expect(h.iptables.active.count == 2)
        #expect(h.run("GC", gcConfig(["ipMasq": true], valid: [("c2", "eth1")])).exitCode == 0)
        #expect(Array(h.iptables.active.keys) == [h.owner])
    }

    @Test func noValidAttachmentsMeansNoMasqueradeGC() throws {
        let h = BridgeHarness()
        #expect(h.run("GC", gcConfig(["ipMasq": true], valid: nil)).exitCode == 0)
        #expect(h.iptables.calls.isEmpty && h.nftables.calls.isEmpty)
        #expect(h.ipam.verbs == ["GC"])
    }

    @Test func noIpMasqMeansNoMasqueradeGC() throws {
        let h = BridgeHarness()
        #expect(h.run("GC", gcConfig(valid: [("c1", "eth0")])).exitCode == 0)
        #expect(h.iptables.calls.isEmpty && h.nftables.calls.isEmpty)
    }

    @Test func l2GCDoesNotCallIPAM() throws {
        let h = BridgeHarness()
        #expect(h.run("GC", netconf(["ipMasq": true], ipam: l2, version: "1.1.0")).exitCode == 0)
        #expect(h.ipam.calls.isEmpty)
    }

    /// A host without `nft` (or without iptables) must not fail every GC of a network using the other tool.
    @Test(arguments: ["iptables", "nftables"])
    func onlyTheConfiguredBackendsGCFailureIsReported(_ configured: String) throws {
        let h = BridgeHarness()
        let other = configured == "iptables" ? h.nftables : h.iptables
        other.failures["gc"] = CNIError(.systemFailure, "not found: install it")
        let keys: [String: JSON] = ["ipMasq": true, "ipMasqBackend": .string(configured)]
        #expect(h.run("GC", gcConfig(keys, valid: [])).exitCode == 0)
        #expect(other.gcCalls.isEmpty && other.calls.count == 1, "tried, best effort")
        let mine = configured == "iptables" ? h.iptables : h.nftables
        mine.failures["gc"] = CNIError(.systemFailure, "\(configured) broke")
        let error = try reportedError(h.run("GC", gcConfig(keys, valid: [])))
        #expect(error.msg == "\(configured) masquerade GC: \(configured) broke")
    }

    @Test func gcFailuresAreCollected() throws {
        let h = BridgeHarness()
        h.ipam.failures["GC"] = CNIError(.delegateFailed, "fake-ipam: gc failed")
        h.iptables.failures["gc"] = CNIError(.systemFailure, "iptables-save: exit 1")
        let error = try reportedError(h.run("GC", gcConfig(["ipMasq": true], valid: [])))
        #expect(error.msg == "2 cleanup steps failed")
        #expect(error.details.contains("IPAM GC: fake-ipam: gc failed") && error.details.contains("iptables masquerade GC"))
        #expect(h.nftables.gcCalls.count == 1, "the nftables GC still ran")
    }
}
