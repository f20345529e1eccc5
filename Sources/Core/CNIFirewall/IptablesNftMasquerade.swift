// IptablesNftMasquerade: ipMasq's chain and rules written into iptables-nft's nat table in-process, expression for
// expression what iptables-restore writes for MasqueradeRules.setupBatch, as one nf_tables transaction.
import CNISpec

/// The ADD side of ipMasq on iptables-nft, without iptables-restore. With 500 pods on a host, iptables-restore's own
/// work (start-up, then a cache of every chain of the table) had become the longest step of a bridge ADD; the
/// kernel's commit is the same either way. The rules are the ones iptables-nft 1.8 builds from the batch's text
/// (payload/bitwise/cmp for `-s`/`-d`, the xt `comment` match, a counter, a verdict or the xt `MASQUERADE` target,
/// and the rule's compat attribute), so iptables-save prints them and `iptables -D` (the reference's DEL) matches
/// them as if iptables-restore had written them; tests compare both.
public struct IptablesNftMasquerade: Sendable {
    let rules: MasqueradeRules

    public init(_ rules: MasqueradeRules) { self.rules = rules }

    /// Writes this attachment's rules for `family` in one transaction. True when applied or when `family` has
    /// no address; false, having changed nothing, when the kernel refuses it: no nat table or POSTROUTING yet
    /// (the first masquerade on a host goes through iptables-restore, which makes them as iptables-nft
    /// does), the chain already exists (a repeated ADD: iptables-restore flushes it), or any other error.
    public func apply(_ family: IPFamily) -> Bool {
        guard let messages = messages(family) else { return true }
        do {
            try NfnetlinkSocket().batch(messages, "adding \(rules.chain) to nat")
            return true
        } catch {
            return false
        }
    }

    /// The transaction for `family`: the chain (NLM_F_EXCL, as iptables-nft creates a chain it declares), an ACCEPT
    /// rule per subnet, the MASQUERADE rule, then a POSTROUTING jump per address. Nil without an address of `family`.
    func messages(_ family: IPFamily) -> [NfnetlinkMessage]? {
        guard let plan = rules.plan(family) else { return nil }
        let f = NF.family(family), comment = rules.owner.comment
        var out = [NfnetlinkMessage(subsystem: NF.subsysNftables, type: NftABI.newChain, flags: NF.excl, family: f,
                                    attributes: NftABI.chain(table: "nat", chain: rules.chain))]
        for subnet in plan.accepted {
            out.append(rule(f, rules.chain, IptablesNftExpression.address(subnet, destination: true, negated: false)
                + [.comment(comment), .counter, .accept]))
        }
        out.append(rule(f, rules.chain, IptablesNftExpression.address(MasqueradeRules.multicast(family), destination: true, negated: true)
            + [.comment(comment), .counter, .masquerade(family)]))
        for host in plan.sources {
            out.append(rule(f, "POSTROUTING", IptablesNftExpression.address(host, destination: false, negated: false)
                + [.comment(comment), .counter, .jump(rules.chain)]))
        }
        return out
    }

    /// NEWRULE appending `expressions` to `chain` of nat, with the compat attribute iptables-nft adds (no protocol).
    private func rule(_ family: UInt8, _ chain: String, _ expressions: [IptablesNftExpression]) -> NfnetlinkMessage {
        var a = NftABI.rules(table: "nat", chain: chain)
        a.nest(NftABI.ruleExpressions) { list in
            for e in expressions { list.nest(NftABI.listElem) { e.encode(into: &$0) } }
        }
        a.nest(NftABI.ruleCompat) { compat in
            compat.put(NftABI.compatProto, bigEndian: UInt32(0))
            compat.put(NftABI.compatFlags, bigEndian: UInt32(0))
        }
        return NfnetlinkMessage(subsystem: NF.subsysNftables, type: NftABI.newRule, flags: NF.create | NF.append,
                                family: family, attributes: a)
    }

}

/// One nf_tables expression as iptables-nft 1.8 writes it for ipMasq's rules.
enum IptablesNftExpression {
    case payload(offset: UInt32, length: UInt32)
    case bitwise(mask: [UInt8])
    case compare(equal: Bool, data: [UInt8])
    case comment(String)
    case counter
    case accept
    case jump(String)
    case masquerade(IPFamily)

