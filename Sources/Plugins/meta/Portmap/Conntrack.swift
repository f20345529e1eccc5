// Conntrack: forgets the UDP flows of a mapped host port, so a recreated container gets new packets.
import CNISpec
import CNISystem
import CNIFirewall

/// Deletes conntrack entries; a fake stands in for tests.
public protocol ConntrackFlushing {
    /// Deletes the UDP entries of `family` whose original destination port is `port`.
    func flushUDP(port: Int, family: IPFamily) throws(CNIError)
}

/// Execs `conntrack -D -p udp --dport PORT -f ipv4|ipv6` (Debian's conntrack package). Exit status 1
/// with "0 flow entries" means there was nothing to delete.
public struct SystemConntrack: ConntrackFlushing {
    let environment: [String: String]

    public init(environment: [String: String] = ["PATH": SystemIptables.searchPath]) { self.environment = environment }

    public func flushUDP(port: Int, family: IPFamily) throws(CNIError) {
        guard let tool = Subprocess.find("conntrack", inPath: (environment["PATH"] ?? "") + ":" + SystemIptables.searchPath) else {
            throw CNIError(.systemFailure, "conntrack not found: install conntrack")
        }
        let args = ["-D", "-p", "udp", "--dport", String(port), "-f", family == .v4 ? "ipv4" : "ipv6"]
        let out: ProcessOutput
        do { out = try Subprocess.run(tool, arguments: args, environment: environment, captureStderr: true) }
        catch { throw CNIError(error, context: "running conntrack") }
        let why = String(decoding: out.stderr, as: UTF8.self).trimmingWhitespace()
        if out.succeeded || why.contains("0 flow entries") { return }
        throw CNIError(.systemFailure, "conntrack \(args.joined(separator: " ")) failed: \(why)")
    }
}
