// NetlinkAttributes: nfnetlink messages built and parsed by hand: the ABI numbers, type-length-value
// attributes, and the message and reply forms that NfnetlinkSocket sends and receives.
import CNISpec

/// Numbers of the netlink and nfnetlink ABI (linux/netlink.h, linux/netfilter/nfnetlink.h, nf_tables.h,
/// nfnetlink_conntrack.h) that these files and their users need.
public enum NF {
    public static let netlinkNetfilter: Int32 = 12                    // NETLINK_NETFILTER
    public static let request: UInt16 = 0x1, ack: UInt16 = 0x4   // NLM_F_*
    public static let dumpInterrupted: UInt16 = 0x10, dump: UInt16 = 0x300
    public static let excl: UInt16 = 0x200, create: UInt16 = 0x400, append: UInt16 = 0x800
    static let nlmsgError: UInt16 = 2, nlmsgDone: UInt16 = 3
    public static let nested: UInt16 = 0x8000                          // NLA_F_NESTED
    static let batchBegin: UInt16 = 16, batchEnd: UInt16 = 17          // NFNL_MSG_BATCH_*
    public static let subsysConntrack: UInt8 = 1, subsysNftables: UInt8 = 10   // NFNL_SUBSYS_*
    public static let protoIPv4: UInt8 = 2, protoIPv6: UInt8 = 10, protoInet: UInt8 = 1  // NFPROTO_*

    /// The nfgenmsg family (NFPROTO_IPV4 / NFPROTO_IPV6) of an address family.
    public static func family(_ family: IPFamily) -> UInt8 { family == .v4 ? protoIPv4 : protoIPv6 }
}

/// Netlink attributes (type-length-value, 4-byte aligned), appended in order.
public struct NetlinkAttributes: Sendable {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    public mutating func put(_ type: UInt16, _ payload: [UInt8]) {
        let length = 4 + payload.count
        bytes += Self.u16(UInt16(length)) + Self.u16(type) + payload
        bytes += [UInt8](repeating: 0, count: (4 - length % 4) % 4)
    }

    /// A NUL-terminated string, as the kernel's NLA_STRING / NLA_NUL_STRING expect.
    public mutating func put(_ type: UInt16, string: String) { put(type, Array(string.utf8) + [0]) }

    public mutating func put(_ type: UInt16, bigEndian value: UInt32) {
        put(type, Self.u32(value.bigEndian))
    }

    public mutating func put(_ type: UInt16, bigEndian value: UInt64) {
        put(type, withUnsafeBytes(of: value.bigEndian) { Array($0) })
    }

    /// A 32-bit value in host byte order (NLA_U32 read with nla_get_u32, e.g. flag words).
    public mutating func put(_ type: UInt16, hostOrder value: UInt32) { put(type, Self.u32(value)) }

    /// An attribute holding the attributes `body` adds (flagged NLA_F_NESTED, as strict parsing wants).
    public mutating func nest(_ type: UInt16, _ body: (inout NetlinkAttributes) -> Void) {
        var inner = NetlinkAttributes()
        body(&inner)
        put(type | NF.nested, inner.bytes)
    }

    /// Netlink headers and attribute headers are in host byte order.
    static func u16(_ v: UInt16) -> [UInt8] { withUnsafeBytes(of: v) { Array($0) } }
    static func u32(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v) { Array($0) } }
    static func u16(_ bytes: ArraySlice<UInt8>, at: Int) -> UInt16 {
        var v: UInt16 = 0
        withUnsafeMutableBytes(of: &v) { for i in 0..<2 { $0[i] = bytes[at + i] } }
        return v
    }
}

/// One parsed attribute: its type (flags masked off) and payload.
public struct NetlinkAttribute: Sendable {
    public let type: UInt16
    public let payload: ArraySlice<UInt8>

    public init(type: UInt16, payload: ArraySlice<UInt8>) { self.type = type; self.payload = payload }

    /// The attributes inside a nested one.
    public var nested: [NetlinkAttribute] { Self.parse(payload) }
    /// A string payload without its trailing NUL(s).
    public var string: String { String(decoding: payload.prefix { $0 != 0 }, as: UTF8.self) }
    public var bigEndianU32: UInt32? { payload.count >= 4 ? payload.prefix(4).reduce(0) { $0 << 8 | UInt32($1) } : nil }
    public var bigEndianU64: UInt64? { payload.count >= 8 ? payload.prefix(8).reduce(0) { $0 << 8 | UInt64($1) } : nil }

    /// The attributes in `bytes`; a truncated tail is ignored.
    public static func parse(_ bytes: ArraySlice<UInt8>) -> [NetlinkAttribute] {
        var out: [NetlinkAttribute] = []
        visit(bytes) { out.append(NetlinkAttribute(type: $0, payload: $1)) }
        return out
    }

    /// Calls `body` with the type and payload of each attribute in `bytes`, without collecting them.
    public static func visit(_ bytes: ArraySlice<UInt8>, _ body: (UInt16, ArraySlice<UInt8>) -> Void) {
        var at = bytes.startIndex
        while at + 4 <= bytes.endIndex {
            let length = Int(NetlinkAttributes.u16(bytes, at: at))
            let type = NetlinkAttributes.u16(bytes, at: at + 2) & 0x3fff
            guard length >= 4, at + length <= bytes.endIndex else { break }
            body(type, bytes[(at + 4)..<(at + length)])
            at += (length + 3) & ~3
        }
    }

    /// The payload of the first attribute of `type` in `bytes`.
    public static func find(_ type: UInt16, in bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8>? {
        var found: ArraySlice<UInt8>?
        visit(bytes) { t, p in if found == nil && t == type { found = p } }
        return found
    }
}

extension Array where Element == NetlinkAttribute {
    /// The first attribute of `type`.
    public func attribute(_ type: UInt16) -> NetlinkAttribute? { first { $0.type == type } }
}

/// An nfnetlink message to send: subsystem and message type, flags beyond NLM_F_REQUEST, the nfgenmsg
/// family, and attributes.
public struct NfnetlinkMessage: Sendable {
    public var subsystem: UInt8
    public var type: UInt8
    public var flags: UInt16
    public var family: UInt8
    public var attributes: NetlinkAttributes

    public init(subsystem: UInt8, type: UInt8, flags: UInt16 = 0, family: UInt8, attributes: NetlinkAttributes = NetlinkAttributes()) {
        self.subsystem = subsystem; self.type = type; self.flags = flags; self.family = family; self.attributes = attributes
    }

    /// The wire form with `seq`; `resID` is the nfgenmsg res_id (big endian).
    func encoded(seq: UInt32, extraFlags: UInt16, rawType: UInt16? = nil, resID: UInt16 = 0) -> [UInt8] {
        let length = 16 + 4 + attributes.bytes.count
        return NetlinkAttributes.u32(UInt32(length)) + NetlinkAttributes.u16(rawType ?? (UInt16(subsystem) << 8 | UInt16(type)))
            + NetlinkAttributes.u16(NF.request | flags | extraFlags) + NetlinkAttributes.u32(seq) + NetlinkAttributes.u32(0)
            + [family, 0, UInt8(resID >> 8), UInt8(resID & 0xff)] + attributes.bytes
    }
}

/// A message the kernel sent back (not an ack): its type and attributes.
public struct NfnetlinkReply: Sendable {
    public let type: UInt8
    /// The attribute bytes after the nfgenmsg header.
    public let body: [UInt8]

    public var attributes: [NetlinkAttribute] { NetlinkAttribute.parse(body[...]) }
}
