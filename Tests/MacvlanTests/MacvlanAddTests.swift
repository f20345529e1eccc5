// MacvlanAddTests: the ADD result shape for every spec version, IPv4/IPv6/dual stack, L2, DNS and the name collision.
import CNIJSON
import CNISpec
import CNITesting
import Testing

@Suite struct MacvlanAddTests {
    @Test(arguments: SpecVersion.all.filter { $0 >= .v0_3_0 })
    func resultHasOneInterfaceInTheSandbox(_ version: SpecVersion) throws {
        let h = MacvlanHarness(addresses: ["10.33.0.5/24"], gateways: ["10.33.0.1"],
                               routes: [Route(dst: IPNetwork("0.0.0.0/0")!)])
        let result = try h.add(mvconf(version: version.description))
        let link = try #require(h.container.linkNamed("eth0"))
        #expect(result.interfaces == [Interface(name: "eth0", mac: link.mac!.description, sandbox: MacvlanHarness.containerPath)])
        #expect(result.ips.map(\.interface) == [0])
        #expect(result.routes.map(\.dst) == [IPNetwork("0.0.0.0/0")!])
        #expect(h.container.base.addressTable.map(\.address) == [IPNetwork("10.33.0.5/24")!])
        #expect(h.container.base.routeTable.contains { $0.isDefault && $0.gateway == IPAddress("10.33.0.1") })
        #expect(link.isUp)
        #expect(h.sysctl.values["net/ipv4/conf/eth0/arp_notify"] == "1")
        #expect(h.sysctl.values["net/ipv6/conf/eth0/ndisc_notify"] == "1")
        #expect(h.host.createdLinkNames == ["mv0"], "nothing is created in the host")
    }

    @Test(arguments: [["10.33.0.5/24"], ["fd00:33::5/64"], ["10.33.0.5/24", "fd00:33::5/64"]])
    func ipv4IPv6AndDualStack(_ addresses: [String]) throws {
        let h = MacvlanHarness(addresses: addresses)
        let result = try h.add(mvconf())
        #expect(result.ips.map(\.address.description) == addresses)
        #expect(result.ips.allSatisfy { $0.interface == 0 })
        #expect(h.container.base.addressTable.map(\.address.description) == addresses)
        let v6 = addresses.contains { $0.contains(":") }
        #expect((h.sysctl.values["net/ipv6/conf/eth0/disable_ipv6"] == "0") == v6)
    }

    @Test func l2OnlySetsTheLinkUpWithoutIPAM() throws {
        let h = MacvlanHarness()
        let result = try h.add(mvconf(ipam: l2))
        #expect(h.ipam.calls.isEmpty)
        #expect(result.ips.isEmpty && result.routes.isEmpty)
        #expect(h.container.linkNamed("eth0")?.isUp == true)
        #expect(h.container.base.addressTable.isEmpty)
    }

    @Test func configDNSOverridesIPAMs() throws {
        let h = MacvlanHarness(dns: DNS(nameservers: ["10.0.0.53"]))
        let kept = try h.add(mvconf())
        #expect(kept.dns.nameservers == ["10.0.0.53"])
        let h2 = MacvlanHarness(dns: DNS(nameservers: ["10.0.0.53"]))
        let overridden = try h2.add(mvconf(["dns": ["nameservers": ["1.1.1.1"], "search": ["example.org"]]]))
        #expect(overridden.dns == DNS(nameservers: ["1.1.1.1"], search: ["example.org"]))
    }

    @Test func anExistingContainerInterfaceIsError102AndSurvives() throws {
        let h = MacvlanHarness()
        let theirs = h.container.seedLink("eth0", kind: "veth")
        let error = try reportedError(h.run("ADD", mvconf()))
        #expect(error.code == 102 && error.msg.contains("eth0 already exists"), "\(error.text)")
        #expect(h.container.linkNamed("eth0") == theirs, "someone else's eth0 must survive")
        #expect(h.ipam.calls.isEmpty)
    }

    /// The kernel reporting the collision (a race with another creator) gives the same error.
    @Test func aCollisionAtCreationIsError102() throws {
        let h = MacvlanHarness()
        h.container.failures["createMacvlan"] = CNIError(.alreadyExists, "creating macvlan eth0: Object exists")
        h.host.failures["createMacvlan"] = CNIError(.alreadyExists, "creating macvlan eth0: Object exists")
        let error = try reportedError(h.run("ADD", mvconf()))
        #expect(error.code == 102 && error.msg.contains("container interface eth0 already exists"), "\(error.text)")
        #expect(h.ipam.verbs == ["ADD", "DEL"], "the parallel allocation is released")
    }

    @Test func ipamRunsAfterTheLinkExists() throws {
        let h = MacvlanHarness()
        _ = try h.add(mvconf(ipam: dhcp))
        #expect(h.ipamSawLink == ["ADD link=true"])
    }

    @Test func otherInterfaceNamesWork() throws {
        let h = MacvlanHarness()
        h.ifName = "net7"
        let result = try h.add(mvconf())
        #expect(result.interfaces.map(\.name) == ["net7"])
        #expect(h.container.linkNamed("net7") != nil)
    }
}
