// HostLocalRequestTests: requested addresses from the three sources, CNI_ARGS rules, and bad configs leaving no trace.
import CNIPlugin
import CNISpec
import CNISystem
import Testing

@Suite struct HostLocalRequestTests {
    private let dual = #""ranges":[[{"subnet":"10.1.2.0/24"}],[{"subnet":"fd00::/64"}]]"#

    /// (top-level config keys, CNI_ARGS, expected addresses)
    @Test(arguments: [
        ("", "IP=10.1.2.50", ["10.1.2.50/24", "fd00::2/64"]),
        ("", "IP=10.1.2.50/8,fd00::50", ["10.1.2.50/24", "fd00::50/64"]),
        ("", "IgnoreUnknown=1;IP= 10.1.2.51 ;K8S_POD_NAME=p", ["10.1.2.51/24", "fd00::2/64"]),
        (#""args":{"cni":{"ips":["fd00::60/64"]}}"#, "", ["10.1.2.2/24", "fd00::60/64"]),
        (#""runtimeConfig":{"ips":["10.1.2.70"]}"#, "", ["10.1.2.70/24", "fd00::2/64"]),
        (#""runtimeConfig":{"ips":["10.1.2.70"]},"args":{"cni":{"ips":["fd00::61"]}}"#, "", ["10.1.2.70/24", "fd00::61/64"]),
        (#""runtimeConfig":{"ips":["10.1.2.70"]}"#, "IP=10.1.2.70", ["10.1.2.70/24", "fd00::2/64"]),
    ])
    func requestedAddressesAreHonoured(top: String, cniArgs: String, expected: [String]) throws {
        let h = try HostLocalHarness()
        let out = h.run("ADD", h.config(ipam: dual, top: top), env: ["CNI_ARGS": cniArgs])
        #expect(try HostLocalHarness.addresses(out) == expected)
    }

    /// Requests that cannot all be met fail, and nothing stays reserved.
    @Test(arguments: [
        "IP=10.1.2.50,10.1.2.51",
        "IP=10.9.9.9",
        "IP=10.1.2.1",
        "IP=10.1.2.5,fd00::1",
    ])
    func unfulfillableRequestsFailTheAddBeforeTouchingTheDisk(cniArgs: String) throws {
        let h = try HostLocalHarness()
        let out = h.run("ADD", h.config(ipam: dual), env: ["CNI_ARGS": cniArgs])
        #expect(out.exitCode != 0)
        #expect(!FileSystem.exists(h.dataDir))
    }

    @Test func aRequestedAddressHeldByAnotherContainerFailsAndReleasesTheOtherSet() throws {
        let h = try HostLocalHarness()
        _ = try HostLocalHarness.addresses(h.run("ADD", h.config(ipam: dual), id: "first", env: ["CNI_ARGS": "IP=fd00::50"]))
        let out = h.run("ADD", h.config(ipam: dual), id: "second", env: ["CNI_ARGS": "IP=fd00::50"])
        #expect(HostLocalHarness.message(out).contains("fd00::50 is not available"))
        #expect(h.leaseFiles() == ["10.1.2.2", "fd00::50"])
    }

    @Test(arguments: ["MAC=aa:bb:cc:dd:ee:ff", "FOO=1;IP=10.1.2.9"])
    func unknownCNIArgsAreRejectedUnlessIgnoreUnknown(cniArgs: String) throws {
        let h = try HostLocalHarness()
        let out = h.run("ADD", h.config(), env: ["CNI_ARGS": cniArgs])
        #expect(out.exitCode != 0)
        #expect(HostLocalHarness.message(out).contains("unknown CNI_ARGS key"))
        #expect(!FileSystem.exists(h.dataDir))
        #expect(h.run("ADD", h.config(), env: ["CNI_ARGS": cniArgs + ";IgnoreUnknown=1"]).exitCode == 0)
    }

    /// Bad values: an error naming the key and the value, and the data directory never created.
    @Test(arguments: [
        (#""ranges":[[{"subnet":"10.1.2.5/24"}]]"#, "", "10.1.2.5/24"),
        (#""ranges":[[{"subnet":"10.1.2.0/32"}]]"#, "", "10.1.2.0/32"),
        (#""ranges":"10.1.2.0/24""#, "", "ranges"),
        (#""ranges":[[{"subnet":"10.1.2.0/24"}]],"routes":[{"dst":"nowhere"}]"#, "", "ipam.routes[0].dst"),
        (#""ranges":[[{"subnet":"10.1.2.0/24"}]],"routes":[{"dst":"0.0.0.0/0","gw":"fd00::1"}]"#, "", "fd00::1"),
        (#""ranges":[[{"subnet":"10.1.2.0/24"}]],"resolvConf":"/nonexistent/resolv.conf""#, "", "/nonexistent/resolv.conf"),
        (#""ranges":[[{"subnet":"10.1.2.0/24"}]]"#, #""runtimeConfig":{"ips":["bogus"]}"#, "bogus"),
        (#""ranges":[[{"subnet":"10.1.2.0/24"}]]"#, #""args":{"cni":{"ips":[7]}}"#, "args.cni.ips"),
        (#""ranges":[[{"subnet":"10.1.2.0/24"}]]"#, #""runtimeConfig":{"ipRanges":[[{"subnet":"10.1.0.0/16"}]]}"#, "overlaps"),
    ])
    func badConfigIsNamedAndTouchesNothing(ipam: String, top: String, mentions: String) throws {
        let h = try HostLocalHarness()
        let out = h.run("ADD", h.config(ipam: ipam, top: top))
        #expect(out.exitCode != 0)
        #expect(out.stdout.contains(mentions), "\(out.stdout)")
        #expect(!FileSystem.exists(h.dataDir))
    }

    @Test func missingIpamIsAnError() throws {
        let h = try HostLocalHarness()
        let out = h.run("ADD", #"{"cniVersion":"1.0.0","name":"n","type":"host-local"}"#)
        #expect(HostLocalHarness.message(out).contains("'ipam'"))
    }

    @Test func badIPInCNIArgsIsNamed() throws {
        let h = try HostLocalHarness()
        let out = h.run("ADD", h.config(), env: ["CNI_ARGS": "IP=10.1.2.300"])
        #expect(HostLocalHarness.message(out).contains("CNI_ARGS IP 10.1.2.300"))
        #expect(!FileSystem.exists(h.dataDir))
    }
}
