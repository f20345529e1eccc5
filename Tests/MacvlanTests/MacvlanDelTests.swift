// MacvlanDelTests: DEL releases IPAM first, then the link; repeated, netns-less and master-less DELs succeed.
import CNIJSON
import CNISpec
import CNITesting
import Testing

@Suite struct MacvlanDelTests {
    @Test(arguments: SpecVersion.all)
    func delReleasesIPAMThenRemovesTheLink(_ version: SpecVersion) throws {
        let h = MacvlanHarness()
        let config = mvconf(ipam: dhcp, version: version.description)
        if version >= .v0_3_0 { #expect(h.run("ADD", config).exitCode == 0) } else { _ = h.run("ADD", config) }
        let out = h.run("DEL", config)
        #expect(out.exitCode == 0 && out.stdout.isEmpty, "\(out.stdout)")
        #expect(h.container.linkNamed("eth0") == nil)
        #expect(h.ipamSawLink.last == "DEL link=true", "IPAM DEL runs while the link still exists (DHCP needs it)")
    }

    @Test func delOverlapsTheReleaseWithTheLinkDeletionForOtherIPAM() throws {
        let h = MacvlanHarness()
        #expect(h.run("ADD", mvconf()).exitCode == 0)
        #expect(h.run("DEL", mvconf()).exitCode == 0)
        #expect(h.container.linkNamed("eth0") == nil)
        #expect(h.ipam.verbs == ["ADD", "DEL"])
    }

    @Test func delTwiceSucceeds() throws {
        let h = MacvlanHarness()
        #expect(h.run("ADD", mvconf()).exitCode == 0)
        #expect(h.run("DEL", mvconf()).exitCode == 0)
        let again = h.run("DEL", mvconf())
        #expect(again.exitCode == 0, "\(again.stdout)")
        #expect(h.ipam.verbs == ["ADD", "DEL", "DEL"])
    }

    @Test(arguments: ["", "/run/netns/swcni-macvlantests-gone"])
    func delWithoutTheNetnsStillReleasesIPAM(_ netns: String) throws {
        let h = MacvlanHarness()
        #expect(h.run("ADD", mvconf()).exitCode == 0)
        h.netns = netns
        let out = h.run("DEL", mvconf())
        #expect(out.exitCode == 0, "\(out.stdout)")
        #expect(h.ipam.verbs == ["ADD", "DEL"])
        #expect(!h.container.calls.contains { $0.hasPrefix("deleteLink") })
    }

    @Test func delNeedsNeitherTheMasterNorAValidConfig() throws {
        let h = MacvlanHarness()
        #expect(h.run("ADD", mvconf()).exitCode == 0)
        h.host.removeLink("mv0")
        let out = h.run("DEL", mvconf(["mode": "bogus", "mtu": 99999]))
        #expect(out.exitCode == 0, "\(out.stdout)")
        #expect(h.container.linkNamed("eth0") == nil)
    }

    @Test func l2DelCallsNoIPAM() throws {
        let h = MacvlanHarness()
        #expect(h.run("ADD", mvconf(ipam: l2)).exitCode == 0)
        #expect(h.run("DEL", mvconf(ipam: l2)).exitCode == 0)
        #expect(h.ipam.calls.isEmpty && h.container.linkNamed("eth0") == nil)
    }

    @Test func anIPAMFailureStillRemovesTheLinkAndIsReported() throws {
        let h = MacvlanHarness()
        #expect(h.run("ADD", mvconf()).exitCode == 0)
        h.ipam.failures["DEL"] = CNIError(.ioFailure, "store unreadable")
        let error = try reportedError(h.run("DEL", mvconf()))
        #expect(error.text.contains("releasing IPAM") && error.text.contains("store unreadable"))
        #expect(h.container.linkNamed("eth0") == nil, "best effort: the link goes anyway")
    }

    @Test func aLinkDeletionFailureIsReported() throws {
        let h = MacvlanHarness()
        #expect(h.run("ADD", mvconf()).exitCode == 0)
        h.container.failures["deleteLink"] = CNIError(.systemFailure, "injected failure")
        let error = try reportedError(h.run("DEL", mvconf()))
        #expect(error.text.contains("deleting eth0") && error.text.contains("injected failure"))
        #expect(h.ipam.verbs == ["ADD", "DEL"])
    }
}
