// Iptables: reading and writing netfilter through iptables-save/iptables-restore, one batch per call.
import CNISpec
import CNISystem

/// The two iptables operations the suite uses; a fake stands in for tests.
public protocol Iptables {
    /// `iptables-save -t <table>` (or ip6tables-save) parsed.
    func save(_ family: IPFamily, table: String) throws(CNIError) -> IptablesTable
    /// `iptables-restore --noflush` (or ip6tables-restore) with one batch, applied atomically.
    func restore(_ family: IPFamily, batch: String) throws(CNIError)
}

/// The real thing: execs the iptables tools of this machine (nft or legacy, whichever is installed).
public struct SystemIptables: Iptables {
    /// Where to look for the tools when PATH is unset or minimal, as it often is under a runtime.
    public static let searchPath = "/usr/sbin:/sbin:/usr/bin:/bin:/usr/local/sbin"
    let environment: [String: String]

    public init(environment: [String: String] = ["PATH": SystemIptables.searchPath]) {
        self.environment = environment
    }

    public func save(_ family: IPFamily, table: String) throws(CNIError) -> IptablesTable {
        let out = try run(tool(family, "save"), ["-t", table], input: [])
        return IptablesTable(parsing: String(decoding: out, as: UTF8.self), table: table)
    }

    public func restore(_ family: IPFamily, batch: String) throws(CNIError) {
        _ = try run(tool(family, "restore"), ["-w", "10", "--noflush"], input: Array(batch.utf8))
    }

    private func tool(_ family: IPFamily, _ verb: String) throws(CNIError) -> String {
        let name = (family == .v4 ? "iptables-" : "ip6tables-") + verb
        guard let path = Subprocess.find(name, inPath: (environment["PATH"] ?? "") + ":" + Self.searchPath) else {
            throw CNIError(.systemFailure, "\(name) not found: install iptables")
        }
        return path
    }

    private func run(_ path: String, _ args: [String], input: [UInt8]) throws(CNIError) -> [UInt8] {
        let out: ProcessOutput
        do {
            out = try Subprocess.run(path, arguments: args, environment: environment, input: input, captureStderr: true)
        } catch { throw CNIError(error, context: "running \(path)") }
        guard out.succeeded else {
            let why = String(decoding: out.stderr, as: UTF8.self).trimmingWhitespace()
            throw CNIError(.systemFailure, "\(path) \(args.joined(separator: " ")) failed: \(why)",
                           details: String(decoding: input, as: UTF8.self))
        }
        return out.stdout
    }
}
