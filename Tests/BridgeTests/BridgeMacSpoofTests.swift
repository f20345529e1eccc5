// BridgeMacSpoofTests: macspoofchk set up with the container's MAC, undone on failure, removed on DEL;
// DEL succeeds with a config whose MAC or CNI_ARGS an ADD would reject.
import CNIFirewall
import CNISpec
import CNITesting
import Testing

@Suite struct BridgeMacSpoofTests {
    let config = #"{"cniVersion":"1.1.0","name":"net","type":"bridge","macspoofchk":true,"ipam":{"type":"fake"}}"#

    @Test func addSetsUpRulesForTheContainerMACOnTheHostVeth() throws {
        let h = BridgeHarness()
        let result = try h.add(config)
        let owner = RuleOwner(network: "net", containerID: h.containerID, ifName: h.ifName)
        let rule = try #require(h.macSpoof.rules[owner])
        #expect(rule.hostVeth == result.interfaces[1].name)
        #expect(rule.mac.description == result.interfaces[2].mac)
    }

    @Test func aLaterFailureRemovesTheRules() throws {
        let h = BridgeHarness()
        h.iptables.failures["setup"] = CNIError(.systemFailure, "injected")
        let masq = #"{"cniVersion":"1.1.0","name":"net","type":"bridge","macspoofchk":true,"ipMasq":true,"ipam":{"type":"fake"}}"#
        #expect(h.run("ADD", masq).exitCode != 0)
        #expect(h.macSpoof.rules.isEmpty)
        #expect(h.macSpoof.calls.contains("teardown \(h.containerID)/\(h.ifName)"))
    }

    @Test func delRemovesTheRules() throws {
        let h = BridgeHarness()
        _ = try h.add(config)
        #expect(h.run("DEL", config).exitCode == 0)
        #expect(h.macSpoof.rules.isEmpty)
    }

    @Test func noRulesWithoutTheKey() throws {
        let h = BridgeHarness()
        _ = try h.add(#"{"cniVersion":"1.1.0","name":"net","type":"bridge","ipam":{"type":"fake"}}"#)
        #expect(h.macSpoof.calls.isEmpty)
    }

    @Test(arguments: [(#","runtimeConfig":{"mac":"not-a-mac"}"#, ""), ("", "FOO=bar"), ("", "MAC=zz:zz")])
    func delIgnoresWhatOnlyAddNeeds(_ extra: String, _ cniArgs: String) throws {
        let h = BridgeHarness()
        if !cniArgs.isEmpty { h.cniArgs = cniArgs }
        let bad = #"{"cniVersion":"1.1.0","name":"net","type":"bridge","ipam":{"type":"fake"}\#(extra)}"#
        #expect(h.run("ADD", bad).exitCode != 0)
        #expect(h.run("DEL", bad).exitCode == 0)
    }
}
