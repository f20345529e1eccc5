// LinkTests: links through a libnl socket opened inside test namespaces: up/down, veth, bridge, changes.
import CNINamespace
import CNINetlink
import CNISpec
import CNISystem
import CNITesting
import Glibc
import Testing

@Suite(.serialized, .enabled(if: TestNamespace.isRoot, "needs root to create network namespaces"))
struct LinkTests {
    @Test func loopbackUpAndDown() throws {
        let test = try TestNamespace()
        let nl = try NetlinkSocket(in: test.namespace)
        let lo = try #require(try nl.link(named: "lo"))
        #expect(lo.index == 1 && !lo.isUp && lo.mtu == 65536)
        try nl.setUp(lo)
        #expect(try nl.link(index: lo.index)?.isUp == true)
        try nl.setDown(lo)
        #expect(try nl.link(named: "lo")?.isUp == false)
        #expect(try nl.link(named: "nosuchlink") == nil)
        #expect(try nl.link(index: 9999) == nil)
        #expect(try nl.links().map(\.name) == ["lo"])
    }

    @Test func vethPeerIsCreatedDirectlyInTheOtherNamespace() throws {
        let host = try TestNamespace(), container = try TestNamespace()
        try host.addUnreachableDefaultRoutes()
        let hostNL = try NetlinkSocket(in: host.namespace)
        let containerNL = try NetlinkSocket(in: container.namespace)
        let mac = try #require(MACAddress("02:42:ac:11:00:02"))
        let eth0 = try containerNL.createVeth(VethOptions(name: "eth0", peerName: "veth1a2b3c4d",
                                                          peerNamespace: host.namespace, mtu: 1400, mac: mac))
        #expect(eth0.kind == "veth" && eth0.mtu == 1400 && eth0.mac == mac)
        let peer = try #require(try hostNL.link(named: "veth1a2b3c4d"))
        #expect(peer.kind == "veth" && peer.mtu == 1400)
        #expect(try containerNL.link(named: "veth1a2b3c4d") == nil)
        #expect(try hostNL.link(named: "eth0") == nil)

        let again = #expect(throws: CNIError.self) {
            try containerNL.createVeth(VethOptions(name: "eth0", peerName: "veth00000000", peerNamespace: host.namespace))
        }
        #expect(again?.code == .alreadyExists)
        #expect(again?.msg.contains("eth0") == true)

