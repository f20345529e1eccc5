// IptablesPortmapScan: reads other attachments' mappings out of the nat table (conflicts) and finds stale ones (GC).
import CNIFirewall
import CNISpec

/// A DNAT rule of some attachment's CNI-DN-<hash> chain, as found in iptables-save output.
struct MappedPort: Equatable {
    let chain: String
    let mapping: PortMapping
    /// `name: "…" id: "…"` from the chain's jump in CNI-HOSTPORT-DNAT, when there is one.
    let owner: String

    /// Every DNAT rule of every CNI-DN- chain in `table`.
    static func all(in table: IptablesTable) -> [MappedPort] {
        var owners: [String: String] = [:]
        for rule in table.rules(in: IptablesPortmapRules.dnatChain) {
            guard let target = word(after: "-j", in: rule) else { continue }
            owners[target] = commentText(rule) ?? ""
        }
        var out: [MappedPort] = []
        for chain in table.chains where chain.hasPrefix("CNI-DN-") {
            for rule in table.rules(in: chain) where rule.containsBytes(dnatTarget) {
                let words = rule.split(separator: " ")
                func after(_ flag: String) -> Substring? { word(after: flag, in: words) }
                guard after("-j") == "DNAT", let protoText = after("-p"), let proto = PortProtocol(rawValue: String(protoText)),
                      let port = after("--dport").flatMap({ Int($0) }) else { continue }
                let dst = after("-d").flatMap { IPNetwork(String($0))?.address }
                out.append(MappedPort(chain: chain, mapping: PortMapping(hostPort: port, containerPort: 0, proto: proto, hostIP: dst),
                                      owner: owners[chain] ?? ""))
            }
        }
        return out
    }

    static let dnatTarget = Array(" -j DNAT ".utf8)

    static func word(after flag: String, in rule: String) -> String? {
        word(after: flag, in: rule.split(separator: " ")).map(String.init)
    }

    /// The word after the first `flag` among `words`.
    static func word(after flag: String, in words: [Substring]) -> Substring? {
        guard let i = words.firstIndex(where: { $0 == flag }), i + 1 < words.count else { return nil }
        return words[i + 1]
    }

    /// The text of `--comment "…"`, unescaped.
    static func commentText(_ rule: String) -> String? {
        guard let start = rule.firstRange(of: "--comment \"") else { return nil }
        var out = "", escaped = false
        for c in rule[start.upperBound...] {
            if escaped { out.append(c); escaped = false } else if c == "\\" { escaped = true } else if c == "\"" { return out } else { out.append(c) }
        }
        return nil
    }
}

extension IptablesPortmapRules {
    /// Mappings of this attachment that another attachment already maps in `current` (same protocol and
    /// port, overlapping host address), described for the error message.
    public func conflicts(_ family: IPFamily, current: IptablesTable) -> [String] {
        guard applies(family) else { return [] }
        let own = chain
        let taken = MappedPort.all(in: current).filter { $0.chain != own }
        var out: [String] = []
        for m in config.mappings(for: family) {
            if let other = taken.first(where: { $0.mapping.overlaps(m) }) {
                let who = other.owner.isEmpty ? "chain \(other.chain)" : "\(other.owner) (chain \(other.chain))"
                out.append("\(m.description) (IPv\(family.versionString)) is already mapped by \(who)")
            }
        }
        return out
    }

    /// Removes the chains of `network` whose attachment is not in `valid` (found by their jump's comment);
    /// nil when there is nothing to remove.
    public static func gcBatch(network: String, valid: Set<RuleOwner>, current: IptablesTable) -> String? {
        let keep = Set(valid.map { RuleOwner(network: network, containerID: $0.containerID, ifName: "").chainName(prefix: "DN-") })
        let prefix = "dnat name: \(doubleQuoted(network)) id: "
        var stale: [String] = []
        for rule in current.rules(in: dnatChain) {
            guard let target = MappedPort.word(after: "-j", in: rule), target.hasPrefix("CNI-DN-"), !keep.contains(target),
                  MappedPort.commentText(rule)?.hasPrefix(prefix) == true, !stale.contains(target) else { continue }
            stale.append(target)
        }
        guard !stale.isEmpty else { return nil }
        var lines = ["*nat"]
        for c in stale {
            lines += current.rules(in: dnatChain, jumpingTo: c).map { "-D \(dnatChain) \($0)" }
            if current.hasChain(c) { lines += ["-F \(c)", "-X \(c)"] }
        }
        return (lines + ["COMMIT"]).joined(separator: "\n") + "\n"
    }
}

extension String {
    /// Whether the UTF-8 bytes hold `needle` (a cheap test before splitting a rule into words).
    fileprivate func containsBytes(_ needle: [UInt8]) -> Bool {
        var text = self
        return text.withUTF8 { hay in
            guard let first = needle.first, hay.count >= needle.count else { return false }
            var i = 0
            while i + needle.count <= hay.count {
                if hay[i] == first && hay[i..<(i + needle.count)].elementsEqual(needle) { return true }
                i += 1
            }
            return false
        }
    }
}
