// NftPortmapRules: renders the nftables portmap (table inet swcni_portmap) as one nft transaction per operation.
import CNIFirewall
import CNISpec

/// Port mappings as elements of nft maps, so a new connection costs one hash lookup however many
/// mappings exist, and an ADD or DEL changes only its own elements:
///
///     prerouting, output: fib daddr type local jump hostports     (only locally-destined traffic)
///     hostports:  jump hostports_conditional                      (mappings with conditions: plain rules)
///                 dnat ip to ip daddr . meta l4proto . th dport map @dnat4      (mappings with a hostIP)
///                 dnat ip to meta l4proto . th dport map @dnat4any              (any host address)
///                 (same for ip6)
///     postrouting: ct status dnat ip saddr . ip daddr @masq4 masquerade         (hairpin and localhost)
///
/// Every element and rule carries its owner in its comment; DEL and GC remove exactly their own.
public struct NftPortmapRules: Sendable {
    public static let table = "swcni_portmap"
    static let t = "inet \(table)"
    public let owner: RuleOwner
    public let config: PortmapConfig

    public init(owner: RuleOwner, config: PortmapConfig) { self.owner = owner; self.config = config }

    public static func networkHash(_ network: String) -> String { String(SHA512.hex(Array(network.utf8)).prefix(16)) }

    /// `<hash16(net)>-<hash16(ifname:cid)>`, the prefix of this owner's comments.
    public var instanceHash: String {
        Self.networkHash(owner.network) + "-" + String(SHA512.hex(Array("\(owner.ifName):\(owner.containerID)".utf8)).prefix(16))
    }

    /// The hashes, then readable names, at most 128 bytes.
    public static func comment(_ owner: RuleOwner) -> String {
        let text = NftPortmapRules(owner: owner, config: PortmapConfig()).instanceHash
            + " net: \(owner.network) if: \(owner.ifName) id: \(owner.containerID)"
        return String(decoding: Array(text.filter { $0 != "\"" }.utf8).prefix(128), as: UTF8.self)
    }

    static func ipWord(_ f: IPFamily) -> String { f == .v4 ? "ip" : "ip6" }

    /// The maps, sets, chains and fixed rules; the fixed chains are flushed and rewritten atomically.
    static var skeleton: [String] {
        var lines = ["add table \(t)"]
        for f in [IPFamily.v4, .v6] {
            let addr = f == .v4 ? "ipv4_addr" : "ipv6_addr"
            lines.append("add map \(t) dnat\(f.versionString) { type \(addr) . inet_proto . inet_service : \(addr) . inet_service ; }")
            lines.append("add map \(t) dnat\(f.versionString)any { type inet_proto . inet_service : \(addr) . inet_service ; }")
            lines.append("add set \(t) masq\(f.versionString) { type \(addr) . \(addr) ; flags interval ; }")
        }
        lines += [
            "add chain \(t) hostports", "add chain \(t) hostports_conditional",
            "add chain \(t) prerouting { type nat hook prerouting priority -100 ; policy accept ; }",
            "add chain \(t) output { type nat hook output priority -100 ; policy accept ; }",
            "add chain \(t) postrouting { type nat hook postrouting priority 100 ; policy accept ; }",
        ]
        for c in ["prerouting", "output", "hostports", "postrouting"] { lines.append("flush chain \(t) \(c)") }
        lines += [
            "add rule \(t) prerouting fib daddr type local jump hostports",
            "add rule \(t) output fib daddr type local jump hostports",
            "add rule \(t) hostports jump hostports_conditional",
        ]
        for f in [IPFamily.v4, .v6] {
            let ip = ipWord(f), s = f.versionString
            lines.append("add rule \(t) hostports dnat \(ip) to \(ip) daddr . meta l4proto . th dport map @dnat\(s)")
            lines.append("add rule \(t) hostports meta nfproto ipv\(s) dnat \(ip) to meta l4proto . th dport map @dnat\(s)any")
            lines.append("add rule \(t) postrouting ct status dnat \(ip) saddr . \(ip) daddr @masq\(s) masquerade")
        }
        return lines
    }

    /// This owner's map and set elements for `family` (mappings without conditions).
    public func elements(_ family: IPFamily) -> [NftElement] {
        guard let container = config.container(family), config.conditions(family).isEmpty else { return [] }
        let s = family.versionString, c = Self.comment(owner)
        var out: [NftElement] = []
        for m in config.mappings(for: family) {
            let data = "\(container.address) . \(m.containerPort)"
            if let ip = m.hostIP {
                out.append(NftElement(set: "dnat\(s)", key: "\(ip) . \(m.proto.rawValue) . \(m.hostPort)", data: data, comment: c))
            } else {
                out.append(NftElement(set: "dnat\(s)any", key: "\(m.proto.rawValue) . \(m.hostPort)", data: data, comment: c))
            }
        }
        guard !out.isEmpty, config.snat else { return out }
        if config.masqAll {
            out.append(NftElement(set: "masq\(s)", key: "\(family == .v4 ? "0.0.0.0/0" : "::/0") . \(container.address)", comment: c))
        } else {
            out.append(NftElement(set: "masq\(s)", key: "\(container.masked) . \(container.address)", comment: c))
            if family == .v4 { out.append(NftElement(set: "masq4", key: "127.0.0.1 . \(container.address)", comment: c)) }
        }
        return out
    }

