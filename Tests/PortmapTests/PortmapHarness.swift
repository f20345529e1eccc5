// PortmapHarness: the portmap plugin wired to fakes (iptables, nft, conntrack, host routes and link settings), run through Skeleton.run.
import CNIFirewall
import CNIJSON
import CNINetlink
import CNIPlugin
import CNISpec
import CNITesting
import Glibc
import PortmapPlugin
import Testing

final class PortmapHarness {
    let iptables = FakeIptables()
    let nft = FakeNftTable()
    let conntrack = FakeConntrack()
    let host = FakeRouteNetlink()
    let lockPath = "/tmp/swcni-portmaptests-\(String(UInt64.random(in: 0...UInt64.max), radix: 16)).lock"
    var containerID = "c1"
    var ifName = "eth0"
    /// The in-process view of iptables-nft; nil: the iptables backend always reads with iptables-save.
    var kernel: FakeIptablesKernel?

    init() {
        let bridge = host.seedLink("cni0", kind: "bridge")
        host.routeTable.append(KernelRoute(destination: IPNetwork("10.250.0.0/24")!, linkIndex: bridge.index, table: 254))
    }

    deinit { unlink(lockPath) }

    /// The owner the plugin gives this harness's attachment.
    var owner: RuleOwner { RuleOwner(network: "mynet", containerID: containerID, ifName: ifName) }

    var plugin: PortmapPlugin {
        let iptables = iptables, nft = nft, host = host, lockPath = lockPath, kernel = kernel
        return PortmapPlugin(dependencies: PortmapDependencies(
            backend: { kind in
                kind == .nftables ? NftPortmap(nft, lockPath: lockPath, tableMayExist: { nft.listing != nil }) as any PortmapBackend
                    : IptablesPortmap(iptables, lockPath: lockPath, tableMayExist: { _ in true }, kernel: kernel)
            },
            host: { () throws(CNIError) in host }, conntrack: conntrack))
    }

    func run(_ command: String, _ config: String) -> Outcome {
        let env = ["CNI_COMMAND": command, "CNI_CONTAINERID": containerID, "CNI_NETNS": "/proc/self/ns/net",
                   "CNI_IFNAME": ifName, "CNI_PATH": "/nonexistent"]
        return Skeleton.run(plugin, environment: env, stdin: { Array(config.utf8) })
    }

    /// A verb that must succeed.
    @discardableResult
    func ok(_ command: String, _ config: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> Outcome {
        let out = run(command, config)
        try #require(out.exitCode == 0, "\(command) failed: \(out.stdout)", sourceLocation: sourceLocation)
        return out
    }

    /// The error code and message of a verb that must fail.
    func error(_ command: String, _ config: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> (Int64, String) {
        let out = run(command, config)
        try #require(out.exitCode != 0, "expected \(command) to fail: \(out.stdout)", sourceLocation: sourceLocation)
        let json = try JSON.parse(out.stdout)
        return (json["code"]?.intValue ?? 0, json["msg"]?.stringValue ?? "")
    }
}

/// A prevResult as bridge returns it: [bridge, host veth, container eth0] with addresses on eth0.
func bridgeResult(_ addresses: [String] = ["10.250.0.2/24", "fd00::2/64"]) -> CNIResult {
    CNIResult(interfaces: [Interface(name: "cni0"), Interface(name: "veth1"), Interface(name: "eth0", sandbox: "/proc/self/ns/net")],
              ips: addresses.map { IPConfig(address: IPNetwork($0)!, interface: 2) })
}

/// A portmap config with `mappings` in runtimeConfig, `keys` added, and `prev` as prevResult.
func pmconf(_ mappings: [JSON], _ keys: [String: JSON] = [:], prev: CNIResult? = bridgeResult()) throws -> String {
    var o = JSONObject([("cniVersion", "1.0.0"), ("name", "mynet"), ("type", "portmap")])
    o["runtimeConfig"] = .object(JSONObject([("portMappings", .array(mappings))]))
    if let prev { o["prevResult"] = try prev.json(version: .v1_0_0) }
    for (k, v) in keys.sorted(by: { $0.key < $1.key }) { o[k] = v }
    return JSON.object(o).serialized()
}

func mapping(_ host: Int, _ container: Int, _ proto: String = "tcp", hostIP: String? = nil) -> JSON {
    var o = JSONObject([("hostPort", .int(Int64(host))), ("containerPort", .int(Int64(container))), ("protocol", .string(proto))])
    if let hostIP { o["hostIP"] = .string(hostIP) }
    return .object(o)
}
