// IptablesNftNetlink: the nat chains of iptables-nft read and pruned over nfnetlink, so that portmap's DEL and the
// ADD's conflict check need neither iptables-save nor an iptables-restore that matches rules by text.
import CNIFirewall
import CNISpec

/// One rule of an iptables-nft chain as read over nfnetlink: its handle, where it jumps, and what this
/// backend needs to recognise the reference's portmap rules (`-p tcp -m comment --comment … -m multiport
/// --dports …`, `-m addrtype`, `-j MARK --set-xmark`, `-m mark --mark … -j MASQUERADE`).
public struct IptablesNftRule: Equatable, Sendable {
    public var handle: UInt64
    /// The chain of its `-j` / `-g`, if its verdict is one.
    public var target: String?
    /// The protocol number of `-p`, nil without one.
    public var proto: UInt8?
    /// The ports of one `-m multiport --dports`, nil when the rule has none or one this reader does not
    /// understand (ranges, inversion, several).
    public var dports: [Int]?
    /// The text of `-m comment --comment`.
    public var comment: String?
    /// The names of its xt matches (`comment`, `multiport`, `addrtype`, …), in order.
    public var matches: [String] = []
    /// The name of its xt target (`MARK`, `MASQUERADE`, `DNAT`, …).
    public var xtTarget: String?
    /// `-j MARK --set-xmark value/mask` (revision 2) as [value, mask].
    public var setMark: [UInt32]?
    /// `-m mark --mark value/mask` (as iptables-nft writes it: meta mark, bitwise, cmp) as [value, mask].
    public var markMatch: [UInt32]?
    /// How many of its expressions are none of the above (other matches iptables-nft writes natively).
    public var others = 0

    public init(handle: UInt64, target: String?, proto: UInt8? = nil, dports: [Int]? = nil, comment: String? = nil) {
        self.handle = handle; self.target = target; self.proto = proto; self.dports = dports; self.comment = comment
    }
}

/// The nat table of iptables as the kernel holds it, read and changed in-process; available only when
/// iptables is the nft variant (its rules are nftables rules of table `ip nat` / `ip6 nat`). A fake
/// stands in for tests.
public protocol IptablesKernel {
    /// Whether `family`'s iptables keeps its rules in nftables; the other calls are only for such a family.
    func available(_ family: IPFamily) -> Bool
    /// Whether `chain` exists in nat; nil when that cannot be told.
    func chainExists(_ family: IPFamily, _ chain: String) -> Bool?
    /// The rules of `chain` in nat, in order; nil when the chain (or the table) does not exist.
    func rules(_ family: IPFamily, _ chain: String) throws(CNIError) -> [IptablesNftRule]?
    /// Whether a rule of `chain` in nat satisfies `test`, reading the chain only up to that rule.
    func contains(_ family: IPFamily, _ chain: String, where test: (IptablesNftRule) -> Bool) throws(CNIError) -> Bool
    /// One transaction: deletes `rules` (chain, handle), then flushes and deletes `chains`; all or nothing.
    func delete(_ family: IPFamily, rules: [(chain: String, handle: UInt64)], chains: [String]) throws(CNIError)
}

/// The real kernel, in the calling thread's network namespace.
public struct SystemIptablesKernel: IptablesKernel {
    let iptables: SystemIptables

    public init(environment: [String: String] = ["PATH": SystemIptables.searchPath]) {
        iptables = SystemIptables(environment: environment)
    }

    public func available(_ family: IPFamily) -> Bool { iptables.isNftVariant(family) }

    public func chainExists(_ family: IPFamily, _ chain: String) -> Bool? {
        do {
            _ = try NfnetlinkSocket().request(NfnetlinkMessage(subsystem: NF.subsysNftables, type: NftABI.getChain, family: NF.family(family),
                                                               attributes: NftABI.chain(table: "nat", chain: chain)), "")
            return true
        } catch where error.isNotFound { return false } catch { return nil }
    }

