// BridgePortTests: the host veth as a bridge port (hairpin, isolation, VLANs, the <bridge>.<vlan> gateway) and L2-only ADD.
import CNIJSON
import CNINetlink
import CNISpec
import CNITesting
import Testing

@Suite struct BridgePortTests {
    @Test(arguments: [(true, false), (false, true), (true, true)])
    func hairpinAndIsolationAreSetOnTheHostVeth(_ hairpin: Bool, _ isolated: Bool) throws {
        let h = BridgeHarness()
        _ = try h.add(netconf(["hairpinMode": .bool(hairpin), "portIsolation": .bool(isolated)]))
        let port = try #require(h.hostVeths.first)
        #expect(h.host.portFlags[port] == FakeBridgePortFlags(hairpin: hairpin, isolated: isolated))
        #expect(h.hostSysctl.values["net/ipv6/conf/\(port)/accept_ra"] == nil, "a bridge port's own IPv6 stack sees no frames")
        #expect(h.host.linkNamed(port)?.isUp == true)
    }

    @Test func hostVethGetsNoIPv6AddressesAndIsSetSoBeforeItIsUp() throws {
        let h = BridgeHarness()
        _ = try h.add(netconf())
        let port = try #require(h.hostVeths.first)
        #expect(h.host.noIPv6Addresses == [port])
        let calls = h.host.calls
        let off = try #require(calls.firstIndex(of: "setIPv6AddressGeneration \(port) none"))
        let up = try #require(calls.firstIndex(of: "setLink \(port) up"))
        #expect(off < up)
    }

    @Test func noPortFlagsOrVlansByDefault() throws {
        let h = BridgeHarness()
        _ = try h.add(netconf())
        #expect(h.host.portFlags.isEmpty && h.host.vlans.isEmpty && h.host.vlanFiltering.isEmpty)
        #expect(!h.host.calls.contains { $0.hasPrefix("setBridgePort") || $0.hasPrefix("setPromiscuous") })
    }

    @Test func vlanIsThePortsUntaggedPVIDAndVlan1IsRemoved() throws {
        let h = BridgeHarness()
        _ = try h.add(netconf(["vlan": 100]))
        #expect(h.host.vlanFiltering == ["br-test"])
        #expect(h.host.vlans[try #require(h.hostVeths.first)] == [FakeBridgeVlan(vid: 100, pvid: true, untagged: true)])
    }

    @Test func preserveDefaultVlanKeepsVlan1() throws {
        let h = BridgeHarness()
        _ = try h.add(netconf(["vlan": 100, "preserveDefaultVlan": true]))
        #expect(h.host.vlans[try #require(h.hostVeths.first)] == [FakeBridgeVlan(vid: 1, untagged: true),
                                                                   FakeBridgeVlan(vid: 100, pvid: true, untagged: true)])
    }

    @Test func trunkWithoutVlanAddsNativeVlan1AndTaggedIDs() throws {
        let h = BridgeHarness()
        _ = try h.add(netconf(["vlanTrunk": [["id": 7], ["minID": 200, "maxID": 202]]]))
        let vlans = h.host.vlans[try #require(h.hostVeths.first)] ?? []
        #expect(vlans == [FakeBridgeVlan(vid: 1, pvid: true, untagged: true), FakeBridgeVlan(vid: 7),
                          FakeBridgeVlan(vid: 200), FakeBridgeVlan(vid: 201), FakeBridgeVlan(vid: 202)])
    }

    @Test func vlanFilteringFailureExplainsTheKernelOption() throws {
        let h = BridgeHarness()
        h.host.failures["setVlanFiltering"] = CNIError(.systemFailure, "setting vlan_filtering on br-test: Operation not supported")
        let error = try reportedError(h.run("ADD", netconf(["vlan": 100])))
        #expect(error.msg.contains("CONFIG_BRIDGE_VLAN_FILTERING"))
        #expect(h.ipam.verbs == ["ADD", "DEL"])
    }

    @Test func vlanGatewayLivesOnBridgeDotVlan() throws {
        let h = BridgeHarness()
        let result = try h.add(netconf(["vlan": 100, "isGateway": true]))
        #expect(result.interfaces.map(\.name).suffix(2) == ["eth0", "br-test.100"])
        #expect(h.host.addressesOf("br-test.100") == [IPNetwork("10.22.0.1/16")!])
        #expect(h.host.addressesOf("br-test").isEmpty)
        #expect(h.host.linkNamed("br-test.100")?.isUp == true)
        let peer = try #require(h.kernel.vethPairs.first { $0.a == "br-test.100" }?.b)
        #expect(h.host.linkNamed(peer)?.masterIndex == h.host.linkNamed("br-test")?.index)
        #expect(h.host.vlans[peer] == [FakeBridgeVlan(vid: 100, pvid: true, untagged: true)])
        // A second container reuses it.
        h.containerID = "c2"; h.ifName = "eth1"
        h.ipam.result.ips[0].address = IPNetwork("10.22.0.6/16")!
        _ = try h.add(netconf(["vlan": 100, "isGateway": true]))
        #expect(h.host.calls.filter { $0.hasPrefix("createVeth br-test.100") }.count == 1)
    }
}

