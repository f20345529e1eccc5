// NftPortmapScan: conflicts with other owners' elements, CHECK's comparison and GC, for the nftables portmap.
import CNIFirewall
import CNISpec

extension NftPortmapRules {
    /// Mappings of this owner that another owner's element already catches (same protocol and port,
    /// overlapping host address), described for the error message.
    public func conflicts(current: NftPortmapState) -> [String] {
        let others = current.elements.filter { !$0.comment.hasPrefix(instanceHash) && $0.set.hasPrefix("dnat") }
        var out: [String] = []
        for f in [IPFamily.v4, .v6] where applies(f) {
            let s = f.versionString
            for m in config.mappings(for: f) {
                let hit = others.first { e in
                    let parts = e.key.split(separator: " . ").map(String.init)
                    if e.set == "dnat\(s)any", parts.count == 2 { return parts[0] == m.proto.rawValue && parts[1] == String(m.hostPort) }
                    if e.set == "dnat\(s)", parts.count == 3 {
                        return parts[1] == m.proto.rawValue && parts[2] == String(m.hostPort) && (m.hostIP == nil || IPAddress(parts[0]) == m.hostIP)
                    }
                    return false
                }
                if let hit { out.append("\(m.description) (IPv\(s)) is already mapped by \(hit.comment.split(separator: " ").dropFirst().joined(separator: " "))") }
            }
        }
        return out
    }

    /// What CHECK finds missing: every element (with its data) and conditional rule of this owner.
    public func missing(current: NftPortmapState) -> [String] {
        guard current.exists else { return allElements.isEmpty ? [] : ["nftables table inet \(Self.table)"] }
        var problems: [String] = []
        for e in allElements where !current.elements.contains(where: { $0.set == e.set && $0.comment == e.comment && ($0.key == e.key || e.set.hasPrefix("masq")) && $0.data == e.data }) {
            problems.append("element \(e.key)\(e.data.map { " : \($0)" } ?? "") in \(e.set)")
        }
        let want = [IPFamily.v4, .v6].reduce(0) { $0 + conditionalRules($1).count }
        let have = current.rules.filter { $0.comment == Self.comment(owner) }.count
        if have < want { problems.append("\(want - have) of \(want) rules in hostports_conditional") }
        for chain in ["prerouting", "output", "hostports", "postrouting"] where !current.rules.contains(where: { $0.chain == chain }) {
            problems.append("rules of chain \(chain)")
        }
        return problems
    }

    /// Deletes every element and rule of `network` whose owner is not among `valid`; nil when none.
    public static func gcScript(network: String, valid: Set<RuleOwner>, current: NftPortmapState) -> String? {
        let keep = Set(valid.map { NftPortmapRules(owner: $0, config: PortmapConfig()).instanceHash })
        let prefix = networkHash(network) + "-"
        func stale(_ comment: String) -> Bool {
            comment.hasPrefix(prefix) && !keep.contains(String(comment.prefix { $0 != " " }))
        }
        let elements = current.elements.filter { stale($0.comment) }, rules = current.rules.filter { stale($0.comment) }
        guard !elements.isEmpty || !rules.isEmpty else { return nil }
        let any = NftPortmapRules(owner: RuleOwner(network: network, containerID: "", ifName: ""), config: PortmapConfig())
        return any.deletions(elements, rules).joined(separator: "\n") + "\n"
    }
}
