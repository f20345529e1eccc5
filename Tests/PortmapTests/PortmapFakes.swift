// PortmapFakes: an in-memory iptables (save/restore semantics), nft table access and conntrack for plugin tests.
import CNIFirewall
import CNIJSON
import CNISpec
import PortmapPlugin

/// Keeps one nat table per family and applies iptables-restore --noflush batches atomically:
/// `:CHAIN` creates or flushes, `-A`, `-I CHAIN 1`, `-D` (exact text, else the batch fails), `-F`, `-X`.
final class FakeIptables: Iptables {
    var chains: [IPFamily: [String]] = [.v4: [], .v6: []]
    var rules: [IPFamily: [String]] = [.v4: [], .v6: []]
    private(set) var calls: [String] = []
    var failRestore: CNIError?

    func save(_ family: IPFamily, table: String) throws(CNIError) -> IptablesTable {
        calls.append("save \(family == .v4 ? 4 : 6)")
        return IptablesTable(name: table, chains: chains[family]!, rules: rules[family]!)
    }

    func restore(_ family: IPFamily, batch: String) throws(CNIError) {
        calls.append("restore \(family == .v4 ? 4 : 6)")
        if let failRestore { throw failRestore }
        var c = chains[family]!, r = rules[family]!
        if c.isEmpty { c = ["PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"] }
        for line in batch.split(separator: "\n").map(String.init) {
            let words = line.split(separator: " ", maxSplits: 2).map(String.init)
            if line.hasPrefix(":") {
                let name = String(line.dropFirst().prefix { $0 != " " })
                if c.contains(name) { r.removeAll { $0.hasPrefix(name + " ") } } else { c.append(name) }
            } else if words.first == "-A" {
                r.append(words[1] + " " + words[2])
            } else if words.first == "-I" {
                let rest = String(words[2].drop { $0 != " " }.dropFirst())
                let at = r.firstIndex { $0.hasPrefix(words[1] + " ") } ?? r.endIndex
                r.insert(words[1] + " " + rest, at: at)
            } else if words.first == "-D" {
                guard let i = r.firstIndex(of: words[1] + " " + words[2]) else {
                    throw CNIError(.systemFailure, "fake iptables-restore: no rule \(line)")
                }
                r.remove(at: i)
            } else if words.first == "-F" {
                r.removeAll { $0.hasPrefix(words[1] + " ") }
            } else if words.first == "-X" {
                c.removeAll { $0 == words[1] }
            }
        }
        chains[family] = c; rules[family] = r
    }

    /// Every rule of a family that mentions `text`.
    func rules(_ family: IPFamily, containing text: String) -> [String] { rules[family]!.filter { $0.contains(text) } }
}

/// Records nft scripts; `listing` is what `list table` returns (nil: no table).
final class FakeNftTable: NftTableAccess {
    var listing: JSON?
    private(set) var scripts: [String] = []
    /// Scripts containing this text fail, as the kernel refusing an existing key would.
    var refuse: String?
    func list(family: String, table: String) throws(CNIError) -> JSON? { listing }
    func listMap(family: String, table: String, name: String) throws(CNIError) -> JSON? { listing }
    /// What `get element` prints; nil: a key is missing.
    var got: String?
    func getElements(family: String, table: String, set: String, keys: [String]) throws(CNIError) -> String? { got }
    func apply(_ script: String) throws(CNIError) {
        scripts.append(script)
        if let refuse, script.contains(refuse) { throw CNIError(.systemFailure, "nft -f - failed: File exists") }
    }
}

/// Records the UDP ports flushed, as "4:5353".
final class FakeConntrack: ConntrackFlushing {
    private(set) var flushed: [String] = []
    func flushUDP(port: Int, family: IPFamily) throws(CNIError) { flushed.append("\(family == .v4 ? 4 : 6):\(port)") }
}