    /// `-s`/`-d` NET (with `!`): a payload load of the address, or of its leading whole bytes when the prefix
    /// ends on a byte, else of all of it with a bitwise mask; then a compare (iptables-nft's add_addr).
    static func address(_ net: IPNetwork, destination: Bool, negated: Bool) -> [IptablesNftExpression] {
        let v4 = net.family == .v4
        let offset: UInt32 = v4 ? (destination ? 16 : 12) : (destination ? 24 : 8)
        let mask = net.maskAddress.bytes, data = net.network.bytes
        if net.prefixLength % 8 == 0 {
            let whole = net.prefixLength / 8
            return [.payload(offset: offset, length: UInt32(whole)), .compare(equal: !negated, data: Array(data.prefix(whole)))]
        }
        return [.payload(offset: offset, length: UInt32(mask.count)), .bitwise(mask: mask), .compare(equal: !negated, data: data)]
    }

    func encode(into e: inout NetlinkAttributes) {
        let register1 = UInt32(1)
        switch self {
        case let .payload(offset, length):
            e.put(NftABI.exprName, string: "payload")
            e.nest(NftABI.exprData) { d in
                d.put(NftABI.payloadDreg, bigEndian: register1)
                d.put(NftABI.payloadBase, bigEndian: NftABI.networkHeader)
                d.put(NftABI.payloadOffset, bigEndian: offset)
                d.put(NftABI.payloadLength, bigEndian: length)
            }
        case let .bitwise(mask):
            e.put(NftABI.exprName, string: "bitwise")
            e.nest(NftABI.exprData) { d in
                d.put(NftABI.bitwiseSreg, bigEndian: register1)
                d.put(NftABI.bitwiseDreg, bigEndian: register1)
                d.put(NftABI.bitwiseLength, bigEndian: UInt32(mask.count))
                d.nest(NftABI.bitwiseMask) { $0.put(NftABI.dataValue, mask) }
                d.nest(NftABI.bitwiseXor) { $0.put(NftABI.dataValue, [UInt8](repeating: 0, count: mask.count)) }
            }
        case let .compare(equal, data):
            e.put(NftABI.exprName, string: "cmp")
            e.nest(NftABI.exprData) { d in
                d.put(NftABI.cmpSreg, bigEndian: register1)
                d.put(NftABI.cmpOp, bigEndian: equal ? NftABI.cmpEq : NftABI.cmpNeq)
                d.nest(NftABI.cmpData) { $0.put(NftABI.dataValue, data) }
            }
        case let .comment(text):
            // struct xt_comment_info: char comment[256]
            var info = Array(text.utf8.prefix(255))
            info += [UInt8](repeating: 0, count: 256 - info.count)
            Self.xt(&e, "match", name: "comment", info: info)
        case .counter:
            e.put(NftABI.exprName, string: "counter")
            e.nest(NftABI.exprData) { d in
                d.put(NftABI.counterBytes, bigEndian: UInt64(0))
                d.put(NftABI.counterPackets, bigEndian: UInt64(0))
            }
        case .accept:
            Self.immediate(&e) { $0.put(NftABI.verdictCode, bigEndian: NftABI.accept) }
        case let .jump(chain):
            Self.immediate(&e) { v in
                v.put(NftABI.verdictCode, bigEndian: UInt32(bitPattern: NftABI.jump))
                v.put(NftABI.verdictChain, string: chain)
            }
        case let .masquerade(family):
            // IPv4: struct nf_nat_ipv4_multi_range_compat with rangesize 1, padded to 8 bytes (24); IPv6: struct
            // nf_nat_range (40), all zero: no flags, no ports.
            let info = family == .v4 ? NetlinkAttributes.u32(1) + [UInt8](repeating: 0, count: 20) : [UInt8](repeating: 0, count: 40)
            Self.xt(&e, "target", name: "MASQUERADE", info: info)
        }
    }

    private static func xt(_ e: inout NetlinkAttributes, _ kind: String, name: String, info: [UInt8]) {
        e.put(NftABI.exprName, string: kind)
        e.nest(NftABI.exprData) { d in
            d.put(NftABI.matchName, string: name)
            d.put(NftABI.matchRev, bigEndian: UInt32(0))
            d.put(NftABI.matchInfo, info)
        }
    }

    /// A verdict, which an immediate always puts in register 0 (NFT_REG_VERDICT).
    private static func immediate(_ e: inout NetlinkAttributes, _ verdict: (inout NetlinkAttributes) -> Void) {
        e.put(NftABI.exprName, string: "immediate")
        e.nest(NftABI.exprData) { d in
            d.put(NftABI.immediateDreg, bigEndian: UInt32(0))
            d.nest(NftABI.immediateData) { $0.nest(NftABI.dataVerdict, verdict) }
        }
    }
}
