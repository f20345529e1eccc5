// BridgeAddTests: ADD on fakes: result shape, gateways and default routes, DNS, bridge creation and reuse, port settings, L2.
import CNIJSON
import CNINetlink
import CNISpec
import CNITesting
import Testing

@Suite struct BridgeAddResultTests {
    @Test(arguments: SpecVersion.all.filter { !$0.usesLegacyResult })
    func resultIsBridgeHostVethContainer(_ version: SpecVersion) throws {
        let h = BridgeHarness()
        let result = try h.add(netconf(version: version.description))
        let hostVeth = try #require(h.hostVeths.first)
        #expect(h.hostVeths.count == 1)
        #expect(result.interfaces.map(\.name) == ["br-test", hostVeth, "eth0"])
        #expect(result.interfaces.map(\.sandbox) == ["", "", BridgeHarness.containerPath])
        #expect(result.interfaces[0].mac == h.host.linkNamed("br-test")?.mac?.description)
        #expect(result.interfaces[1].mac == h.host.linkNamed(hostVeth)?.mac?.description)
        #expect(result.interfaces[2].mac == h.container.linkNamed("eth0")?.mac?.description)
        #expect(result.interfaces.allSatisfy { !$0.mac.isEmpty })
        #expect(result.ips.map(\.interface) == [2])
        #expect(result.ips.first?.address == IPNetwork("10.22.0.5/16"))
        #expect(result.ips.first?.gateway == nil, "no isGateway: no gateway invented")
        #expect(result.routes.isEmpty)
        #expect(h.ipam.verbs == ["ADD"])
        let eth0MAC = try #require(h.container.linkNamed("eth0")?.mac)
        #expect(h.container.addressesOf("eth0") == [eth0MAC.eui64LinkLocal, IPNetwork("10.22.0.5/16")!],
                "the link-local added with nodad (IPv4-only: no accept_dad sysctl), then IPAM's")
        #expect(h.container.linkNamed("eth0")?.isUp == true)
        #expect(h.host.linkNamed(hostVeth)?.masterIndex == h.host.linkNamed("br-test")?.index)
    }

    @Test func hostVethIsNamedVethAndEightHexDigits() throws {
        let h = BridgeHarness()
        _ = try h.add(netconf())
        let name = try #require(h.hostVeths.first)
        #expect(name.count == 12 && name.dropFirst(4).allSatisfy(\.isHexDigit))
    }

    @Test func isGatewayDefaultsGatewayToNetworkPlusOne() throws {
        let h = BridgeHarness(addresses: ["10.22.0.5/16", "fd00:22::5/64"])
        let result = try h.add(netconf(["isGateway": true]))
        #expect(result.ips.map(\.gateway) == [IPAddress("10.22.0.1"), IPAddress("fd00:22::1")])
        #expect(result.ips.map(\.interface) == [2, 2])
        #expect(result.routes.isEmpty, "isGateway alone adds no default route")
        #expect(h.host.addressesOf("br-test") == [IPNetwork("10.22.0.1/16")!, IPNetwork("fd00:22::1/64")!])
        #expect(h.hostSysctl.values["net/ipv4/ip_forward"] == "1")
        #expect(h.hostSysctl.values["net/ipv6/conf/all/forwarding"] == "1")
    }

    static let ipamFamilies: [(JSON, Set<IPFamily>)] = [
        (["type": "fake-ipam", "ranges": [[["subnet": "10.1.0.0/16"]], [["subnet": "fd00:1::/64"]]]], [.v4, .v6]),
        (["type": "fake-ipam", "subnet": "fd00:2::/64"], [.v6]),
        (["type": "fake-ipam", "addresses": [["address": "fd00:3::5/64"]]], [.v6]),
        (["type": "fake-ipam"], [.v4]),
    ]

    @Test(arguments: ipamFamilies)
    func masqueradeIsPreparedForTheFamiliesTheIPAMConfigNames(_ ipam: JSON, _ families: Set<IPFamily>) throws {
        let h = BridgeHarness()
        _ = try h.add(netconf(["ipMasq": true], ipam: ipam))
        #expect(h.prepared.families == [families])
    }

    @Test func bridgeAcceptRAThatNetlinkReportsOffIsNotWrittenAgain() throws {
        let h = BridgeHarness()
        _ = h.host.seedLink("br-test", kind: "bridge", up: true)
        h.host.base.ipv6ConfTable["br-test"] = [.acceptRA: 0]
        _ = try h.add(netconf())
        #expect(h.hostSysctl.values["net/ipv6/conf/br-test/accept_ra"] == nil)
        #expect(h.host.calls.contains("ipv6Conf br-test accept_ra"))
    }

    @Test func forwardingThatNetlinkReportsOnIsNotWrittenAgain() throws {
        let h = BridgeHarness(addresses: ["10.22.0.5/16", "fd00:22::5/64"])
        h.host.base.forwardingTable = [.v4: true, .v6: false]
        _ = try h.add(netconf(["isGateway": true]))
        #expect(h.hostSysctl.values["net/ipv4/ip_forward"] == nil)
        #expect(h.hostSysctl.values["net/ipv6/conf/all/forwarding"] == "1")
    }

    @Test func ipamGatewayIsKept() throws {
        let h = BridgeHarness(addresses: ["10.22.0.5/16"], gateways: ["10.22.0.254"])
        let result = try h.add(netconf(["isGateway": true]))
        #expect(result.ips.first?.gateway == IPAddress("10.22.0.254"))
        #expect(h.host.addressesOf("br-test") == [IPNetwork("10.22.0.254/16")!])
    }

    @Test func isDefaultGatewayAddsADefaultRoutePerFamily() throws {
        let h = BridgeHarness(addresses: ["10.22.0.5/16", "fd00:22::5/64"])
        let result = try h.add(netconf(["isDefaultGateway": true]))
        #expect(result.routes == [Route(dst: IPNetwork("0.0.0.0/0")!, gw: IPAddress("10.22.0.1")),
                                  Route(dst: IPNetwork("::/0")!, gw: IPAddress("fd00:22::1"))])
        #expect(h.host.addressesOf("br-test").count == 2, "isDefaultGateway implies isGateway")
        let kernelDefaults = h.container.base.routeTable.filter { $0.destination.prefixLength == 0 }
        #expect(kernelDefaults.map(\.gateway) == [IPAddress("10.22.0.1"), IPAddress("fd00:22::1")])
    }

    @Test func ipamDefaultRouteIsNotDuplicated() throws {
        let v4Default = Route(dst: IPNetwork("0.0.0.0/0")!, gw: IPAddress("10.22.0.254"))
        let h = BridgeHarness(addresses: ["10.22.0.5/16", "fd00:22::5/64"], routes: [v4Default])
        let result = try h.add(netconf(["isDefaultGateway": true]))
        #expect(result.routes == [v4Default, Route(dst: IPNetwork("::/0")!, gw: IPAddress("fd00:22::1"))])
    }

    @Test func ipamRoutesAndDNSPassThroughUnlessConfigDNSIsSet() throws {
        let route = Route(dst: IPNetwork("192.168.0.0/16")!, mtu: 1400)
        let ipamDNS = DNS(nameservers: ["10.22.0.53"])
        var h = BridgeHarness(routes: [route], dns: ipamDNS)
        var result = try h.add(netconf())
        #expect(result.routes == [route] && result.dns == ipamDNS)

        h = BridgeHarness(routes: [route], dns: ipamDNS)
        result = try h.add(netconf(["dns": ["nameservers": ["1.1.1.1"], "search": ["example.org"]]]))
        #expect(result.dns == DNS(nameservers: ["1.1.1.1"], search: ["example.org"]))

        h = BridgeHarness(dns: ipamDNS)
        result = try h.add(netconf(["dns": ["nameservers": []]]))
        #expect(result.dns == ipamDNS, "an empty dns object does not override")
    }

    @Test func ipamWithoutAddressesIsAnErrorAndReleased() throws {
        let h = BridgeHarness(addresses: [])
        let error = try reportedError(h.run("ADD", netconf()))
        #expect(error.msg.contains("returned no IP addresses"))
        #expect(h.ipam.verbs == ["ADD", "DEL"])
        #expect(h.container.linkNamed("eth0") == nil)
    }

    @Test func mtuGoesOnVethAndNewBridge() throws {
        let h = BridgeHarness()
        _ = try h.add(netconf(["mtu": 1400]))
        #expect(h.host.linkNamed("br-test")?.mtu == 1400)
        #expect(h.container.linkNamed("eth0")?.mtu == 1400)
        #expect(h.host.linkNamed(try #require(h.hostVeths.first))?.mtu == 1400)
    }
}

