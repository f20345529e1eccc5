// MacSpoofCheck: drops frames from a container's veth whose source MAC is not the container's (nft bridge family).
import CNINetlink
import CNISpec

/// Anti-spoofing for one attachment, behind a protocol so plugin tests can fake it.
public protocol MacSpoofChecking {
    func setup(hostVeth: String, mac: MACAddress) throws(CNIError)
    func teardown() throws(CNIError)
}

/// The reference's layout, so either suite can remove the other's rules: table `bridge nat`, base chain
/// `PREROUTING` (filter, prerouting, priority -300); per attachment, chains `cni-br-iface-<cid>-<if>`
/// and `…-mac`, rules commented `macspoofchk-<cid>-<if>`.
public struct MacSpoofCheck: MacSpoofChecking {
    public let owner: RuleOwner
    let nft: any Nft

    public init(owner: RuleOwner, nft: any Nft = SystemNft()) { self.owner = owner; self.nft = nft }

    var ifaceChain: String { "cni-br-iface-\(owner.containerID)-\(owner.ifName)" }
    var macChain: String { ifaceChain + "-mac" }
    var comment: String { "macspoofchk-\(owner.containerID)-\(owner.ifName)" }

    public func setupScript(hostVeth: String, mac: MACAddress) -> String {
        let c = "comment \"\(comment)\""
        return [
            "add table bridge nat",
            "add chain bridge nat PREROUTING { type filter hook prerouting priority -300 ; policy accept ; }",
            "add chain bridge nat \(ifaceChain)", "flush chain bridge nat \(ifaceChain)",
            "add chain bridge nat \(macChain)", "flush chain bridge nat \(macChain)",
            "add rule bridge nat PREROUTING iifname \"\(hostVeth)\" jump \(ifaceChain) \(c)",
            "add rule bridge nat \(ifaceChain) jump \(macChain) \(c)",
            "add rule bridge nat \(macChain) ether saddr \(mac) return \(c)",
            "add rule bridge nat \(macChain) drop \(c)",
        ].joined(separator: "\n") + "\n"
    }

    public func setup(hostVeth: String, mac: MACAddress) throws(CNIError) {
        try nft.apply(setupScript(hostVeth: hostVeth, mac: mac))
    }

    /// Removes the PREROUTING jump and both chains; nothing to do when they are gone.
    public func teardown() throws(CNIError) {
        guard NetfilterProbe.tableExists(family: "bridge", name: "nat") else { return }
        let jumps = try nft.rules(family: "bridge", table: "nat", chain: "PREROUTING").filter { $0.comment == comment }
        let hasChains = !(try nft.rules(family: "bridge", table: "nat", chain: ifaceChain)).isEmpty
        var lines = jumps.map { "delete rule bridge nat PREROUTING handle \($0.handle)" }
        if hasChains {
            lines += ["flush chain bridge nat \(ifaceChain)", "flush chain bridge nat \(macChain)",
                      "delete chain bridge nat \(ifaceChain)", "delete chain bridge nat \(macChain)"]
        }
        if !lines.isEmpty { try nft.apply(lines.joined(separator: "\n") + "\n") }
    }
}
