// BridgeRollbackTests: a failure at each ADD step after IPAM leaves no veth, releases the lease and removes masquerade.
import CNIJSON
import CNISpec
import CNITesting
import Testing

/// Where a fault is injected, and how.
struct Fault: Sendable, CustomTestStringConvertible {
    let step: String
    let inject: @Sendable (BridgeHarness) -> Void
    var testDescription: String { step }
}

private let boom = CNIError(.systemFailure, "injected failure")
/// What setting vlan_filtering answers on a kernel without bridge VLAN filtering.
private let noVlanFiltering = CNIError(.systemFailure, "setting vlan_filtering 1 on br-test: Operation not supported")

let faults: [Fault] = [
    Fault(step: "veth creation") { $0.container.failures["createVeth"] = boom },
    Fault(step: "attach to bridge") { $0.host.failures["setMaster"] = boom },
    Fault(step: "port flags") { $0.host.failures["setBridgePort"] = boom },
    Fault(step: "host veth up") { h in
        // The bridge is already up when it exists, so the only setLink on the host is the veth's.
        h.host.seedLink("br-test", kind: "bridge", up: true)
        h.host.failures["setLink"] = boom
    },
    Fault(step: "container address") { $0.container.failures["addAddress"] = boom },
    Fault(step: "container route") { $0.container.failures["addRoute"] = boom },
    Fault(step: "gateway address") { $0.host.failures["addAddress"] = boom },
    Fault(step: "masquerade setup") { $0.iptables.failures["setup"] = boom },
    Fault(step: "after masquerade (reading the bridge's MAC)") { h in
        h.iptables.afterSetup = { [unowned h] in h.host.failures["link"] = boom }
    },
]

@Suite struct BridgeRollbackTests {
    @Test(arguments: faults)
    func failedAddLeavesNoVethAndReleasesIPAM(_ fault: Fault) throws {
        let h = BridgeHarness()
        fault.inject(h)
        let error = try reportedError(h.run("ADD", netconf(["isDefaultGateway": true, "ipMasq": true, "hairpinMode": true])))
        #expect(error.text.contains("injected failure"))
        #expect(h.container.linkNamed("eth0") == nil, "container veth left behind")
        #expect(h.hostVeths.isEmpty, "host veth left behind: \(h.hostVeths)")
        #expect(h.kernel.vethPairs.isEmpty)
        #expect(h.ipam.verbs == ["ADD", "DEL"])
        #expect(h.iptables.active.isEmpty, "masquerade left behind")
        let setUp = h.iptables.calls.contains { $0.hasPrefix("setup") } && h.iptables.failures["setup"] == nil
        #expect(h.iptables.calls.contains { $0.hasPrefix("teardown") } == setUp, "\(h.iptables.calls)")
    }

    /// A host veth name taken ten times over is a system failure, not "interface exists" (which a runtime
    /// reads as its own container's interface), and nothing is left behind.
    @Test func vethNameClashesRunOutAsASystemFailure() throws {
        let h = BridgeHarness()
        h.container.failures["createVeth"] = CNIError(.alreadyExists, "creating veth eth0: Object exists")
        let error = try reportedError(h.run("ADD", netconf(["ipMasq": true])))
        #expect(error.code == 100 && error.msg.contains("free host veth name"), "\(error)")
        #expect(h.container.calls.filter { $0.hasPrefix("createVeth") }.count == 10)
        #expect(h.container.linkNamed("eth0") == nil && h.hostVeths.isEmpty)
        #expect(h.ipam.verbs == ["ADD", "DEL"])
    }

    /// IPAM runs beside the bridge and veth setup, so its failure has to undo them.
    @Test func ipamFailureUndoesTheVethAndStillCallsDEL() throws {
        let h = BridgeHarness()
        h.host.seedLink("br-test", kind: "bridge", up: true)
        h.ipam.failures["ADD"] = CNIError(.addressesExhausted, "no addresses left in 10.22.0.0/16")
        let error = try reportedError(h.run("ADD", netconf(["ipMasq": true])))
        #expect(error.code == 101 && error.msg.contains("no addresses left"))
        #expect(h.ipam.verbs == ["ADD", "DEL"], "the spec asks for a delegate DEL after a failed ADD")
        #expect(h.container.linkNamed("eth0") == nil && h.hostVeths.isEmpty)
        #expect(h.iptables.calls.isEmpty)
    }

    /// On a host without the bridge yet, IPAM answers before the bridge is created: a bad IPAM config
    /// leaves no bridge behind.
    @Test func ipamFailureOnAHostWithoutTheBridgeCreatesNothing() throws {
        let h = BridgeHarness()
        h.ipam.failures["ADD"] = CNIError(.invalidNetworkConfig, "invalid range")
        let error = try reportedError(h.run("ADD", netconf(["ipMasq": true, "isGateway": true])))
        #expect(error.code == 7 && error.msg.contains("invalid range"))
        #expect(h.host.linkNamed("br-test") == nil, "bridge left behind")
        #expect(!h.host.calls.contains { $0.hasPrefix("createBridge") }, "\(h.host.calls)")
        #expect(!h.container.calls.contains { $0.hasPrefix("createVeth") })
        #expect(h.ipam.verbs == ["ADD", "DEL"])
    }

    /// A bridge this ADD created is deleted again when setting it up fails (here VLAN filtering).
    @Test func bridgeCreatedByAFailedSetupIsDeleted() throws {
        let h = BridgeHarness()
        h.host.failures["setVlanFiltering"] = noVlanFiltering
        let error = try reportedError(h.run("ADD", netconf(["vlan": 10])))
        #expect(error.code == 100 && error.msg.contains("CONFIG_BRIDGE_VLAN_FILTERING"), "\(error)")
        #expect(h.host.calls.contains { $0.hasPrefix("createBridge") })
        #expect(h.host.linkNamed("br-test") == nil, "bridge left behind")
        #expect(h.container.linkNamed("eth0") == nil && h.hostVeths.isEmpty)
        #expect(h.ipam.verbs == ["ADD", "DEL"])
    }

    /// An existing bridge is never deleted, whatever fails.
    @Test func existingBridgeSurvivesAFailedSetup() throws {
        let h = BridgeHarness()
        h.host.seedLink("br-test", kind: "bridge", up: true)
        h.host.failures["setVlanFiltering"] = noVlanFiltering
        _ = try reportedError(h.run("ADD", netconf(["vlan": 10])))
        #expect(h.host.linkNamed("br-test") != nil)
    }

    @Test func existingContainerInterfaceIsAnErrorAndIsNotDeleted() throws {
        let h = BridgeHarness()
        h.container.seedLink("eth0", kind: "veth")
        let error = try reportedError(h.run("ADD", netconf()))
        #expect(error.code == 102 && error.msg.contains("container interface eth0 already exists"))
        #expect(h.container.linkNamed("eth0") != nil, "someone else's eth0 must survive the rollback")
        #expect(h.ipam.verbs.isEmpty, "checked before IPAM: a DEL would free the lease the first ADD holds")
    }

    @Test func theBridgeCreatedByAFailedAddStays() throws {
        let h = BridgeHarness()
        h.container.failures["createVeth"] = boom
        _ = try reportedError(h.run("ADD", netconf()))
        #expect(h.host.linkNamed("br-test")?.kind == "bridge", "as the reference: bridges are shared, never removed")
    }
}
