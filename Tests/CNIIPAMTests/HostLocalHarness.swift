// HostLocalHarness: runs HostLocalPlugin in-process through the skeleton, with its data in a scratch directory.
import CNIIPAM
import CNIJSON
import CNIPlugin
import CNISpec
import CNISystem
import HostLocalPlugin
import Testing

/// One network's worth of host-local state in a temporary data directory.
final class HostLocalHarness: Sendable {
    let scratch: ScratchDirectory
    let network: String
    var dataDir: String { "\(scratch.path)/data" }
    var networkDir: String { "\(dataDir)/\(network)" }
    /// Lease indexes of this harness's runs, kept out of /run.
    var indexDir: String { "\(scratch.path)/index" }

    init(network: String = "net1") throws {
        scratch = try ScratchDirectory()
        self.network = network
    }

    /// A config with `ipam` = `{"type":"host-local","dataDir":<scratch>, <ipam>}` and extra top-level keys.
    func config(_ version: SpecVersion = .v1_1_0, ipam: String = #""ranges":[[{"subnet":"10.1.2.0/24"}]]"#,
                top: String = "") -> String {
        #"{"cniVersion":"\#(version)","name":"\#(network)","type":"host-local"\#(top.isEmpty ? "" : "," + top),"ipam":{"type":"host-local","dataDir":"\#(dataDir)",\#(ipam)}}"#
    }

    /// Runs one verb; `env` adds to or overrides the usual CNI_* variables.
    func run(_ command: String, _ config: String, id: String = "c1", ifName: String = "eth0",
             env: [String: String] = [:]) -> Outcome {
        var environment = ["CNI_COMMAND": command, "CNI_CONTAINERID": id, "CNI_NETNS": "/var/run/netns/x",
                           "CNI_IFNAME": ifName, "CNI_PATH": "/usr/lib/cni"]
        environment.merge(env) { $1 }
        return Skeleton.run(HostLocalPlugin(index: LeaseIndexFile(root: indexDir)), environment: environment, stdin: { Array(config.utf8) })
    }

    /// The printed JSON of an outcome.
    static func json(_ outcome: Outcome) throws -> JSON { try JSON.parse(Array(outcome.stdout.utf8)) }

    /// The `ips[].address` strings of a successful ADD (1.x shape).
    static func addresses(_ outcome: Outcome) throws -> [String] {
        try #require(outcome.exitCode == 0, "ADD failed: \(outcome.stdout)")
        return try json(outcome)["ips"]?.arrayValue?.compactMap { $0["address"]?.stringValue } ?? []
    }

    /// The error code of a failed run, or nil when it succeeded.
    static func errorCode(_ outcome: Outcome) -> Int? {
        guard outcome.exitCode != 0 else { return nil }
        return (try? json(outcome))?["code"]?.intValue.map(Int.init)
    }

    static func message(_ outcome: Outcome) -> String { (try? json(outcome))?["msg"]?.stringValue ?? "" }

    /// Names in the network directory that are reservations (everything but lock and last_reserved_ip.*).
    func leaseFiles() -> [String] {
        ((try? FileSystem.list(networkDir)) ?? []).filter { IPAddress($0) != nil }.sorted()
    }
}
