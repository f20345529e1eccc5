// MasqueradeRules: renders the reference-compatible ipMasq rules as iptables-restore batches.
import CNISpec

/// The masquerade of one attachment: a `CNI-<hash>` chain in `nat` that accepts traffic to the
/// container's own subnet and masquerades the rest (multicast excepted), jumped to from POSTROUTING
/// for each container address. Same names, shapes and comments as the reference's ipMasq.
public struct MasqueradeRules: Sendable {
    public let owner: RuleOwner
    /// Container addresses with their prefix, e.g. 10.22.0.5/16.
    public let addresses: [IPNetwork]

    public init(owner: RuleOwner, addresses: [IPNetwork]) {
        self.owner = owner; self.addresses = addresses
    }

    public var chain: String { owner.chainName() }

    private func comment() -> String { "-m comment --comment \(doubleQuoted(owner.comment))" }

    static func multicast(_ family: IPFamily) -> IPNetwork { IPNetwork(family == .v4 ? "224.0.0.0/4" : "ff00::/8")! }

    /// What an ADD puts in place for `family`, in order: an ACCEPT in the chain per subnet, then the
    /// MASQUERADE of all but `multicast`, then a POSTROUTING jump per address (as a host route). Nil when
    /// the family has no address. Both the batch and the in-process writer follow it.
    struct Plan {
        var accepted: [IPNetwork]
        var sources: [IPNetwork]
    }

    func plan(_ family: IPFamily) -> Plan? {
        let own = addresses.filter { $0.family == family }
        guard !own.isEmpty else { return nil }
        var seen: Set<IPNetwork> = []
        return Plan(accepted: own.map(\.masked).filter { seen.insert($0).inserted },
                    sources: own.map { IPNetwork(address: $0.address, prefixLength: family.bits) })
    }

    /// The batch that sets up this attachment's rules for one family, given the current `nat` table.
    /// Declaring the chain flushes it, so repeating an ADD does not duplicate its rules; POSTROUTING
    /// jumps that already exist are not added again. Returns nil when the family has no address.
    public func setupBatch(family: IPFamily, current: IptablesTable) -> String? {
        guard let plan = plan(family) else { return nil }
        var lines = ["*nat", ":\(chain) - [0:0]"]
        lines += plan.accepted.map { "-A \(chain) -d \($0) \(comment()) -j ACCEPT" }
        lines.append("-A \(chain) ! -d \(Self.multicast(family)) \(comment()) -j MASQUERADE")
        let existing = Set(current.rules(in: "POSTROUTING", jumpingTo: chain).compactMap(Self.source))
        for host in plan.sources where !existing.contains(host.address) {
            lines.append("-A POSTROUTING -s \(host) \(comment()) -j \(chain)")
        }
        lines.append("COMMIT")
        return lines.joined(separator: "\n") + "\n"
    }

    /// The batch that removes this attachment's POSTROUTING jumps (ours or the reference's, in any form),
    /// given the current `nat` table, and the chain once no jump uses it. The chain name ignores ifname
    /// (as the reference's), so two interfaces of one container on one network share it: with
    /// `addresses` set, only the jumps from those addresses go; without, every jump to the chain.
    /// Nil when nothing is there.
    public func teardownBatch(current: IptablesTable) -> String? {
        let jumps = current.rules(in: "POSTROUTING", jumpingTo: chain)
        let own = addresses.isEmpty ? jumps : jumps.filter { rule in
            Self.source(rule).map { ip in addresses.contains { $0.address == ip } } ?? false
        }
        let dropChain = current.hasChain(chain) && own.count == jumps.count
        guard dropChain || !own.isEmpty else { return nil }
        var lines = ["*nat"]
        lines += own.map { "-D POSTROUTING \($0)" }
        if dropChain { lines += ["-F \(chain)", "-X \(chain)"] }
        lines.append("COMMIT")
        return lines.joined(separator: "\n") + "\n"
    }

    /// The removal of exactly the rules an ADD of `addresses` made for `family`, without reading the
    /// table first. iptables-restore applies a batch atomically and rejects all of it if a rule is
    /// missing or the chain is still used by another interface's jump; the caller then reads the table.
    public func knownTeardownBatch(family: IPFamily) -> String? {
        guard let plan = plan(family) else { return nil }
        var lines = ["*nat"]
        lines += plan.sources.map { "-D POSTROUTING -s \($0) \(comment()) -j \(chain)" }
        lines += ["-F \(chain)", "-X \(chain)", "COMMIT"]
        return lines.joined(separator: "\n") + "\n"
    }

    /// What CHECK expects: the chain with its ACCEPT and MASQUERADE rules, and a jump per address.
    /// Returns a description of each missing piece.
    public func missing(family: IPFamily, current: IptablesTable) -> [String] {
        let own = addresses.filter { $0.family == family }
        guard !own.isEmpty else { return [] }
        guard current.hasChain(chain) else { return ["chain \(chain)"] }
        var problems: [String] = []
        let rules = current.rules(in: chain)
        for a in own where !rules.contains(where: { $0.contains("-d \(a.masked) ") && $0.hasSuffix("-j ACCEPT") }) {
            problems.append("ACCEPT rule for \(a.masked) in \(chain)")
        }
        if !rules.contains(where: { $0.hasSuffix("-j MASQUERADE") }) { problems.append("MASQUERADE rule in \(chain)") }
        let sources = Set(current.rules(in: "POSTROUTING", jumpingTo: chain).compactMap(Self.source))
        for a in own where !sources.contains(a.address) {
            problems.append("POSTROUTING jump from \(a.address) to \(chain)")
        }
        return problems
    }

    /// The address after `-s` in a rule, prefix dropped.
    static func source(_ rule: String) -> IPAddress? {
        let words = rule.split(separator: " ")
        guard let i = words.firstIndex(of: "-s"), i + 1 < words.count else { return nil }
        let text = words[i + 1].split(separator: "/").first.map(String.init) ?? ""
        return IPAddress(text)
    }
}
