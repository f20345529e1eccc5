// IptablesPortmapRules: renders the reference-compatible portmap chains as iptables-restore batches.
import CNIFirewall
import CNISpec

/// The port mappings of one attachment in table `nat`, with the reference's names and rule shapes, so
/// either plugin can remove what the other added:
///
///     PREROUTING, OUTPUT  -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT             (shared)
///     CNI-HOSTPORT-DNAT   -p tcp -m comment --comment "dnat name: …" -m multiport --dports 8080 -j CNI-DN-<hash>
///     CNI-DN-<hash>       per mapping: mark hairpin and localhost for masquerade, then DNAT
///     CNI-HOSTPORT-SETMARK, CNI-HOSTPORT-MASQ (jumped first from POSTROUTING)             (shared)
///
/// Rules are rendered exactly as iptables-save prints them, so CHECK compares text.
public struct IptablesPortmapRules: Sendable {
    public static let dnatChain = "CNI-HOSTPORT-DNAT"
    public static let setMarkChain = "CNI-HOSTPORT-SETMARK"
    public static let masqChain = "CNI-HOSTPORT-MASQ"
    static let oldSnatChain = "CNI-HOSTPORT-SNAT"
    static let topJump = "-m addrtype --dst-type LOCAL -j \(dnatChain)"
    static let masqJump = "-m comment --comment \"\(masqJumpComment)\" -j \(masqChain)"

    public let owner: RuleOwner
    public let config: PortmapConfig

    public init(owner: RuleOwner, config: PortmapConfig) { self.owner = owner; self.config = config }

    /// `CNI-DN-<hash of network + container ID>`.
    public var chain: String { owner.chainName(prefix: "DN-") }
    var oldChain: String { owner.chainName(prefix: "SN-") }
    /// `dnat name: "<net>" id: "<cid>"`, cut to iptables' 255 characters as the reference does.
    var comment: String {
        let c = "dnat name: \(doubleQuoted(owner.network)) id: \(doubleQuoted(owner.containerID))"
        return c.utf8.count <= 255 ? c : String(decoding: Array(c.utf8.prefix(253)), as: UTF8.self) + "..."
    }
    var markChain: String { config.externalSetMarkChain ?? Self.setMarkChain }
    var markBit: UInt32 { UInt32(1) << UInt32(config.markMasqBit) }
    var mark: String { let v = "0x" + String(markBit, radix: 16); return "\(v)/\(v)" }
    static let setMarkComment = "CNI portfwd masquerade mark"
    static let masqJumpComment = "CNI portfwd requiring masquerade"
    var setMarkRule: String { "-m comment --comment \"\(Self.setMarkComment)\" -j MARK --set-xmark \(mark)" }
    var masqRule: String { "-m mark --mark \(mark) -j MASQUERADE" }

    /// The jumps from CNI-HOSTPORT-DNAT: one per protocol and group of at most 15 ports (multiport's limit).
    public func entryRules(_ family: IPFamily) -> [String] {
        let mappings = config.mappings(for: family)
        let conditions = config.conditions(family).map(Self.token).map { " " + $0 }.joined()
        var out: [String] = []
        for proto in PortProtocol.allCases {
            let ports = mappings.filter { $0.proto == proto }.map { String($0.hostPort) }
            for start in stride(from: 0, to: ports.count, by: 15) {
                let group = ports[start..<min(start + 15, ports.count)].joined(separator: ",")
                out.append("-p \(proto.rawValue) -m comment --comment \(doubleQuoted(comment)) -m multiport --dports \(group)\(conditions) -j \(chain)")
            }
        }
        return out
    }

    /// The rules of CNI-DN-<hash> for the container address of `family`.
    public func chainRules(_ family: IPFamily) -> [String] {
        guard let container = config.container(family) else { return [] }
        var out: [String] = []
        for m in config.mappings(for: family) {
            let dst = m.hostIP.map { "-d \($0)/\($0.family.bits) " } ?? ""
            let match = "\(dst)-p \(m.proto.rawValue) -m \(m.proto.rawValue) --dport \(m.hostPort)"
            if config.snat {
                out.append(config.masqAll ? "\(match) -j \(markChain)" : "-s \(container.masked) \(match) -j \(markChain)")
                if family == .v4 && !config.masqAll { out.append("-s 127.0.0.1/32 \(match) -j \(markChain)") }
            }
            let to = family == .v4 ? "\(container.address):\(m.containerPort)" : "[\(container.address)]:\(m.containerPort)"
            out.append("\(match) -j DNAT --to-destination \(to)")
        }
        return out
    }

    /// Whether this family has anything to set up.
    public func applies(_ family: IPFamily) -> Bool {
        config.container(family) != nil && !config.mappings(for: family).isEmpty
    }

    /// One batch: the shared chains and jumps that `current` lacks, then this owner's chain refilled
    /// (its old jumps removed). Nil when the family has nothing to map.
    public func setupBatch(_ family: IPFamily, current: IptablesTable) -> String? {
        guard applies(family) else { return nil }
        var lines = ["*nat"]
        if config.snat && config.externalSetMarkChain == nil {
            lines += Self.ensure(Self.setMarkChain, rules: [setMarkRule], in: current)
            lines += Self.ensure(Self.masqChain, rules: [masqRule], in: current)
            if !current.rules(in: "POSTROUTING").contains(Self.masqJump) { lines.append("-I POSTROUTING 1 \(Self.masqJump)") }
        }
        lines += Self.ensure(Self.dnatChain, rules: [], in: current)
        for top in ["PREROUTING", "OUTPUT"] where !current.rules(in: top).contains(Self.topJump) {
            lines.append("-A \(top) \(Self.topJump)")
        }
        lines += current.rules(in: Self.dnatChain, jumpingTo: chain).map { "-D \(Self.dnatChain) \($0)" }
        return ownRules(family, after: lines)
    }

