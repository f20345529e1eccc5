// NftMasqueradeRules: the reference-compatible nftables ipMasq (table inet cni_plugins_masquerade).
import CNISpec

/// Per-address rules in `masq_checks`, each commented with a hash of its owner so that DEL and GC find
/// exactly their own: `<hash16(net)>-<hash16(ifname:cid)>, net: …, if: …, id: …` (at most 128 bytes).
public struct NftMasqueradeRules: Sendable {
    public static let table = "cni_plugins_masquerade"
    public static let chain = "masq_checks"
    public let owner: RuleOwner
    public let addresses: [IPNetwork]

    public init(owner: RuleOwner, addresses: [IPNetwork]) { self.owner = owner; self.addresses = addresses }

    public static func networkHash(_ network: String) -> String { String(SHA512.hex(Array(network.utf8)).prefix(16)) }

    public var instanceHash: String {
        Self.networkHash(owner.network) + "-" + String(SHA512.hex(Array("\(owner.ifName):\(owner.containerID)".utf8)).prefix(16))
    }

    public static func comment(_ owner: RuleOwner) -> String {
        let strip = { (s: String) in s.filter { $0 != "\"" } }
        let text = NftMasqueradeRules(owner: owner, addresses: []).instanceHash
            + ", net: \(strip(owner.network)), if: \(strip(owner.ifName)), id: \(strip(owner.containerID))"
        return String(decoding: Array(text.utf8).prefix(128), as: UTF8.self)
    }

    /// One transaction: ensure the table and chains, rewrite `postrouting`, replace this owner's rules.
    public func setupScript(current: [NftRule]) -> String {
        let t = "inet \(Self.table)"
        var lines = [
            "add table \(t) { comment \"Masquerading for plugins from github.com/containernetworking/plugins\" ; }",
            "add chain \(t) \(Self.chain) { comment \"Masquerade traffic from certain IPs to any (non-multicast) IP outside their subnet\" ; }",
            "add chain \(t) postrouting { type nat hook postrouting priority srcnat ; }",
            "flush chain \(t) postrouting",
            "add rule \(t) postrouting ip daddr 224.0.0.0/4 return",
            "add rule \(t) postrouting ip6 daddr ff00::/8 return",
            "add rule \(t) postrouting goto \(Self.chain)",
        ]
        lines += deletions(of: current.filter { $0.comment.hasPrefix(instanceHash) })
        let comment = Self.comment(owner)
        for a in addresses {
            let ip = a.family == .v4 ? "ip" : "ip6"
            lines.append("add rule \(t) \(Self.chain) \(ip) saddr \(a.address) \(ip) daddr != \(a.masked) masquerade comment \"\(comment)\"")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Deletes this owner's rules; nil when it has none.
    public func teardownScript(current: [NftRule]) -> String? {
        let own = current.filter { $0.comment.hasPrefix(instanceHash) }
        return own.isEmpty ? nil : deletions(of: own).joined(separator: "\n") + "\n"
    }

    /// Deletes every rule of `network` whose owner is not among `valid`; nil when there is nothing to do.
    public static func gcScript(network: String, valid: Set<RuleOwner>, current: [NftRule]) -> String? {
        let keep = Set(valid.map(comment))
        let stale = current.filter { $0.comment.hasPrefix(networkHash(network) + "-") && !keep.contains($0.comment) }
        return stale.isEmpty ? nil : stale.map { "delete rule inet \(table) \(chain) handle \($0.handle)" }.joined(separator: "\n") + "\n"
    }

    /// Whether this owner has a rule per address (CHECK).
    public func missing(current: [NftRule]) -> [String] {
        let count = current.filter { $0.comment == Self.comment(owner) }.count
        return count >= addresses.count ? [] : ["nftables masquerade rules for \(owner.containerID) (\(count) of \(addresses.count))"]
    }

    private func deletions(of rules: [NftRule]) -> [String] {
        rules.map { "delete rule inet \(Self.table) \(Self.chain) handle \($0.handle)" }
    }
}