        try hostNL.setUp(peer); try containerNL.setUp(eth0)
        #expect(try containerNL.link(named: "eth0")?.hasCarrier == true)
        #expect(try containerNL.deleteLink(eth0))
        #expect(try hostNL.link(named: "veth1a2b3c4d") == nil)   // deleting one end removes both
        #expect(try containerNL.deleteLink(eth0) == false)
    }

    @Test func bridgeWithPortMTUAndMAC() throws {
        let host = try TestNamespace(), container = try TestNamespace()
        try host.addUnreachableDefaultRoutes()
        let nl = try NetlinkSocket(in: host.namespace)
        let bridge = try nl.createBridge(BridgeOptions(name: "cni-br0", mtu: 1450))
        #expect(bridge.kind == "bridge")
        let port = try NetlinkSocket(in: container.namespace)
            .createVeth(VethOptions(name: "eth0", peerName: "vethport0", peerNamespace: host.namespace))
        _ = port
        let hostEnd = try #require(try nl.link(named: "vethport0"))
        try nl.setMaster(bridge, of: hostEnd)
        #expect(try nl.link(named: "vethport0")?.masterIndex == bridge.index)
        try nl.setMTU(1300, of: hostEnd)
        let mac = try #require(MACAddress("02:00:00:00:00:33"))
        try nl.setMAC(mac, of: hostEnd)
        let changed = try #require(try nl.link(named: "vethport0"))
        #expect(changed.mtu == 1300 && changed.mac == mac)
        try nl.setMaster(nil, of: hostEnd)
        #expect(try nl.link(named: "vethport0")?.masterIndex == nil)
        #expect(Set(try nl.links().compactMap(\.kind)) == ["bridge", "veth"])
    }

    @Test func ipv4ConfAndForwardingAndIPv6ConfOverNetlinkMatchProcSys() throws {
        let test = try TestNamespace()
        try test.addUnreachableDefaultRoutes()
        let nl = try NetlinkSocket(in: test.namespace)
        let sysctl = SysctlInNamespace(test.namespace)
        let lo = try #require(try nl.link(named: "lo"))
        let read = test.sysctl
        #expect(try read("net/ipv4/conf/lo/arp_notify") == "0")
        try nl.setIPv4Conf(.arpNotify, 1, of: lo)
        #expect(try read("net/ipv4/conf/lo/arp_notify") == "1")
        #expect(try nl.ipv4Conf(.arpNotify, of: lo) == 1)
        #expect(try nl.ipv4Conf(.routeLocalnet, of: lo) == 0)
        try nl.setIPv4Conf(.routeLocalnet, 1, of: lo)
        #expect(try read("net/ipv4/conf/lo/route_localnet") == "1")
        #expect(try nl.ipv4Conf(.routeLocalnet, of: lo) == 1)
        #expect(try nl.ipv4Conf(.arpNotify, of: Link(index: 4242, name: "gone", mtu: 1500)) == nil)
        for (family, name) in [(IPFamily.v4, "net/ipv4/ip_forward"), (.v6, "net/ipv6/conf/all/forwarding")] {
            try sysctl.set(name, "0")
            #expect(try nl.forwarding(family) == false)
            try sysctl.set(name, "1")
            #expect(try nl.forwarding(family) == true)
        }
        for value in ["0", "1", "2"] {
            try sysctl.set("net/ipv6/conf/lo/accept_ra", value)
            #expect(try nl.ipv6Conf(.acceptRA, of: lo) == Int(value))
        }
        #expect(try nl.ipv6Conf(.acceptRA, of: Link(index: 4242, name: "gone", mtu: 1500)) == nil)
        // The socket still works for libnl afterwards (nothing was left queued on it).
        try nl.setUp(lo)
        #expect(try nl.link(named: "lo")?.isUp == true)
    }

    @Test func hostPortWithoutIPv6AddressesHasNoLinkLocal() throws {
        let host = try TestNamespace(), container = try TestNamespace()
        try host.addUnreachableDefaultRoutes()
        let nl = try NetlinkSocket(in: host.namespace)
        _ = try NetlinkSocket(in: container.namespace)
            .createVeth(VethOptions(name: "eth0", peerName: "vethport1", peerNamespace: host.namespace))
        let port = try #require(try nl.link(named: "vethport1"))
        try nl.setIPv6AddressGeneration(.none, of: port)
        #expect(try nl.ipv6AddressGeneration(of: port) == IPv6AddressGeneration.none)
        try nl.setUp(port)
        #expect(try nl.addresses(of: port, family: .v6).isEmpty)
    }

    /// The link-local the bridge adds itself (nodad, before the link is up) is the one the kernel makes in
    /// eui64 mode: at link up the kernel's own attempt finds it and adds no second one.
    @Test func eui64LinkLocalMatchesTheKernelsAndNodadSkipsDAD() throws {
        let host = try TestNamespace(), container = try TestNamespace()
        try host.addUnreachableDefaultRoutes()
        let nl = try NetlinkSocket(in: container.namespace)
        let kernelMade = try nl.createVeth(VethOptions(name: "eth0", peerName: "vethll1", peerNamespace: host.namespace))
        let ours = try nl.createVeth(VethOptions(name: "eth1", peerName: "vethll2", peerNamespace: host.namespace))
        let hostNL = try NetlinkSocket(in: host.namespace)
        for peer in ["vethll1", "vethll2"] { try hostNL.setUp(try #require(try hostNL.link(named: peer))) }
        #expect(try nl.ipv6AddressGeneration(of: kernelMade) == .eui64)
        try nl.addAddress(try #require(ours.mac).eui64LinkLocal, to: ours, noDAD: true)
        try nl.setUp(kernelMade)
        try nl.setUp(ours)
        var kernelLL: [IPNetwork] = []
        for _ in 0..<200 where kernelLL.isEmpty {   // the kernel adds it once linkwatch has the link up
            kernelLL = try nl.addresses(of: kernelMade, family: .v6).map(\.address)
            if kernelLL.isEmpty { usleep(10_000) }
        }
        #expect(kernelLL == [try #require(kernelMade.mac).eui64LinkLocal])
        usleep(100_000)
        let ourLL = try nl.addresses(of: ours, family: .v6)
        #expect(ourLL.map(\.address) == [try #require(ours.mac).eui64LinkLocal], "one link-local, ours")
        #expect(ourLL.allSatisfy { !$0.flags.contains(.tentative) && $0.flags.contains(.noDAD) })
        #expect(try nl.routes(family: .v6).contains { $0.destination == IPNetwork("fe80::/64")! && $0.linkIndex == ours.index })
    }

    /// Both ends of a veth get one TX and one RX queue (the peer's through VETH_INFO_PEER).
    @Test func vethEndsHaveOneQueueEach() throws {
        let host = try TestNamespace(), container = try TestNamespace()
        _ = try NetlinkSocket(in: container.namespace)
            .createVeth(VethOptions(name: "eth0", peerName: "vethq1", peerNamespace: host.namespace))
        for (ns, name) in [(container, "eth0"), (host, "vethq1")] {
            let out = try ns.ip("-d", "-j", "link", "show", "dev", name)
            #expect(out.contains("\"num_tx_queues\":1,") && out.contains("\"num_rx_queues\":1,"), "\(name): \(out)")
        }
    }

    @Test func macvlanIsCreatedInTheTargetNamespace() throws {
        let host = try TestNamespace(), container = try TestNamespace()
        try host.addUnreachableDefaultRoutes()
        let nl = try NetlinkSocket(in: host.namespace)
        let parent = try nl.createBridge(BridgeOptions(name: "parent0"))
        try nl.createMacvlan(MacvlanOptions(name: "eth0", parentIndex: parent.index, mode: .bridge,
                                            namespace: container.namespace, mtu: 1400))
        let created = try #require(try NetlinkSocket(in: container.namespace).link(named: "eth0"))
        #expect(created.kind == "macvlan" && created.mtu == 1400)
        #expect(try nl.link(named: "eth0") == nil)
    }
}
