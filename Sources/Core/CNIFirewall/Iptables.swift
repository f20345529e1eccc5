// Iptables: reading and writing netfilter through iptables-save/iptables-restore, one batch per call.
import CNISpec
import CNISystem
import Glibc

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

    /// Whether `family`'s iptables is iptables-nft: its restore tool resolves (through the alternatives
    /// links) to xtables-nft-multi, so its tables are nf_tables tables that can be read and written in-process.
    public func isNftVariant(_ family: IPFamily) -> Bool {
        guard let path = try? tool(family, "restore"), let real = realpath(path, nil) else { return false }
        defer { free(real) }
        return (String(cString: real).split(separator: "/").last ?? "").contains("nft")
    }

    public func save(_ family: IPFamily, table: String) throws(CNIError) -> IptablesTable {
        let out = try run(tool(family, "save"), ["-t", table], input: [])
        return IptablesTable(parsing: String(decoding: out, as: UTF8.self), table: table)
    }

    public func restore(_ family: IPFamily, batch: String) throws(CNIError) {
        _ = try run(tool(family, "restore"), Self.restoreArguments, input: Array(batch.utf8))
    }

    /// Wait up to 10 s for the xtables lock (legacy iptables); add to the tables, never flush them.
    static let restoreArguments = ["-w", "10", "--noflush"]

    /// Starts the family's iptables-restore, waiting for its batch (see WarmIptables).
    func startRestore(_ family: IPFamily) throws(CNIError) -> RunningProcess {
        let path = try tool(family, "restore")
        do {
            return try Subprocess.start(path, arguments: Self.restoreArguments, environment: environment, captureStderr: true)
        } catch { throw CNIError(error, context: "running \(path)") }
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
        return try check(out, path: path, args, input: input)
    }

    /// The tool's stdout, or an error quoting its stderr and the batch when it failed.
    func check(_ out: ProcessOutput, path: String, _ args: [String], input: [UInt8]) throws(CNIError) -> [UInt8] {
        guard out.succeeded else {
            let why = String(decoding: out.stderr, as: UTF8.self).trimmingWhitespace()
            throw CNIError(.systemFailure, "\(path) \(args.joined(separator: " ")) failed: \(why)",
                           details: String(decoding: input, as: UTF8.self))
        }
        return out.stdout
    }
}