    public func rules(_ family: IPFamily, _ chain: String) throws(CNIError) -> [IptablesNftRule]? {
        do {
            let replies = try NfnetlinkSocket().dump(ruleDump(family, chain), "listing nat \(chain)")
            // A dump of a chain that does not exist is empty, not an error: tell the two apart.
            if replies.isEmpty, chainExists(family, chain) != true { return nil }
            return replies.compactMap(Self.rule)
        } catch where error.isNotFound { return nil } catch { throw error.cniError }
    }

    public func contains(_ family: IPFamily, _ chain: String, where test: (IptablesNftRule) -> Bool) throws(CNIError) -> Bool {
        do {
            return try NfnetlinkSocket().dump(ruleDump(family, chain), "listing nat \(chain)") { Self.rule($0).map(test) ?? false }
        } catch where error.isNotFound { return false } catch { throw error.cniError }
    }

    public func delete(_ family: IPFamily, rules: [(chain: String, handle: UInt64)], chains: [String]) throws(CNIError) {
        var messages: [NfnetlinkMessage] = []
        let f = NF.family(family)
        for r in rules {
            var a = NftABI.rules(table: "nat", chain: r.chain)
            a.put(NftABI.ruleHandle, bigEndian: r.handle)
            messages.append(NfnetlinkMessage(subsystem: NF.subsysNftables, type: NftABI.delRule, family: f, attributes: a))
        }
        for chain in chains {
            // DELRULE without a handle: every rule of the chain
            messages.append(NfnetlinkMessage(subsystem: NF.subsysNftables, type: NftABI.delRule, family: f,
                                             attributes: NftABI.rules(table: "nat", chain: chain)))
            messages.append(NfnetlinkMessage(subsystem: NF.subsysNftables, type: NftABI.delChain, family: f,
                                             attributes: NftABI.chain(table: "nat", chain: chain)))
        }
        do { try NfnetlinkSocket().batch(messages, "deleting \(chains.joined(separator: ", ")) from \(family == .v4 ? "ip" : "ip6") nat") } catch {
            throw error.cniError
        }
    }

    /// GETRULE of every rule of `chain` in nat (sent as a dump).
    func ruleDump(_ family: IPFamily, _ chain: String) -> NfnetlinkMessage {
        NfnetlinkMessage(subsystem: NF.subsysNftables, type: NftABI.getRule, family: NF.family(family),
                         attributes: NftABI.rules(table: "nat", chain: chain))
    }

