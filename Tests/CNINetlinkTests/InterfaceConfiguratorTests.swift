// InterfaceConfiguratorTests: applying a result to an interface, on the fake and on a real veth.
import CNINamespace
import CNINetlink
import CNISpec
import CNISystem
import CNITesting
import Testing

private func sampleResult() -> CNIResult {
    CNIResult(
        interfaces: [Interface(name: "cni0"), Interface(name: "vethx"), Interface(name: "eth0", sandbox: "/ns")],
        ips: [IPConfig(address: IPNetwork("10.22.0.5/16")!, gateway: IPAddress("10.22.0.1"), interface: 2),
              IPConfig(address: IPNetwork("fd00:22::5/64")!, gateway: IPAddress("fd00:22::1"), interface: 2),
              IPConfig(address: IPNetwork("10.99.0.1/16")!, interface: 0),
              IPConfig(address: IPNetwork("10.98.0.1/16")!)],
        routes: [Route(dst: IPNetwork("0.0.0.0/0")!, mtu: 1400, advmss: 1360),
                 Route(dst: IPNetwork("::/0")!, priority: 50),
                 Route(dst: IPNetwork("10.70.0.0/16")!, gw: IPAddress("10.22.0.254"), table: 100)])
}

struct InterfaceConfiguratorFakeTests {
    @Test func appliesOnlyThisInterfacesAddressesThenRoutes() throws {
        let nl = FakeRouteNetlink(), sysctl = FakeSysctl()
        let eth0 = nl.seedLink("eth0", kind: "veth")
        try InterfaceConfigurator(netlink: nl, sysctl: sysctl).configure("eth0", with: sampleResult())
        #expect(nl.addressTable.map(\.address.description) == ["10.22.0.5/16", "fd00:22::5/64"])
        #expect(nl.linkTable.first { $0.name == "eth0" }?.isUp == true)
        #expect(sysctl.values == ["net/ipv6/conf/lo/disable_ipv6": "0", "net/ipv6/conf/eth0/disable_ipv6": "0",
                                  "net/ipv6/conf/eth0/keep_addr_on_down": "1"])
        #expect(nl.routeTable == [
            KernelRoute(destination: IPNetwork("0.0.0.0/0")!, gateway: IPAddress("10.22.0.1"), linkIndex: eth0.index,
                        table: 254, mtu: 1400, advmss: 1360),
            KernelRoute(destination: IPNetwork("::/0")!, gateway: IPAddress("fd00:22::1"), linkIndex: eth0.index,
                        priority: 50, table: 254),
            KernelRoute(destination: IPNetwork("10.70.0.0/16")!, gateway: IPAddress("10.22.0.254"),
                        linkIndex: eth0.index, table: 100),
        ])
        // Addresses first, then up, then routes.
        let order = nl.calls.filter { !$0.hasPrefix("link") && !$0.hasPrefix("addresses") }.map { $0.split(separator: " ")[0] }
        #expect(order == ["addAddress", "addAddress", "setLink", "addRoute", "addRoute", "addRoute"])
    }

    @Test func ipv4OnlyLeavesIPv6SysctlsAlone() throws {
        let nl = FakeRouteNetlink(), sysctl = FakeSysctl()
        nl.seedLink("eth0")
        let result = CNIResult(interfaces: [Interface(name: "eth0")],
                               ips: [IPConfig(address: IPNetwork("10.1.0.2/24")!, interface: 0)])
        try InterfaceConfigurator(netlink: nl, sysctl: sysctl).configure("eth0", with: result)
        #expect(sysctl.values.isEmpty)
    }

    @Test func outOfRangeInterfaceIndexIsAnError() throws {
        let nl = FakeRouteNetlink()
        nl.seedLink("eth0")
        let result = CNIResult(interfaces: [Interface(name: "eth0")],
                               ips: [IPConfig(address: IPNetwork("10.1.0.2/24")!, interface: 3)])
        let error = #expect(throws: CNIError.self) {
            try InterfaceConfigurator(netlink: nl, sysctl: FakeSysctl()).configure("eth0", with: result)
        }
        #expect(error?.msg.contains("invalid interface index 3") == true)
        #expect(nl.addressTable.isEmpty)
    }

    @Test func missingInterfaceAndNetlinkFailuresAreReported() throws {
        let nl = FakeRouteNetlink()
        #expect(throws: CNIError.self) {
            try InterfaceConfigurator(netlink: nl, sysctl: FakeSysctl()).configure("eth0", with: sampleResult())
        }
        nl.seedLink("eth0")
        nl.failures["addRoute"] = CNIError(.systemFailure, "adding route default: Network is unreachable")
        let error = #expect(throws: CNIError.self) {
            try InterfaceConfigurator(netlink: nl, sysctl: FakeSysctl()).configure("eth0", with: sampleResult())
        }
        #expect(error?.msg == "adding route default: Network is unreachable")
    }

    @Test func verifierFindsMissingAddressesAndRoutes() throws {
        let nl = FakeRouteNetlink()
        nl.seedLink("eth0")
        let result = sampleResult()
        let verifier = InterfaceVerifier(netlink: nl)
        #expect(throws: CNIError.self) { try verifier.verifyAddresses("eth0", in: result) }
        try InterfaceConfigurator(netlink: nl, sysctl: FakeSysctl()).configure("eth0", with: result)
        try verifier.verifyAddresses("eth0", in: result)
        try verifier.verifyRoutes("eth0", in: result)
        nl.routeTable.removeLast()
        let error = #expect(throws: CNIError.self) { try verifier.verifyRoutes("eth0", in: result) }
        #expect(error?.code == .checkFailed)
        #expect(error?.msg.contains("10.70.0.0/16 via 10.22.0.254") == true)
    }
}

@Suite(.serialized, .enabled(if: TestNamespace.isRoot, "needs root to create network namespaces"))
struct InterfaceConfiguratorKernelTests {
    @Test func configuresARealVethAndChecksIt() throws {
        let host = try TestNamespace(), container = try TestNamespace()
        try host.addUnreachableDefaultRoutes()
        let hostNL = try NetlinkSocket(in: host.namespace)
        let nl = try NetlinkSocket(in: container.namespace)
        _ = try nl.createVeth(VethOptions(name: "eth0", peerName: "vethcfg0", peerNamespace: host.namespace))
        try hostNL.setUp(try hostNL.requireLink(named: "vethcfg0"))
        let result = sampleResult()
        try InterfaceConfigurator(netlink: nl, sysctl: SysctlInNamespace(container.namespace))
            .configure("eth0", with: result)

        let verifier = InterfaceVerifier(netlink: nl)
        try verifier.verifyAddresses("eth0", in: result)
        try verifier.verifyRoutes("eth0", in: result)
        let six = try #require(try nl.addresses(of: nl.requireLink(named: "eth0"), family: .v6)
            .first { $0.address == IPNetwork("fd00:22::5/64") })
        #expect(!six.flags.contains(.tentative))   // settled before the routes went in
        let text = try container.ip("-4", "route", "show", "default")
        #expect(text.contains("via 10.22.0.1") && text.contains("mtu 1400") && text.contains("advmss 1360"))
        #expect(try container.ip("route", "show", "table", "100").contains("10.70.0.0/16 via 10.22.0.254"))
        #expect(try container.sysctl("net/ipv6/conf/eth0/keep_addr_on_down") == "1")

        try container.ip("route", "del", "10.70.0.0/16", "table", "100")
        let error = #expect(throws: CNIError.self) { try verifier.verifyRoutes("eth0", in: result) }
        #expect(error?.code == .checkFailed)
    }
}