@Suite struct BridgeAddBridgeTests {
    @Test func missingBridgeIsCreatedUpWithPinnedMACAndNoRA() throws {
        let h = BridgeHarness()
        _ = try h.add(netconf(["promiscMode": true]))
        let bridge = try #require(h.host.linkNamed("br-test"))
        #expect(bridge.kind == "bridge" && bridge.isUp)
        #expect(h.host.calls.contains("createBridge br-test"))
        #expect(h.host.calls.contains("setMAC br-test \(bridge.mac!)"))
        #expect(h.host.promiscuous == ["br-test"])
        #expect(h.hostSysctl.values["net/ipv6/conf/br-test/accept_ra"] == "0")
    }

    @Test func existingBridgeIsReused() throws {
        let h = BridgeHarness()
        let existing = h.host.seedLink("br-test", kind: "bridge", mtu: 9000, up: true)
        _ = try h.add(netconf(["mtu": 1400]))
        #expect(!h.host.calls.contains { $0.hasPrefix("createBridge") || $0.hasPrefix("setMAC") })
        #expect(h.host.linkNamed("br-test") == existing, "an existing bridge keeps its MTU and MAC")
        #expect(h.host.linkNamed(try #require(h.hostVeths.first))?.masterIndex == existing.index)
    }

    @Test func existingNonBridgeIsAnError() throws {
        let h = BridgeHarness()
        h.host.seedLink("br-test", kind: "dummy")
        let error = try reportedError(h.run("ADD", netconf()))
        #expect(error.code == 102)
        #expect(error.msg.contains("br-test already exists but is not a bridge"))
        #expect(h.ipam.verbs.isEmpty, "the name is checked before IPAM allocates anything")
        #expect(h.container.linkNamed("eth0") == nil && h.hostVeths.isEmpty)
    }