    /// A rule message, parsed without collecting attributes (a chain of CNI-HOSTPORT-DNAT holds two rules
    /// per pod): handle, verdict chain, and the expressions iptables-nft 1.8 writes for portmap's rules.
    static func rule(_ reply: NfnetlinkReply) -> IptablesNftRule? {
        var rule = IptablesNftRule(handle: 0, target: nil)
        var hasHandle = false, expressions: ArraySlice<UInt8>?
        NetlinkAttribute.visit(reply.body[...]) { type, payload in
            if type == NftABI.ruleHandle, let h = NetlinkAttribute(type: type, payload: payload).bigEndianU64 { rule.handle = h; hasHandle = true }
            if type == NftABI.ruleExpressions { expressions = payload }
        }
        guard hasHandle else { return nil }
        var multiports = 0, understood = true
        var loaded: UInt32?          // the meta key of a `meta load` not yet compared
        var markMask: UInt32?        // the mask of `bitwise` after `meta load mark`
        NetlinkAttribute.visit(expressions ?? []) { _, item in
            var name = "", data: ArraySlice<UInt8> = []
            NetlinkAttribute.visit(item) { t, p in
                if t == NftABI.exprName { name = NetlinkAttribute(type: t, payload: p).string } else if t == NftABI.exprData { data = p }
            }
            switch name {
            case "counter":
                break
            case "immediate":
                guard let value = NetlinkAttribute.find(NftABI.immediateData, in: data), let verdict = NetlinkAttribute.find(NftABI.dataVerdict, in: value),
                      let code = NetlinkAttribute.find(NftABI.verdictCode, in: verdict).flatMap({ NetlinkAttribute(type: 0, payload: $0).bigEndianU32 })
                else { rule.others += 1; break }
                if Int32(bitPattern: code) == NftABI.jump || Int32(bitPattern: code) == NftABI.goto {
                    rule.target = NetlinkAttribute.find(NftABI.verdictChain, in: verdict).map { NetlinkAttribute(type: 0, payload: $0).string }
                }
            case "meta":
                loaded = NetlinkAttribute.find(NftABI.metaKey, in: data).flatMap { NetlinkAttribute(type: 0, payload: $0).bigEndianU32 }
                if loaded != NftABI.metaL4proto && loaded != NftABI.metaMark { rule.others += 1; loaded = nil }
            case "bitwise":
                func register(_ type: UInt16) -> UInt32? {
                    NetlinkAttribute.find(type, in: data).flatMap { NetlinkAttribute.find(NftABI.dataValue, in: $0) }.flatMap(value)
                }
                guard loaded == NftABI.metaMark, let mask = register(NftABI.bitwiseMask), register(NftABI.bitwiseXor) == 0 else { rule.others += 1; break }
                markMask = mask
            case "cmp":
                defer { loaded = nil; markMask = nil }
                guard NetlinkAttribute.find(NftABI.cmpOp, in: data).flatMap({ NetlinkAttribute(type: 0, payload: $0).bigEndianU32 }) == 0,
                      let bytes = NetlinkAttribute.find(NftABI.cmpData, in: data).flatMap({ NetlinkAttribute.find(NftABI.dataValue, in: $0) }) else {
                    rule.others += 1; break
                }
                if loaded == NftABI.metaL4proto, bytes.count == 1 {
                    rule.proto = bytes.first
                } else if loaded == NftABI.metaMark, let mask = markMask, let v = value(bytes) {
                    rule.markMatch = [v, mask]
                } else { rule.others += 1 }
            case "match", "target":
                var xtName = "", revision: UInt32?, info: ArraySlice<UInt8> = []
                NetlinkAttribute.visit(data) { t, p in
                    if t == NftABI.matchName { xtName = NetlinkAttribute(type: t, payload: p).string }
                    if t == NftABI.matchRev { revision = NetlinkAttribute(type: t, payload: p).bigEndianU32 }
                    if t == NftABI.matchInfo { info = p }
                }
                if name == "target" {
                    rule.xtTarget = xtName
                    if xtName == "MARK", revision == 2, info.count >= 8 {
                        rule.setMark = [value(info.prefix(4)) ?? 0, value(info.dropFirst(4).prefix(4)) ?? 0]
                    }
                    break
                }
                rule.matches.append(xtName)
                if xtName == "comment" {
                    rule.comment = String(decoding: info.prefix { $0 != 0 }, as: UTF8.self)
                } else if xtName == "multiport" {
                    multiports += 1
                    if revision == 1, let ports = multiportDestinations(Array(info)) { rule.dports = ports } else { understood = false }
                }
            default:
                rule.others += 1
            }
        }
        if !understood || multiports != 1 { rule.dports = nil }
        return rule
    }

    /// A 4-byte register value in host order (meta mark, bitwise masks, cmp data, xt_mark_tginfo2).
    static func value(_ bytes: ArraySlice<UInt8>) -> UInt32? {
        guard bytes.count == 4 else { return nil }
        var v: UInt32 = 0
        withUnsafeMutableBytes(of: &v) { for (i, b) in bytes.enumerated() { $0[i] = b } }
        return v
    }

    /// The ports of a `struct xt_multiport_v1` (flags, count, u16 ports[15] in host order, pflags[15],
    /// invert) matching destination ports, without ranges or inversion; nil otherwise.
    static func multiportDestinations(_ info: [UInt8]) -> [Int]? {
        guard info.count >= 48, info[0] == 1 /* XT_MULTIPORT_DESTINATION */, info[47] == 0 else { return nil }
        let count = Int(info[1])
        guard count >= 1, count <= 15, info[32..<(32 + count)].allSatisfy({ $0 == 0 }) else { return nil }
        return (0..<count).map { i in
            var port: UInt16 = 0
            withUnsafeMutableBytes(of: &port) { $0[0] = info[2 + 2 * i]; $0[1] = info[3 + 2 * i] }
            return Int(port)
        }
    }
}
