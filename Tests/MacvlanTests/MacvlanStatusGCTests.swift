// MacvlanStatusGCTests: STATUS is 50 without the master and otherwise asks IPAM; GC only delegates to IPAM.
import CNIJSON
import CNISpec
import CNITesting
import Testing

@Suite struct MacvlanStatusGCTests {
    @Test func statusAsksIPAMWhenTheMasterExists() throws {
        let h = MacvlanHarness()
        let out = h.run("STATUS", mvconf(version: "1.1.0"))
        #expect(out.exitCode == 0, "\(out.stdout)")
        #expect(h.ipam.verbs == ["STATUS"])
    }

    @Test func statusIs50WithoutTheMaster() throws {
        let h = MacvlanHarness()
        h.host.removeLink("mv0")
        let error = try reportedError(h.run("STATUS", mvconf(version: "1.1.0")))
        #expect(error.code == 50 && error.msg.contains(#"master "mv0""#), "\(error.text)")
        #expect(h.ipam.calls.isEmpty)
    }

    @Test func statusIs50WithoutADefaultRoute() throws {
        let h = MacvlanHarness()
        h.host.base.routeTable.removeAll()
        let error = try reportedError(h.run("STATUS", mvconf(master: nil, version: "1.1.0")))
        #expect(error.code == 50 && error.msg.contains("no default route"))
    }

    @Test func statusOfAnIPAMFailureIsIPAMs() throws {
        let h = MacvlanHarness()
        h.ipam.failures["STATUS"] = CNIError(.pluginNotAvailable, "store unavailable")
        let error = try reportedError(h.run("STATUS", mvconf(version: "1.1.0")))
        #expect(error.code == 50 && error.msg.contains("store unavailable"))
    }

    @Test func l2StatusCallsNoIPAM() throws {
        let h = MacvlanHarness()
        #expect(h.run("STATUS", mvconf(ipam: l2, version: "1.1.0")).exitCode == 0)
        #expect(h.ipam.calls.isEmpty)
    }

    @Test func statusCannotSeeAMasterInsideContainers() throws {
        let h = MacvlanHarness()
        #expect(h.run("STATUS", mvconf(["linkInContainer": true], master: "inner0", version: "1.1.0")).exitCode == 0)
    }

    @Test func gcDelegatesToIPAMOnly() throws {
        let h = MacvlanHarness()
        #expect(h.run("GC", mvconf(version: "1.1.0")).exitCode == 0)
        #expect(h.ipam.verbs == ["GC"])
        #expect(h.kernel.allCalls.isEmpty)
        #expect(h.run("GC", mvconf(ipam: l2, version: "1.1.0")).exitCode == 0)
        #expect(h.ipam.verbs == ["GC"])
    }
}
