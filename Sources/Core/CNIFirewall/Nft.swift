// Nft: reading rules with `nft -j` and applying one `nft -f` transaction; a fake stands in for tests.
import CNIJSON
import CNISpec
import CNISystem

/// One rule as `nft -j list` reports it: where it is, its handle and its comment.
public struct NftRule: Equatable, Sendable {
    public let family: String, table: String, chain: String
    public let handle: Int
    public let comment: String

    public init(family: String, table: String, chain: String, handle: Int, comment: String) {
        self.family = family; self.table = table; self.chain = chain; self.handle = handle; self.comment = comment
    }

    /// The rules in `nft -j list …` output.
    public static func parse(listing: JSON) -> [NftRule] {
        (listing["nftables"]?.arrayValue ?? []).compactMap { item in
            guard let r = item["rule"]?.objectValue, let handle = r["handle"]?.intValue else { return nil }
            return NftRule(family: r["family"]?.stringValue ?? "", table: r["table"]?.stringValue ?? "",
                           chain: r["chain"]?.stringValue ?? "", handle: Int(handle),
                           comment: r["comment"]?.stringValue ?? "")
        }
    }
}

/// The nft operations the suite uses.
public protocol Nft {
    /// Rules of one chain; empty when the table or chain does not exist.
    func rules(family: String, table: String, chain: String) throws(CNIError) -> [NftRule]
    /// Applies a whole script (`nft -f -`) as one transaction.
    func apply(_ script: String) throws(CNIError)
}

/// Runs this machine's `nft` once: the one place that finds it, execs it and turns its failure into a
/// CNI error. A read of something that does not exist gives nil when `missingIsNil`.
public struct NftCommand: Sendable {
    let environment: [String: String]

    public init(environment: [String: String] = ["PATH": SystemIptables.searchPath]) { self.environment = environment }

    public func run(_ args: [String], input: [UInt8] = [], missingIsNil: Bool) throws(CNIError) -> [UInt8]? {
        guard let path = Subprocess.find("nft", inPath: (environment["PATH"] ?? "") + ":" + SystemIptables.searchPath) else {
            throw CNIError(.systemFailure, "nft not found: install nftables")
        }
        let out: ProcessOutput
        do { out = try Subprocess.run(path, arguments: args, environment: environment, input: input, captureStderr: true) }
        catch { throw CNIError(error, context: "running nft") }
        if out.succeeded { return out.stdout }
        let why = String(decoding: out.stderr, as: UTF8.self).trimmingWhitespace()
        if missingIsNil && why.contains("No such file or directory") { return nil }
        throw CNIError(.systemFailure, "nft \(args.joined(separator: " ")) failed: \(why)",
                       details: String(decoding: input, as: UTF8.self))
    }

    /// `nft -f -`: a whole script as one transaction.
    public func apply(_ script: String) throws(CNIError) {
        _ = try run(["-f", "-"], input: Array(script.utf8), missingIsNil: false)
    }
}

/// Execs this machine's `nft`.
public struct SystemNft: Nft {
    let command: NftCommand

    public init(environment: [String: String] = ["PATH": SystemIptables.searchPath]) {
        command = NftCommand(environment: environment)
    }

    public func rules(family: String, table: String, chain: String) throws(CNIError) -> [NftRule] {
        let out = try command.run(["-j", "list", "chain", family, table, chain], missingIsNil: true)
        guard let out, !out.isEmpty else { return [] }
        do { return NftRule.parse(listing: try JSON.parse(out)) } catch {
            throw CNIError(.systemFailure, "nft printed invalid JSON: \(error)")
        }
    }

    public func apply(_ script: String) throws(CNIError) { try command.apply(script) }
}