    @Test func sameGatewayAlreadyThereIsKept() throws {
        let h = BridgeHarness()
        let bridge = h.host.seedLink("br-test", kind: "bridge", up: true)
        try h.host.addAddress(IPNetwork("10.22.0.1/16")!, to: bridge)
        _ = try h.add(netconf(["isGateway": true]))
        #expect(h.host.addressesOf("br-test") == [IPNetwork("10.22.0.1/16")!])
    }

    @Test func differentIPv4AddressFailsWithoutForceAddress() throws {
        let h = BridgeHarness()
        let bridge = h.host.seedLink("br-test", kind: "bridge", up: true)
        try h.host.addAddress(IPNetwork("10.99.0.1/16")!, to: bridge)
        let error = try reportedError(h.run("ADD", netconf(["isGateway": true])))
        #expect(error.code == 102)
        #expect(error.msg == #""br-test" already has an IP address different from 10.22.0.1/16"#)
        #expect(error.details.contains("10.99.0.1/16") && error.details.contains("forceAddress"))
        #expect(h.host.addressesOf("br-test") == [IPNetwork("10.99.0.1/16")!])
        #expect(h.container.linkNamed("eth0") == nil && h.hostVeths.isEmpty)
        #expect(h.ipam.verbs == ["ADD", "DEL"])
    }

    @Test func forceAddressReplacesADifferentIPv4Address() throws {
        let h = BridgeHarness()
        let bridge = h.host.seedLink("br-test", kind: "bridge", up: true)
        try h.host.addAddress(IPNetwork("10.99.0.1/16")!, to: bridge)
        _ = try h.add(netconf(["isGateway": true, "forceAddress": true]))
        #expect(h.host.addressesOf("br-test") == [IPNetwork("10.22.0.1/16")!])
    }

    @Test func nonOverlappingIPv6AddressesCoexist() throws {
        let h = BridgeHarness(addresses: ["fd00:22::5/64"])
        let bridge = h.host.seedLink("br-test", kind: "bridge", up: true)
        try h.host.addAddress(IPNetwork("fd00:99::1/64")!, to: bridge)
        _ = try h.add(netconf(["isGateway": true]))
        #expect(h.host.addressesOf("br-test") == [IPNetwork("fd00:99::1/64")!, IPNetwork("fd00:22::1/64")!])
    }

    @Test func overlappingIPv6AddressNeedsForceAddress() throws {
        let h = BridgeHarness(addresses: ["fd00:22::5/64"])
        let bridge = h.host.seedLink("br-test", kind: "bridge", up: true)
        try h.host.addAddress(IPNetwork("fd00:22::9/64")!, to: bridge)
        let error = try reportedError(h.run("ADD", netconf(["isGateway": true])))
        #expect(error.code == 102 && error.msg.contains("fd00:22::1/64"))
        let h2 = BridgeHarness(addresses: ["fd00:22::5/64"])
        let bridge2 = h2.host.seedLink("br-test", kind: "bridge", up: true)
        try h2.host.addAddress(IPNetwork("fd00:22::9/64")!, to: bridge2)
        _ = try h2.add(netconf(["isGateway": true, "forceAddress": true]))
        #expect(h2.host.addressesOf("br-test") == [IPNetwork("fd00:22::1/64")!])
    }

    /// `dhcp` talks over the container's interface during its ADD: the veth must exist and be up first.
    @Test func dhcpRunsOnceTheContainerInterfaceIsUp() throws {
        let h = BridgeHarness()
        var containerCallsAtIPAM: [String]? = nil
        h.ipam.onCall = { verb in if verb == "ADD" { containerCallsAtIPAM = h.container.calls } }
        #expect(h.run("ADD", netconf(["ipMasq": true], ipam: ["type": "dhcp"])).exitCode == 0)
        let calls = try #require(containerCallsAtIPAM)
        #expect(calls.contains { $0.hasPrefix("createVeth eth0") })
        #expect(calls.contains("setLink eth0 up"))
        #expect(h.container.addressesOf("eth0") == [IPNetwork("10.22.0.5/16")!], "up before IPAM: the kernel made the link-local")
        #expect(h.containerSysctl.values["net/ipv6/conf/eth0/accept_dad"] == "0")
    }
}