@Suite struct BridgeL2Tests {
    @Test(arguments: [l2, nil] as [JSON?])
    func l2AddMakesNoIPAMCallsAndBringsTheContainerUp(_ ipam: JSON?) throws {
        let h = BridgeHarness()
        let result = try h.add(netconf(["isGateway": true, "ipMasq": true], ipam: ipam))
        #expect(h.ipam.calls.isEmpty)
        #expect(result.ips.isEmpty && result.routes.isEmpty)
        #expect(result.interfaces.count == 3)
        #expect(h.container.linkNamed("eth0")?.isUp == true)
        #expect(h.host.addressesOf("br-test").isEmpty, "no gateway without addresses")
        #expect(h.iptables.calls.isEmpty && h.nftables.calls.isEmpty, "no masquerade without addresses")
    }

    @Test func disableContainerInterfaceLeavesItDown() throws {
        let h = BridgeHarness()
        _ = try h.add(netconf(["disableContainerInterface": true], ipam: l2))
        #expect(h.container.linkNamed("eth0")?.isUp == false)
        #expect(!h.container.calls.contains("setLink eth0 up"))
        #expect(h.host.linkNamed(try #require(h.hostVeths.first))?.isUp == true)
    }

    @Test(arguments: [false, true])
    func dadSysctlsInTheContainer(_ enabled: Bool) throws {
        let h = BridgeHarness(addresses: ["10.22.0.5/16", "fd00:22::5/64"])
        _ = try h.add(netconf(["enabledad": .bool(enabled)]))
        #expect(h.containerSysctl.values["net/ipv6/conf/eth0/accept_dad"] == (enabled ? "1" : "0"))
        #expect(h.containerSysctl.values["net/ipv6/conf/eth0/enhanced_dad"] == (enabled ? "1" : nil))
        #expect(h.container.base.addressGenerationTable["eth0"] == nil, "the kernel makes the link-local")
        // arp_notify is set over netlink (IFLA_INET_CONF), not through /proc/sys
        #expect(h.container.base.ipv4ConfTable["eth0"]?[.arpNotify] == 1)
        #expect(h.containerSysctl.values["net/ipv4/conf/eth0/arp_notify"] == nil)
    }

    /// Without IPv6 addresses (L3), DAD is kept off the link-local by adding it first with nodad, so the
    /// container's /proc/sys/net/ipv6 is never looked up; addrgenmode is left alone. Hairpin too: with the
    /// kernel's default enhanced_dad, a looped-back probe of a later address is recognised as its own.
    @Test(arguments: [false, true])
    func ipv4OnlyPodGetsItsLinkLocalWithoutDADAndNoSysctl(_ hairpin: Bool) throws {
        let h = BridgeHarness()
        _ = try h.add(netconf(["hairpinMode": .bool(hairpin)]))
        let mac = try #require(h.container.linkNamed("eth0")?.mac)
        #expect(h.containerSysctl.values.isEmpty)
        #expect(h.container.base.addressTable.contains { $0.address == mac.eui64LinkLocal && $0.flags.contains(.noDAD) })
        #expect(!h.container.calls.contains { $0.hasPrefix("setIPv6AddressGeneration") })
        let calls = h.container.calls
        let address = try #require(calls.firstIndex(of: "addAddress \(mac.eui64LinkLocal) eth0"), "calls: \(calls)")
        let up = try #require(calls.firstIndex(of: "setLink eth0 up"))
        #expect(address < up)
    }

    /// L2 networks (SLAAC is their usual way to IPv6) keep the sysctl.
    @Test func l2PodsKeepTheSysctl() throws {
        let h = BridgeHarness()
        _ = try h.add(netconf(ipam: l2))
        #expect(h.containerSysctl.values["net/ipv6/conf/eth0/accept_dad"] == "0")
        #expect(!h.container.calls.contains { $0.hasPrefix("addAddress fe80:") })
    }

    @Test(arguments: [IPv6AddressGeneration.stablePrivacy, .random, .none])
    func otherAddressGenerationModesKeepTheSysctl(_ mode: IPv6AddressGeneration) throws {
        let h = BridgeHarness()
        h.container.base.defaultAddressGeneration = mode
        _ = try h.add(netconf())
        #expect(h.containerSysctl.values["net/ipv6/conf/eth0/accept_dad"] == "0")
        #expect(!h.container.calls.contains { $0.hasPrefix("addAddress fe80:") })
    }

    @Test func linkLocalThatCannotBeAddedFallsBackToTheSysctl() throws {
        let h = BridgeHarness()
        h.container.failures["addAddress"] = CNIError(.systemFailure, "adding fe80::/64 to eth0: Permission denied")
        // The IPv4 address cannot be added either, so the ADD fails, but only after the DAD step.
        _ = h.run("ADD", netconf())
        #expect(h.containerSysctl.values["net/ipv6/conf/eth0/accept_dad"] == "0")
    }
}
