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
        #expect(h.hostSysctl.values["net/ipv6/conf/\(port)/accept_ra"] == "0")
        #expect(h.host.linkNamed(port)?.isUp == true)
    }

    @Test func hostVethGetsNoIPv6AddressesAndIsSetSoBeforeItIsUp() throws {
        let h = BridgeHarness()
        _ = try h.add(netconf())
        let port = try #require(h.hostVeths.first)
        #expect(h.host.noIPv6Addresses == [port])
        let calls = h.host.calls
        let off = try #require(calls.firstIndex(of: "disableIPv6AddressGeneration \(port)"))
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
        let h = BridgeHarness()
        _ = try h.add(netconf(["enabledad": .bool(enabled)]))
        #expect(h.containerSysctl.values["net/ipv6/conf/eth0/accept_dad"] == (enabled ? "1" : "0"))
        #expect(h.containerSysctl.values["net/ipv6/conf/eth0/enhanced_dad"] == (enabled ? "1" : nil))
        // arp_notify is set over netlink (IFLA_INET_CONF), not through /proc/sys
        #expect(h.container.base.ipv4ConfTable["eth0"]?[.arpNotify] == 1)
        #expect(h.containerSysctl.values["net/ipv4/conf/eth0/arp_notify"] == nil)
    }
}
