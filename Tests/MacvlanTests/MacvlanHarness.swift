// MacvlanHarness: the macvlan plugin wired to fakes (netlink per namespace, sysctls, IPAM), run through Skeleton.run.
import CNIIPAM
import CNIJSON
import CNINetlink
import CNIPlugin
import CNISpec
import CNITesting
import MacvlanPlugin
import Testing

/// One plugin environment made of fakes. CNI_NETNS is a namespace file the process can always open
/// (`/proc/self/ns/net`), so NetworkNamespace.open succeeds without root; every side effect goes to fakes
/// keyed by that path (the container) and by `/proc/thread-self/ns/net` (the host). The host has a
/// master `mv0` (MTU 1500) and a default route through it.
final class MacvlanHarness {
    static let hostPath = "/proc/thread-self/ns/net"
    static let containerPath = "/proc/self/ns/net"

    let kernel = FakeMacvlanKernel()
    let host: FakeMacvlanNetlink
    let container: FakeMacvlanNetlink
    let sysctl = FakeSysctl()
    let ipam: FakeIPAMDelegate
    /// Whether the container interface existed at each IPAM verb, in order ("DEL link=true").
    var ipamSawLink: [String] = []

    var containerID = "c1"
    var ifName = "eth0"
    var netns = MacvlanHarness.containerPath
    var cniArgs: String?

    init(addresses: [String] = ["10.33.0.5/24"], gateways: [String?] = [], routes: [Route] = [], dns: DNS = DNS()) {
        host = kernel.netlink(at: Self.hostPath)
        container = kernel.netlink(at: Self.containerPath)
        ipam = FakeIPAMDelegate(addresses: addresses, gateways: gateways, routes: routes, dns: dns)
        let master = host.seedLink("mv0", mtu: 1500)
        host.seedRoute(KernelRoute(destination: IPNetwork("0.0.0.0/0")!, gateway: IPAddress("10.33.0.1"),
                                   linkIndex: master.index, table: KernelRoute.mainTable))
    }

    var plugin: MacvlanPlugin {
        let kernel = kernel, host = host, sysctl = sysctl
        return MacvlanPlugin(dependencies: MacvlanDependencies(
            host: { () throws(CNIError) in host },
            container: { (ns) throws(CNIError) in kernel.netlink(at: ns.path) },
            containerSysctl: { _ in sysctl },
            ipam: ObservingIPAM(self)))
    }

    /// Runs one verb with `config` on stdin.
    func run(_ command: String, _ config: String) -> Outcome {
        var env = ["CNI_COMMAND": command, "CNI_CONTAINERID": containerID, "CNI_NETNS": netns,
                   "CNI_IFNAME": ifName, "CNI_PATH": "/nonexistent"]
        if let cniArgs { env["CNI_ARGS"] = cniArgs }
        if command == "STATUS" || command == "GC" { env = ["CNI_COMMAND": command, "CNI_PATH": "/nonexistent"] }
        return Skeleton.run(plugin, environment: env, stdin: { Array(config.utf8) })
    }

    /// ADD that must succeed; its result, decoded.
    func add(_ config: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> CNIResult {
        let out = run("ADD", config)
        try #require(out.exitCode == 0, "ADD failed: \(out.stdout)", sourceLocation: sourceLocation)
        return try CNIResult(json: JSON.parse(out.stdout), assumedVersion: .v1_1_0)
    }

    /// No link was created anywhere and IPAM was never called.
    var nothingCreated: Bool {
        !kernel.allCalls.contains { $0.contains("createMacvlan") } && ipam.calls.isEmpty
            && container.createdLinkNames.isEmpty && host.createdLinkNames == ["mv0"] && sysctl.values.isEmpty
    }
}

/// Forwards to the harness's FakeIPAMDelegate, noting whether the container interface exists at each call.
final class ObservingIPAM: IPAMDelegate {
    unowned let harness: MacvlanHarness
    init(_ harness: MacvlanHarness) { self.harness = harness }

    /// Only `dhcp` IPAM runs strictly ordered with the link; other types run on a second thread beside
    /// link work, where reading the (not thread-safe) fake netlink would race, so they are not observed.
    private func note(_ verb: String, _ request: Request) {
        guard PendingAllocation.needsLinkFirst(request.config.ipamType) else { return }
        harness.ipamSawLink.append("\(verb) link=\(harness.container.linkNamed(harness.ifName) != nil)")
    }
    func add(_ request: Request) throws(CNIError) -> CNIResult { note("ADD", request); return try harness.ipam.add(request) }
    func del(_ request: Request) throws(CNIError) { note("DEL", request); try harness.ipam.del(request) }
    func check(_ request: Request) throws(CNIError) { note("CHECK", request); try harness.ipam.check(request) }
    func status(_ request: Request) throws(CNIError) { note("STATUS", request); try harness.ipam.status(request) }
    func gc(_ request: Request) throws(CNIError) { note("GC", request); try harness.ipam.gc(request) }
}

/// A macvlan network config on master `mv0` with IPAM type `fake-ipam` (nil `ipam` leaves the key out,
/// nil `master` too), then `keys` added or replacing.
/// IPAM that must see the link (ordered, never overlapped with link work).
let dhcp: JSON = ["type": "dhcp"]

func mvconf(_ keys: [String: JSON] = [:], master: String? = "mv0", ipam: JSON? = ["type": "fake-ipam"],
            version: String = "1.0.0") -> String {
    var o = JSONObject([("cniVersion", .string(version)), ("name", "mv-net"), ("type", "macvlan")])
    if let master { o["master"] = .string(master) }
    if let ipam { o["ipam"] = ipam }
    for (key, value) in keys.sorted(by: { $0.key < $1.key }) { o[key] = value }
    return JSON.object(o).serialized()
}

/// `mvconf` with `prevResult` set to `result` encoded for `version`.
func mvconf(_ keys: [String: JSON] = [:], master: String? = "mv0", ipam: JSON? = ["type": "fake-ipam"],
            version: String = "1.0.0", prevResult: CNIResult) throws -> String {
    var all = keys
    all["prevResult"] = try prevResult.json(version: SpecVersion(version)!)
    return mvconf(all, master: master, ipam: ipam, version: version)
}

/// The error of a failed invocation (CNITesting.ReportedError); the test fails when there is none.
func reportedError(_ out: Outcome, sourceLocation: SourceLocation = #_sourceLocation) throws -> ReportedError {
    try #require(ReportedError(out), "expected a CNI error, got exit \(out.exitCode): \(out.stdout)",
                 sourceLocation: sourceLocation)
}

let l2: JSON = .object(JSONObject())