    /// Mappings with conditions become rules in hostports_conditional (and masquerade elements as usual).
    public func conditionalRules(_ family: IPFamily) -> [String] {
        let conditions = config.conditions(family)
        guard let container = config.container(family), !conditions.isEmpty else { return [] }
        let ip = Self.ipWord(family)
        return config.mappings(for: family).map { m in
            let dst = m.hostIP.map { "\(ip) daddr \($0) " } ?? "meta nfproto ipv\(family.versionString) "
            let to = family == .v4 ? "\(container.address):\(m.containerPort)" : "[\(container.address)]:\(m.containerPort)"
            return "\(conditions.joined(separator: " ")) \(dst)meta l4proto \(m.proto.rawValue) th dport \(m.hostPort) dnat \(ip) to \(to) comment \"\(Self.comment(owner))\""
        }
    }

    func masqElementsForConditional(_ family: IPFamily) -> [NftElement] {
        guard !conditionalRules(family).isEmpty else { return [] }
        var plain = config
        if family == .v4 { plain.conditionsV4 = [] } else { plain.conditionsV6 = [] }
        return NftPortmapRules(owner: owner, config: plain).elements(family).filter { $0.set.hasPrefix("masq") }
    }

    public func applies(_ family: IPFamily) -> Bool { config.container(family) != nil && !config.mappings(for: family).isEmpty }

    /// Everything this owner adds, both families.
    public var allElements: [NftElement] { [IPFamily.v4, .v6].flatMap { elements($0) + masqElementsForConditional($0) } }

    /// One transaction: the skeleton, this owner's old elements and rules removed, the new ones added.
    public func setupScript(current: NftPortmapState) -> String {
        // Masquerade elements for this container's addresses are replaced whoever added them: an address
        // belongs to one container at a time, so another owner's are stale (a container that leaked
        // its rules), and an interval set refuses overlapping elements.
        let addresses = Set([IPFamily.v4, .v6].compactMap { config.container($0)?.address.description })
        let stale = current.elements.filter { e in
            e.comment.hasPrefix(instanceHash)
                || (e.set.hasPrefix("masq") && addresses.contains(String(e.key.split(separator: " ").last ?? "")))
        }
        var lines = Self.skeleton + deletions(stale, current.rules.filter { $0.comment.hasPrefix(instanceHash) })
        for e in allElements {
            lines.append("add element \(Self.t) \(e.set) { \(e.key) comment \"\(e.comment)\"\(e.data.map { " : \($0)" } ?? "") }")
        }
        for f in [IPFamily.v4, .v6] { lines += conditionalRules(f).map { "add rule \(Self.t) hostports_conditional \($0)" } }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The fast-path transaction for an existing table: `create` each mapping element (refused if the key
    /// exists), a create-then-delete probe of the "any address" key for each host-address mapping, the
    /// masquerade elements. Nil when mappings with conditions need rules (slow path).
    public func fastChanges() -> [NftElementChange]? {
        guard [IPFamily.v4, .v6].allSatisfy({ conditionalRules($0).isEmpty }) else { return nil }
        var changes: [NftElementChange] = []
        for f in [IPFamily.v4, .v6] where config.container(f) != nil {
            let s = f.versionString, zero = f == .v4 ? "0.0.0.0" : "::"
            for m in config.mappings(for: f) where m.hostIP != nil {
                let key = "\(m.proto.rawValue) . \(m.hostPort)"
                changes.append(.create(NftElement(set: "dnat\(s)any", key: key, data: "\(zero) . 0", comment: "")))
                changes.append(.delete(set: "dnat\(s)any", key: key))
            }
        }
        for e in allElements { changes.append(e.set.hasPrefix("dnat") ? .create(e) : .add(e)) }
        return changes
    }

    /// Deletes exactly the elements an ADD of this config made (the caller checked they are this owner's);
    /// nil when there are none or mappings with conditions made rules.
    public func fastTeardownChanges() -> [NftElementChange]? {
        guard [IPFamily.v4, .v6].allSatisfy({ conditionalRules($0).isEmpty }), !allElements.isEmpty else { return nil }
        return allElements.map { .delete(set: $0.set, key: $0.key) }
    }

    /// Removes this owner's elements and rules; the whole table when nothing of anyone else is left.
    /// Nil when there is nothing to remove.
    public func teardownScript(current: NftPortmapState) -> String? {
        let ownElements = current.elements.filter { $0.comment.hasPrefix(instanceHash) }
        let ownRules = current.rules.filter { $0.comment.hasPrefix(instanceHash) }
        guard current.exists else { return nil }
        let othersLeft = current.elements.count > ownElements.count
            || current.rules.contains { !$0.comment.isEmpty && !$0.comment.hasPrefix(instanceHash) }
        if !othersLeft { return "delete table \(Self.t)\n" }
        guard !ownElements.isEmpty || !ownRules.isEmpty else { return nil }
        return deletions(ownElements, ownRules).joined(separator: "\n") + "\n"
    }

    func deletions(_ elements: [NftElement], _ rules: [NftRule]) -> [String] {
        elements.map { "delete element \(Self.t) \($0.set) { \($0.key) }" }
            + rules.map { "delete rule \(Self.t) \($0.chain) handle \($0.handle)" }
    }
}
