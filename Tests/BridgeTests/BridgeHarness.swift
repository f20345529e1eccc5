// BridgeHarness: the bridge plugin wired to fakes (netlink per namespace, sysctls, IPAM, masquerade), run through Skeleton.run.
import BridgePlugin
import CNIFirewall
import CNIJSON
import CNINetlink
import CNIPlugin
import CNISpec
import CNISystem
import CNITesting
import Glibc
import Testing

/// One plugin environment made of fakes. CNI_NETNS is a real namespace file the process can always open
/// (`/proc/self/ns/net`), so NetworkNamespace.open succeeds without root; every side effect goes to fakes
/// keyed by that path (the container) and by `/proc/thread-self/ns/net` (the host, as
/// `NetworkNamespace.current()` names it).
final class BridgeHarness {
    static let hostPath = "/proc/thread-self/ns/net"
    static let containerPath = "/proc/self/ns/net"

    let kernel = FakeNamespaces()
    let host: FakeBridgeNetlink
    let container: FakeBridgeNetlink
    let hostSysctl = FakeSysctl()
    let containerSysctl = FakeSysctl()
    let ipam: FakeIPAMDelegate
    let iptables = FakeMasquerade(name: "iptables")
    let nftables = FakeMasquerade(name: "nftables")
    let macSpoof = FakeMacSpoofRules()
    /// The address families each ADD prepared its masquerade backend for.
    let prepared = PreparedFamilies()
    let lockDirectory: String

    var containerID = "c1"
    var ifName = "eth0"
    var netns = BridgeHarness.containerPath
    var cniArgs: String?

    /// IPAM answers ADD with `addresses` (no gateways unless given).
    init(addresses: [String] = ["10.22.0.5/16"], gateways: [String?] = [], routes: [Route] = [], dns: DNS = DNS()) {
        host = kernel.netlink(at: Self.hostPath)
        container = kernel.netlink(at: Self.containerPath)
        ipam = FakeIPAMDelegate(addresses: addresses, gateways: gateways, routes: routes, dns: dns)
        lockDirectory = "/tmp/swcni-bridgetests-\(String(UInt64.random(in: 0...UInt64.max), radix: 16))"
    }

    deinit {
        for name in (try? FileSystem.list(lockDirectory)) ?? [] { unlink("\(lockDirectory)/\(name)") }
        rmdir(lockDirectory)
    }

    var plugin: BridgePlugin {
        let kernel = kernel, host = host, hostSysctl = hostSysctl, containerSysctl = containerSysctl
        let iptables = iptables, nftables = nftables, prepared = prepared
        return BridgePlugin(dependencies: BridgeDependencies(
            host: { () throws(CNIError) in host },
            container: { (ns) throws(CNIError) in kernel.netlink(at: ns.path) },
            hostSysctl: hostSysctl,
            containerSysctl: { _ in containerSysctl },
            ipam: ipam,
            masquerade: { $0 == .nftables ? nftables as any MasqueradeBackend : iptables },
            lockDirectory: lockDirectory,
            macSpoofCheck: macSpoof.factory(),
            preparedMasquerade: { kind, families in
                prepared.families.append(families)
                return kind == .nftables ? nftables : iptables
            }))
    }

    /// Runs one verb with `config` on stdin.
    func run(_ command: String, _ config: String) -> Outcome {
        var env = ["CNI_COMMAND": command, "CNI_CONTAINERID": containerID, "CNI_NETNS": netns,
                   "CNI_IFNAME": ifName, "CNI_PATH": "/nonexistent"]
        if let cniArgs { env["CNI_ARGS"] = cniArgs }
        return Skeleton.run(plugin, environment: env, stdin: { Array(config.utf8) })
    }

    /// ADD that must succeed; its result, decoded.
    func add(_ config: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> CNIResult {
        let out = run("ADD", config)
        try #require(out.exitCode == 0, "ADD failed: \(out.stdout)", sourceLocation: sourceLocation)
        return try CNIResult(json: JSON.parse(out.stdout), assumedVersion: .v1_1_0)
    }

    /// Host links named veth*.
    var hostVeths: [String] { host.createdLinkNames.filter { $0.hasPrefix("veth") } }

    /// True when no fake saw any call: nothing was looked at or touched.
    var untouched: Bool {
        kernel.allCalls.isEmpty && ipam.calls.isEmpty && iptables.calls.isEmpty && nftables.calls.isEmpty
            && hostSysctl.values.isEmpty && containerSysctl.values.isEmpty
    }

    /// The owner the plugin gives this harness's attachment.
    var owner: RuleOwner { RuleOwner(network: "br-net", containerID: containerID, ifName: ifName) }
}

/// A bridge network config: `bridge` br-test, IPAM type `fake-ipam` (nil `ipam` leaves the key out),
/// then `keys` added or replacing.
func netconf(_ keys: [String: JSON] = [:], ipam: JSON? = ["type": "fake-ipam"], version: String = "1.0.0") -> String {
    var o = JSONObject([("cniVersion", .string(version)), ("name", "br-net"), ("type", "bridge"), ("bridge", "br-test")])
    if let ipam { o["ipam"] = ipam }
    for (key, value) in keys.sorted(by: { $0.key < $1.key }) { o[key] = value }
    return JSON.object(o).serialized()
}

/// `netconf` with `prevResult` set to `result` encoded for `version`.
func netconf(_ keys: [String: JSON] = [:], ipam: JSON? = ["type": "fake-ipam"], version: String = "1.0.0",
             prevResult: CNIResult) throws -> String {
    var all = keys
    all["prevResult"] = try prevResult.json(version: SpecVersion(version)!)
    return netconf(all, ipam: ipam, version: version)
}

/// The error of a failed invocation (CNITesting.ReportedError); the test fails when there is none.
func reportedError(_ out: Outcome, sourceLocation: SourceLocation = #_sourceLocation) throws -> ReportedError {
    try #require(ReportedError(out), "expected a CNI error, got exit \(out.exitCode): \(out.stdout)",
                 sourceLocation: sourceLocation)
}

let l2: JSON = .object(JSONObject())

/// Records what `preparedMasquerade` was asked for.
final class PreparedFamilies: @unchecked Sendable {
    var families: [Set<IPFamily>] = []
}
