// AddressRouteTests: addresses and routes (with mtu/advmss metrics) added, read back and deleted.
import CNINamespace
import CNINetlink
import CNISpec
import CNITesting
import Testing

@Suite(.serialized, .enabled(if: TestNamespace.isRoot, "needs root to create network namespaces"))
struct AddressRouteTests {
    /// A namespace holding one up veth end `eth0` (the peer sits in a second, unroutable namespace).
    final class Fixture {
        let host: TestNamespace, container: TestNamespace
        let nl: NetlinkSocket
        let eth0: Link
        init() throws {
            host = try TestNamespace(); container = try TestNamespace()
            try host.addUnreachableDefaultRoutes()
            nl = try NetlinkSocket(in: container.namespace)
            eth0 = try nl.createVeth(VethOptions(name: "eth0", peerName: "vethaddr0", peerNamespace: host.namespace))
            try nl.setUp(eth0)
        }
    }

    @Test func addListAndDeleteAddresses() throws {
        let f = try Fixture()
        let v4 = try #require(IPNetwork("10.22.0.5/16"))
        let v6 = try #require(IPNetwork("fd00:22::5/64"))
        try f.nl.addAddress(v4, to: f.eth0)
        try f.nl.addAddress(v6, to: f.eth0, noDAD: true)
        let listed = try f.nl.addresses(of: f.eth0)
        #expect(listed.map(\.address).contains(v4))
        let six = try #require(listed.first { $0.address == v6 })
        #expect(six.flags.contains(.noDAD) && !six.flags.contains(.tentative))
        #expect(try f.nl.addresses(of: f.eth0, family: .v4).map(\.address) == [v4])
        #expect(try f.nl.addresses(of: nil, family: .v4).contains { $0.address == v4 && $0.linkIndex == f.eth0.index })
        #expect(try f.container.ip("-4", "addr", "show", "dev", "eth0").contains("brd 10.22.255.255"))

        let duplicate = #expect(throws: CNIError.self) { try f.nl.addAddress(v4, to: f.eth0) }
        #expect(duplicate?.code == .alreadyExists)
        #expect(duplicate?.msg.hasPrefix("adding 10.22.0.5/16 to eth0: ") == true)

        #expect(try f.nl.deleteAddress(v4, from: f.eth0))
        #expect(try f.nl.deleteAddress(v4, from: f.eth0) == false)
        #expect(try f.nl.addresses(of: f.eth0, family: .v4).isEmpty)
    }

    @Test func routesWithMetricsTableAndPriority() throws {
        let f = try Fixture()
        try f.nl.addAddress(try #require(IPNetwork("10.22.0.5/16")), to: f.eth0)
        let route = KernelRoute(destination: try #require(IPNetwork("10.80.0.0/12")),
                                gateway: IPAddress("10.22.0.1"), linkIndex: f.eth0.index, priority: 30,
                                mtu: 1280, advmss: 1200)
        try f.nl.addRoute(route)
        let found = try #require(try f.nl.routes(family: .v4).first { $0.destination == route.destination })
        #expect(found.gateway == route.gateway && found.linkIndex == f.eth0.index)
        #expect(found.mtu == 1280 && found.advmss == 1200 && found.priority == 30 && found.table == 254)
        let text = try f.container.ip("route", "show", "10.80.0.0/12")
        #expect(text.contains("mtu 1280") && text.contains("advmss 1200"))

        let tabled = KernelRoute(destination: try #require(IPNetwork("0.0.0.0/0")), gateway: IPAddress("10.22.0.1"),
                                 linkIndex: f.eth0.index, table: 100)
        try f.nl.addRoute(tabled)
        #expect(try f.nl.routes(family: .v4).contains { $0.isDefault && $0.table == 100 && $0.gateway == tabled.gateway })

        let duplicate = #expect(throws: CNIError.self) { try f.nl.addRoute(route) }
        #expect(duplicate?.code == .alreadyExists)
        #expect(duplicate?.msg.contains("10.80.0.0/12 via 10.22.0.1 dev eth0") == true)

        #expect(try f.nl.deleteRoute(route))
        #expect(try f.nl.deleteRoute(route) == false)
        #expect(try f.nl.deleteRoute(tabled))
    }

    @Test func ipv6RouteAndDeviceRoute() throws {
        let f = try Fixture()
        try f.nl.addAddress(try #require(IPNetwork("fd00:22::5/64")), to: f.eth0, noDAD: true)
        let gw = KernelRoute(destination: try #require(IPNetwork("fd00:99::/48")), gateway: IPAddress("fd00:22::1"),
                             linkIndex: f.eth0.index, mtu: 1400)
        try f.nl.addRoute(gw)
        let dev = KernelRoute(destination: try #require(IPNetwork("192.168.77.0/24")), linkIndex: f.eth0.index)
        try f.nl.addRoute(dev)
        let six = try #require(try f.nl.routes(family: .v6).first { $0.destination == gw.destination })
        #expect(six.gateway == gw.gateway && six.mtu == 1400)
        let four = try #require(try f.nl.routes(family: .v4).first { $0.destination == dev.destination })
        #expect(four.gateway == nil && four.scope == 253)   // a device route is link scope, as with `ip route`
    }
}
