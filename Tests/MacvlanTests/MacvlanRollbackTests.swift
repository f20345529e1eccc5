// MacvlanRollbackTests: a failure at each ADD step removes the macvlan and releases the lease.
import CNIJSON
import CNISpec
import CNITesting
import Testing

/// Where a fault is injected, and how.
struct Fault: Sendable, CustomTestStringConvertible {
    let step: String
    /// Whether IPAM ADD ran before the fault (then a DEL must follow).
    let ipamCalled: Bool
    let inject: @Sendable (MacvlanHarness) -> Void
    var testDescription: String { step }
}

private let boom = CNIError(.systemFailure, "injected failure")

let faults: [Fault] = [
    Fault(step: "IPAM ADD", ipamCalled: true) { $0.ipam.failures["ADD"] = boom },
    Fault(step: "container address", ipamCalled: true) { $0.container.failures["addAddress"] = boom },
    Fault(step: "container up", ipamCalled: true) { $0.container.failures["setLink"] = boom },
    Fault(step: "container route", ipamCalled: true) { $0.container.failures["addRoute"] = boom },
    Fault(step: "IPAM returns no address", ipamCalled: true) { $0.ipam.result = CNIResult() },
]

@Suite struct MacvlanRollbackTests {
    @Test(arguments: faults)
    func failedAddLeavesNoLinkAndReleasesIPAM(_ fault: Fault) throws {
        let h = MacvlanHarness(addresses: ["10.33.0.5/24"], routes: [Route(dst: IPNetwork("10.99.0.0/16")!)])
        fault.inject(h)
        let error = try reportedError(h.run("ADD", mvconf()))
        #expect(error.text.contains("injected failure") || error.text.contains("no IP addresses"), "\(error.text)")
        #expect(h.container.linkNamed("eth0") == nil, "macvlan left behind")
        #expect(h.container.macvlans.isEmpty)
        #expect(h.ipam.verbs == ["ADD", "DEL"])
        #expect(h.host.createdLinkNames == ["mv0"], "the master stays")
    }

    @Test func failedCreationWithDHCPCallsNoIPAMAndDeletesNothing() throws {
        let h = MacvlanHarness()
        h.host.failures["createMacvlan"] = boom
        let error = try reportedError(h.run("ADD", mvconf(ipam: dhcp)))
        #expect(error.code == 100 && error.text.contains("injected failure"))
        #expect(h.ipam.calls.isEmpty)
        #expect(!h.container.calls.contains { $0.hasPrefix("deleteLink") })
    }

    /// Other IPAM runs beside link creation, so a failed creation releases what IPAM reserved.
    @Test func failedCreationReleasesTheParallelAllocation() throws {
        let h = MacvlanHarness()
        h.host.failures["createMacvlan"] = boom
        _ = try reportedError(h.run("ADD", mvconf()))
        #expect(h.ipam.verbs == ["ADD", "DEL"])
        #expect(!h.container.calls.contains { $0.hasPrefix("deleteLink") })
    }

    @Test func l2FailureAtUpRemovesTheLink() throws {
        let h = MacvlanHarness()
        h.container.failures["setLink"] = boom
        _ = try reportedError(h.run("ADD", mvconf(ipam: l2)))
        #expect(h.container.linkNamed("eth0") == nil)
        #expect(h.ipam.calls.isEmpty)
    }

    @Test func theLeaseIsReleasedBeforeTheLinkGoes() throws {
        let h = MacvlanHarness()
        h.container.failures["addAddress"] = boom
        _ = try reportedError(h.run("ADD", mvconf(ipam: dhcp)))
        #expect(h.ipamSawLink == ["ADD link=true", "DEL link=true"], "undo runs newest first, as DEL's order")
    }
}