    /// The batch of the ADD fast path, for a table whose shared chains, rules and jumps were seen to exist
    /// and that holds nothing of this owner: this owner's chain and jumps only. (No `-C` checks here:
    /// one makes iptables-nft load every rule of the chains the batch touches, CNI-HOSTPORT-DNAT's too.)
    /// Nil when the family has nothing to map.
    public func fastSetupBatch(_ family: IPFamily) -> String? {
        guard applies(family) else { return nil }
        return ownRules(family, after: ["*nat"])
    }

    /// `lines`, then this owner's chain (declaring it creates it, or flushes our own), its rules and its
    /// jumps from CNI-HOSTPORT-DNAT, and COMMIT: the end of both ADD batches.
    private func ownRules(_ family: IPFamily, after lines: [String]) -> String {
        var lines = lines
        lines.append(":\(chain) - [0:0]")
        lines += chainRules(family).map { "-A \(chain) \($0)" }
        lines += entryRules(family).map { "-A \(Self.dnatChain) \($0)" }
        return (lines + ["COMMIT"]).joined(separator: "\n") + "\n"
    }

    /// The removal of exactly the jumps and chain an ADD of this config made in `family`, without reading
    /// the table: iptables-restore rejects the whole batch if a rule is missing (then the caller reads
    /// the table). Nil when the ADD made nothing there.
    public func knownTeardownBatch(_ family: IPFamily) -> String? {
        guard applies(family) else { return nil }
        let lines = ["*nat"] + entryRules(family).map { "-D \(Self.dnatChain) \($0)" } + ["-F \(chain)", "-X \(chain)", "COMMIT"]
        return lines.joined(separator: "\n") + "\n"
    }

    /// Removes this owner's jumps and chain (and the legacy CNI-SN-<hash>); nil when none exist.
    public func teardownBatch(current: IptablesTable) -> String? {
        var lines: [String] = []
        for (entry, own) in [(Self.dnatChain, chain), (Self.oldSnatChain, oldChain)] {
            for top in current.chains where top == entry || top == "PREROUTING" || top == "OUTPUT" || top == "POSTROUTING" {
                lines += current.rules(in: top, jumpingTo: own).map { "-D \(top) \($0)" }
            }
            if current.hasChain(own) { lines += ["-F \(own)", "-X \(own)"] }
        }
        return lines.isEmpty ? nil : (["*nat"] + lines + ["COMMIT"]).joined(separator: "\n") + "\n"
    }

    /// What CHECK finds missing for `family`; empty when every rule is in place.
    public func missing(_ family: IPFamily, current: IptablesTable) -> [String] {
        guard applies(family) else { return [] }
        let v = family == .v4 ? "iptables" : "ip6tables"
        guard current.hasChain(chain) else { return ["\(v) chain \(chain)"] }
        var problems: [String] = []
        let have = current.rules(in: chain)
        for rule in chainRules(family) where !have.contains(rule) { problems.append("\(v) rule in \(chain): \(rule)") }
        let entries = current.rules(in: Self.dnatChain, jumpingTo: chain)
        for rule in entryRules(family) where !entries.contains(rule) {
            // Conditions may be printed in another order: match the ports and protocol then.
            let words = rule.split(separator: " ")
            let ports = words.drop { $0 != "--dports" }.dropFirst().first.map(String.init) ?? ""
            let proto = words[1]
            if !entries.contains(where: { $0.hasPrefix("-p \(proto) ") && $0.contains("--dports \(ports) ") }) {
                problems.append("\(v) rule in \(Self.dnatChain): \(rule)")
            }
        }
        for top in ["PREROUTING", "OUTPUT"] where !current.rules(in: top).contains(Self.topJump) {
            problems.append("\(v) rule in \(top): \(Self.topJump)")
        }
        if config.snat && config.externalSetMarkChain == nil {
            if !current.rules(in: Self.setMarkChain).contains(setMarkRule) { problems.append("\(v) rule in \(Self.setMarkChain): \(setMarkRule)") }
            if !current.rules(in: Self.masqChain).contains(masqRule) { problems.append("\(v) rule in \(Self.masqChain): \(masqRule)") }
            if !current.rules(in: "POSTROUTING").contains(Self.masqJump) { problems.append("\(v) rule in POSTROUTING: \(Self.masqJump)") }
        }
        return problems
    }

    /// Declares `name` with `rules` when missing; appends any rule it lacks when present.
    static func ensure(_ name: String, rules: [String], in current: IptablesTable) -> [String] {
        guard current.hasChain(name) else { return [":\(name) - [0:0]"] + rules.map { "-A \(name) \($0)" } }
        let have = current.rules(in: name)
        return rules.filter { !have.contains($0) }.map { "-A \(name) \($0)" }
    }

    /// A condition token as iptables-restore reads it: quoted when it holds a space.
    static func token(_ t: String) -> String { t.contains(" ") ? doubleQuoted(t) : t }
}
