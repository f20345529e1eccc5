// RuleOwner: who a firewall rule belongs to, and the names and comments the reference derives from it.

/// The attachment that owns a set of rules: DEL and GC remove exactly the rules of their owner.
public struct RuleOwner: Hashable, Sendable {
    public let network: String
    public let containerID: String
    public let ifName: String

    public init(network: String, containerID: String, ifName: String) {
        self.network = network; self.containerID = containerID; self.ifName = ifName
    }

    /// `CNI-` + `prefix` + hex(sha512(network + containerID)), cut to 28 characters (iptables' limit is 29).
    /// The reference ignores ifname here "for historical reasons"; so do we, to stay interoperable.
    public func chainName(prefix: String = "") -> String {
        String(("CNI-" + prefix + SHA512.hex(Array((network + containerID).utf8))).prefix(28))
    }

    /// `name: "<net>" id: "<cid>"`, the reference's rule comment (Go's %q quoting).
    public var comment: String { "name: \(doubleQuoted(network)) id: \(doubleQuoted(containerID))" }
}

/// Double-quotes `s`, escaping `"` and `\`: Go's %q for the characters CNI allows in names and IDs, and
/// the quoting iptables-save prints and iptables-restore reads.
public func doubleQuoted(_ s: String) -> String {
    var out = "\""
    for c in s {
        if c == "\"" || c == "\\" { out.append("\\") }
        out.append(c)
    }
    return out + "\""
}
