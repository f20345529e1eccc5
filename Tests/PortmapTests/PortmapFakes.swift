// PortmapFakes: an in-memory iptables (save/restore semantics), nft table access and conntrack for plugin tests.
import CNIFirewall
import CNIJSON
import CNISpec
@testable import PortmapPlugin

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

/// Records nft scripts and element transactions (as the equivalent nft commands, one script each);
/// `listing` is what `list table` returns (nil: no table) and what single elements are read from.
final class FakeNftTable: NftTableAccess {
    var listing: JSON?
    private(set) var scripts: [String] = []
    /// Scripts containing this text fail, as the kernel refusing an existing key would.
    var refuse: String?
    func list(family: String, table: String) throws(CNIError) -> JSON? { listing }
    func apply(_ script: String) throws(CNIError) {
        scripts.append(script)
        if let refuse, script.contains(refuse) { throw CNIError(.systemFailure, "nft -f - failed: File exists") }
    }
    private var stored: [NftElement] { listing.map { NftPortmapState(listing: $0).elements } ?? [] }
    func elements(set: String) throws(CNIError) -> [NftElement]? {
        listing == nil ? nil : stored.filter { $0.set == set }
    }
    func elements(set: String, keys: [String]) -> [NftElement]? {
        let found = stored.filter { $0.set == set && keys.contains($0.key) }
        return found.count == keys.count ? found : nil
    }
    func change(_ changes: [NftElementChange]) throws(CNIError) {
        try apply(changes.map(\.description).joined(separator: "\n") + "\n")
    }
    func holds(commentPrefix prefix: String) -> Bool {
        guard let listing else { return false }
        let state = NftPortmapState(listing: listing)
        return state.elements.contains { $0.comment.hasPrefix(prefix) } || state.rules.contains { $0.comment.hasPrefix(prefix) }
    }
}

/// Records the UDP ports flushed, as "4:5353".
final class FakeConntrack: ConntrackFlushing {
    private(set) var flushed: [String] = []
    func flushUDP(port: Int, family: IPFamily) throws(CNIError) { flushed.append("\(family.versionString):\(port)") }
}

/// iptables-nft's view of a FakeIptables table, read from its rule text as the kernel reader would
/// describe the same rules: a rule's handle is its index in the family's rule list at the time of reading.
final class FakeIptablesKernel: IptablesKernel {
    let iptables: FakeIptables
    var isAvailable = true
    var failDelete = false
    private(set) var deletes: [String] = []

    init(_ iptables: FakeIptables) { self.iptables = iptables }

    func available(_ family: IPFamily) -> Bool { isAvailable }

    func chainExists(_ family: IPFamily, _ chain: String) -> Bool? { iptables.chains[family]!.contains(chain) }

    func rules(_ family: IPFamily, _ chain: String) throws(CNIError) -> [IptablesNftRule]? {
        guard iptables.chains[family]!.contains(chain) else { return nil }
        return iptables.rules[family]!.enumerated().compactMap { index, text in
            guard text.hasPrefix(chain + " ") else { return nil }
            return Self.describe(String(text.dropFirst(chain.count + 1)), handle: UInt64(index))
        }
    }

    func contains(_ family: IPFamily, _ chain: String, where test: (IptablesNftRule) -> Bool) throws(CNIError) -> Bool {
        try rules(family, chain)?.contains(where: test) ?? false
    }

    func delete(_ family: IPFamily, rules: [(chain: String, handle: UInt64)], chains: [String]) throws(CNIError) {
        deletes.append("delete \(family.versionString) \(rules.count) rules, chains \(chains)")
        if failDelete { throw CNIError(.systemFailure, "fake nfnetlink: refused") }
        var r = iptables.rules[family]!
        let handles = Set(rules.map { Int($0.handle) })
        r = r.enumerated().filter { !handles.contains($0.offset) }.map(\.element)
        for chain in chains {
            r.removeAll { $0.hasPrefix(chain + " ") }
            if r.contains(where: { $0.hasSuffix("-j \(chain)") || $0.contains("-j \(chain) ") }) {
                throw CNIError(.systemFailure, "fake nfnetlink: chain \(chain) is in use")
            }
        }
        iptables.rules[family] = r
        iptables.chains[family]!.removeAll { chains.contains($0) }
    }

    /// A rule's text as iptables-nft 1.8 stores it: `-p`, `-m mark` and `-m tcp/udp/sctp` natively, other
    /// `-m` as xt matches, `-j` to a chain as a verdict and to an extension as an xt target.
    static func describe(_ text: String, handle: UInt64) -> IptablesNftRule {
        let words = text.split(separator: " ").map(String.init)
        func after(_ flag: String) -> String? { MappedPort.word(after: flag, in: text) }
        let jump = after("-j")
        let isExtension = jump.map { $0 == $0.uppercased() && !$0.hasPrefix("CNI-") } ?? false
        var rule = IptablesNftRule(handle: handle, target: isExtension ? nil : jump,
                                   proto: after("-p").flatMap { PortProtocol(rawValue: $0)?.number },
                                   dports: after("--dports").map { $0.split(separator: ",").compactMap { Int($0) } },
                                   comment: MappedPort.commentText(text))
        if isExtension { rule.xtTarget = jump }
        for (i, w) in words.enumerated() where w == "-m" && i + 1 < words.count {
            let name = words[i + 1]
            if name == "mark" || PortProtocol(rawValue: name) != nil { continue }
            rule.matches.append(name)
        }
        func pair(_ flag: String) -> [UInt32]? {
            after(flag).map { $0.split(separator: "/").compactMap { UInt32($0.dropFirst(2), radix: 16) } }
        }
        rule.setMark = pair("--set-xmark")
        rule.markMatch = pair("--mark")
        rule.others = words.filter { ["-s", "-d", "!", "--dport"].contains($0) }.count
        return rule
    }
}
