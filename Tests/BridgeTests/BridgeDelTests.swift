// BridgeDelTests: DEL is idempotent and best effort: missing netns, repeated DEL, failures collected and all reported.
import CNIFirewall
import CNIJSON
import CNISpec
import CNITesting
import Testing

@Suite struct BridgeDelTests {
    @Test(arguments: SpecVersion.all)
    func delRemovesTheVethReleasesIPAMAndMasquerade(_ version: SpecVersion) throws {
        let h = BridgeHarness()
        let config = netconf(["ipMasq": true, "isGateway": true], version: version.description)
        #expect(h.run("ADD", config).exitCode == 0)
        #expect(h.iptables.active[h.owner] == [IPNetwork("10.22.0.5/16")!])
        let out = h.run("DEL", config)
        #expect(out.exitCode == 0 && out.stdout.isEmpty, "\(out.stdout)")
        #expect(h.container.linkNamed("eth0") == nil && h.hostVeths.isEmpty)
        #expect(h.ipam.verbs == ["ADD", "DEL"])
        #expect(h.iptables.active.isEmpty)
        #expect(h.nftables.calls == ["teardown c1/eth0 10.22.0.5/16"],
                "the other backend is cleaned too, with the addresses read off the interface before it went")
        #expect(h.host.linkNamed("br-test") != nil, "the bridge is never deleted")
        #expect(h.host.addressesOf("br-test") == [IPNetwork("10.22.0.1/16")!], "nor its gateway address")
    }

    @Test(arguments: ["", "/run/netns/swcni-bridgetests-gone"])
    func delWithoutTheNetnsStillReleasesIPAMAndMasquerade(_ netns: String) throws {
        let h = BridgeHarness()
        let config = netconf(["ipMasq": true])
        #expect(h.run("ADD", config).exitCode == 0)
        h.netns = netns
        let out = h.run("DEL", config)
        #expect(out.exitCode == 0, "\(out.stdout)")
        #expect(h.ipam.verbs == ["ADD", "DEL"])
        #expect(h.iptables.active.isEmpty && h.iptables.calls.last == "teardown c1/eth0")
        #expect(!h.container.calls.contains { $0.hasPrefix("deleteLink") }, "no namespace to look into")
    }

    @Test func delPassesPrevResultAddressesToTheTeardown() throws {
        let h = BridgeHarness(addresses: ["10.22.0.5/16", "fd00:22::5/64"])
        let result = try h.add(netconf(["ipMasq": true]))
        #expect(h.run("DEL", try netconf(["ipMasq": true], prevResult: result)).exitCode == 0)
        #expect(h.iptables.calls.last == "teardown c1/eth0 10.22.0.5/16,fd00:22::5/64")
        #expect(h.iptables.active.isEmpty)
    }

    @Test func delTwiceSucceeds() throws {
        let h = BridgeHarness()
        let config = netconf(["ipMasq": true])
        #expect(h.run("ADD", config).exitCode == 0)
        #expect(h.run("DEL", config).exitCode == 0)
        let again = h.run("DEL", config)
        #expect(again.exitCode == 0, "\(again.stdout)")
        #expect(h.ipam.verbs == ["ADD", "DEL", "DEL"])
    }

    @Test func delOfANeverAddedAttachmentSucceeds() throws {
        let h = BridgeHarness()
        #expect(h.run("DEL", netconf(["ipMasq": true])).exitCode == 0)
        #expect(h.ipam.verbs == ["DEL"])
    }

    @Test func l2DelMakesNoIPAMCall() throws {
        let h = BridgeHarness()
        let config = netconf(ipam: l2)
        #expect(h.run("ADD", config).exitCode == 0)
        #expect(h.run("DEL", config).exitCode == 0)
        #expect(h.ipam.calls.isEmpty && h.container.linkNamed("eth0") == nil && h.hostVeths.isEmpty)
    }

    @Test func oneFailureIsReportedAndTheOtherStepsStillRun() throws {
        let h = BridgeHarness()
        let config = netconf(["ipMasq": true])
        #expect(h.run("ADD", config).exitCode == 0)
        h.ipam.failures["DEL"] = CNIError(.delegateFailed, "fake-ipam: store unreadable")
        let error = try reportedError(h.run("DEL", config))
        #expect(error.code == 100)
        #expect(error.msg == "releasing IPAM: fake-ipam: store unreadable")
        #expect(h.container.linkNamed("eth0") == nil, "the link went before IPAM failed")
        #expect(h.iptables.active.isEmpty, "masquerade removed after the IPAM failure")
    }

    /// A failure before the link is even found (a netns path that is no namespace, a netlink error)
    /// must not stop the lease and the rules from being released.
    @Test(arguments: ["not a namespace", "netlink lookup"])
    func failingToReachTheLinkStillReleasesEverythingElse(_ how: String) throws {
        let h = BridgeHarness()
        let config = netconf(["ipMasq": true])
        #expect(h.run("ADD", config).exitCode == 0)
        if how == "not a namespace" { h.netns = "/proc/self/status" }
        else { h.container.failures["link"] = CNIError(.systemFailure, "looking up eth0: Connection refused") }
        let error = try reportedError(h.run("DEL", config))
        #expect(error.msg.hasPrefix("deleting eth0: "), "\(error.text)")
        #expect(h.ipam.verbs == ["ADD", "DEL"])
        #expect(h.iptables.active.isEmpty)
    }

    @Test func allFailuresAreCollected() throws {
        let h = BridgeHarness()
        let config = netconf(["ipMasq": true])
        #expect(h.run("ADD", config).exitCode == 0)
        h.container.failures["deleteLink"] = CNIError(.systemFailure, "deleting eth0: Device busy")
        h.ipam.failures["DEL"] = CNIError(.delegateFailed, "fake-ipam: store unreadable")
        h.iptables.failures["teardown"] = CNIError(.systemFailure, "iptables-restore: exit 4")
        h.nftables.failures["teardown"] = CNIError(.systemFailure, "nft: not found")
        let error = try reportedError(h.run("DEL", config))
        #expect(error.code == 100)
        #expect(error.msg == "3 cleanup steps failed")
        for part in ["deleting eth0: Device busy", "releasing IPAM: fake-ipam: store unreadable",
                     "removing iptables masquerade: iptables-restore: exit 4"] {
            #expect(error.details.contains(part), "\(error.details) should contain \(part)")
        }
        #expect(!error.details.contains("nft"), "the other backend is best effort and silent")
        #expect(h.ipam.verbs.last == "DEL" && h.iptables.calls.last == "teardown c1/eth0 10.22.0.5/16")
    }

    @Test func delUsesTheConfiguredBackendFirst() throws {
        let h = BridgeHarness()
        let config = netconf(["ipMasq": true, "ipMasqBackend": "nftables"])
        #expect(h.run("ADD", config).exitCode == 0)
        #expect(h.nftables.active[h.owner] != nil && h.iptables.calls.isEmpty)
        #expect(h.run("DEL", config).exitCode == 0)
        #expect(h.nftables.active.isEmpty && h.iptables.calls == ["teardown c1/eth0 10.22.0.5/16"])
    }

    /// plugins#666: the lease may be handed out again only once no interface holds its address. Ours
    /// removes the addresses first, so the release need not wait for the kernel to destroy the veth.
    @Test func addressesAreRemovedBeforeTheLinkAndTheLeaseIsReleased() throws {
        let h = BridgeHarness(addresses: ["10.22.0.5/16", "fd00:22::5/64"])
        let config = netconf(["ipMasq": true])
        #expect(h.run("ADD", config).exitCode == 0)
        #expect(h.run("DEL", config).exitCode == 0)
        let deletes = h.container.calls.filter { $0.hasPrefix("delete") }
        #expect(deletes == ["deleteAddress 10.22.0.5/16 eth0", "deleteAddress fd00:22::5/64 eth0", "deleteLink eth0"])
        #expect(h.ipam.verbs == ["ADD", "DEL"])
    }

    @Test func theLeaseIsKeptWhileTheAddressMayStillBeInUse() throws {
        let h = BridgeHarness()
        let config = netconf(["ipMasq": true])
        #expect(h.run("ADD", config).exitCode == 0)
        h.container.failures["deleteAddress"] = CNIError(.systemFailure, "deleting 10.22.0.5/16 from eth0: Operation not permitted")
        h.container.failures["deleteLink"] = CNIError(.systemFailure, "deleting eth0: Device busy")
        let error = try reportedError(h.run("DEL", config))
        #expect(error.msg == "deleting eth0: deleting eth0: Device busy", "\(error.text)")
        #expect(h.ipam.verbs == ["ADD"], "no release while eth0 may still hold 10.22.0.5")
        #expect(h.iptables.active.isEmpty)

        h.container.failures["deleteLink"] = nil
        #expect(h.run("DEL", config).exitCode == 0, "the link went: now the lease goes too")
        #expect(h.ipam.verbs == ["ADD", "DEL"])
    }

    /// plugins#791: a DHCP release is sent from the link, so for `dhcp` IPAM goes before anything else.
    @Test func dhcpIsReleasedBeforeTheInterfaceIsTouched() throws {
        let h = BridgeHarness()
        let config = netconf(["ipMasq": true], ipam: ["type": "dhcp"])
        #expect(h.run("ADD", config).exitCode == 0)
        var touchedBeforeRelease: [String]? = nil
        h.ipam.onCall = { verb in
            if verb == "DEL" { touchedBeforeRelease = h.container.calls.filter { $0.hasPrefix("delete") } }
        }
        #expect(h.run("DEL", config).exitCode == 0)
        #expect(touchedBeforeRelease == [])
        #expect(h.container.linkNamed("eth0") == nil && h.ipam.verbs == ["ADD", "DEL"])
    }
}
