// Nfnetlink: requests, dumps and atomic nf_tables batches over a NETLINK_NETFILTER socket, messages built
// and parsed by hand (no tool exec, no libnl cache), for the few operations that must stay cheap at scale.
import CNISpec
import Glibc

/// Numbers of the netlink and nfnetlink ABI (linux/netlink.h, linux/netfilter/nfnetlink.h, nf_tables.h,
/// nfnetlink_conntrack.h) that this file and its users need.
public enum NF {
    public static let netlinkNetfilter: Int32 = 12                    // NETLINK_NETFILTER
    public static let request: UInt16 = 0x1, multi: UInt16 = 0x2, ack: UInt16 = 0x4   // NLM_F_*
    public static let dumpInterrupted: UInt16 = 0x10, dump: UInt16 = 0x300
    public static let excl: UInt16 = 0x200, create: UInt16 = 0x400
    static let nlmsgError: UInt16 = 2, nlmsgDone: UInt16 = 3
    public static let nested: UInt16 = 0x8000                          // NLA_F_NESTED
    static let batchBegin: UInt16 = 16, batchEnd: UInt16 = 17          // NFNL_MSG_BATCH_*
    public static let subsysConntrack: UInt8 = 1, subsysNftables: UInt8 = 10   // NFNL_SUBSYS_*
    public static let protoIPv4: UInt8 = 2, protoIPv6: UInt8 = 10, protoInet: UInt8 = 1  // NFPROTO_*
}

/// A kernel (or socket) errno, with what was being done.
public struct NetfilterError: Error, CustomStringConvertible, Sendable {
    public let errno: Int32
    public let operation: String

    public init(errno: Int32, operation: String) { self.errno = errno; self.operation = operation }

    public var description: String { "\(operation): \(String(cString: strerror(errno)))" }
    public var cniError: CNIError { CNIError(.systemFailure, description) }
    /// No such table, chain, set, element or entry.
    public var isNotFound: Bool { errno == ENOENT }
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
        put(type, [UInt8(value >> 24), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)])
    }

    public mutating func put(_ type: UInt16, bigEndian value: UInt64) {
        put(type, (0..<8).map { UInt8(value >> (56 - 8 * UInt64($0)) & 0xff) })
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

/// A message the kernel sent back (not an ack): its type, nfgenmsg family and attributes.
public struct NfnetlinkReply: Sendable {
    public let type: UInt8
    public let family: UInt8
    /// The attribute bytes after the nfgenmsg header.
    public let body: [UInt8]

    public var attributes: [NetlinkAttribute] { NetlinkAttribute.parse(body[...]) }
}

/// A NETLINK_NETFILTER socket in the network namespace of the thread that opened it (a netlink socket
/// keeps its namespace). Not thread-safe; every call waits for its answer (at most 10 s).
public final class NfnetlinkSocket {
    private let fd: Int32
    private var seq: UInt32
    private var buffer = [UInt8](repeating: 0, count: 64 * 1024)   // a dump part is at most 32 KiB
    private var abandoned = false

    public init() throws(NetfilterError) {
        fd = socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), NF.netlinkNetfilter)
        if fd < 0 { throw NetfilterError(errno: Glibc.errno, operation: "opening a netfilter netlink socket") }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        seq = UInt32(truncatingIfNeeded: time(nil)) &* 2654435761
    }

    deinit { close(fd) }

    /// Sends `message` with NLM_F_ACK; returns the messages answered before the ack (a GET's objects).
    public func request(_ message: NfnetlinkMessage, _ what: @autoclosure () -> String) throws(NetfilterError) -> [NfnetlinkReply] {
        let s = nextSeq()
        try send(message.encoded(seq: s, extraFlags: NF.ack), what())
        var replies: [NfnetlinkReply] = []
        try receive(what()) { (reply, seq, error) throws(NetfilterError) in
            guard seq == s else { return true }
            if let error {
                if error != 0 { throw NetfilterError(errno: error, operation: what()) }
                return false
            }
            if let reply { replies.append(reply) }
            return true
        }
        return replies
    }

    /// A dump (NLM_F_DUMP): every object, retried when a concurrent change interrupted it.
    public func dump(_ message: NfnetlinkMessage, _ what: @autoclosure () -> String) throws(NetfilterError) -> [NfnetlinkReply] {
        for _ in 0..<5 {
            let s = nextSeq()
            try send(message.encoded(seq: s, extraFlags: NF.dump), what())
            var replies: [NfnetlinkReply] = []
            var interrupted = false
            try receive(what(), flagsSeen: { if $0 & NF.dumpInterrupted != 0 { interrupted = true } }) { (reply, seq, error) throws(NetfilterError) in
                guard seq == s else { return true }
                if let error {
                    if error != 0 { throw NetfilterError(errno: error, operation: what()) }
                    return false    // NLMSG_DONE
                }
                if let reply { replies.append(reply) }
                return true
            }
            if !interrupted { return replies }
        }
        throw NetfilterError(errno: EINTR, operation: "\(what()): the dump kept being interrupted by changes")
    }

    /// A dump read only until `found` accepts an object: true then (the rest is not read, which spares the
    /// kernel from building it; the socket must not be used again), false when no object was accepted.
    public func dump(_ message: NfnetlinkMessage, _ what: @autoclosure () -> String,
                     until found: (NfnetlinkReply) -> Bool) throws(NetfilterError) -> Bool {
        guard !abandoned else { throw NetfilterError(errno: EBUSY, operation: "\(what()): socket left in a dump") }
        for _ in 0..<5 {
            let s = nextSeq()
            try send(message.encoded(seq: s, extraFlags: NF.dump), what())
            var interrupted = false, hit = false
            try receive(what(), flagsSeen: { if $0 & NF.dumpInterrupted != 0 { interrupted = true } }) { (reply, seq, error) throws(NetfilterError) in
                guard seq == s else { return true }
                if let error {
                    if error != 0 { throw NetfilterError(errno: error, operation: what()) }
                    return false
                }
                if let reply, found(reply) { hit = true; return false }
                return true
            }
            if hit { abandoned = true; return true }
            if !interrupted { return false }
        }
        throw NetfilterError(errno: EINTR, operation: "\(what()): the dump kept being interrupted by changes")
    }

    /// Applies `messages` as one nf_tables transaction (all or nothing): each is acked, and the first
    /// error the kernel reports is thrown.
    public func batch(_ messages: [NfnetlinkMessage], _ what: @autoclosure () -> String) throws(NetfilterError) {
        guard !messages.isEmpty else { return }
        let begin = nextSeq()
        var wire = NfnetlinkMessage(subsystem: 0, type: 0, family: 0)
            .encoded(seq: begin, extraFlags: 0, rawType: NF.batchBegin, resID: UInt16(NF.subsysNftables))
        var pending = Set<UInt32>()
        for m in messages {
            let s = nextSeq()
            pending.insert(s)
            wire += m.encoded(seq: s, extraFlags: NF.ack)
        }
        wire += NfnetlinkMessage(subsystem: 0, type: 0, family: 0)
            .encoded(seq: nextSeq(), extraFlags: 0, rawType: NF.batchEnd, resID: UInt16(NF.subsysNftables))
        try send(wire, what())
        var failure: Int32 = 0
        try receive(what()) { (_, seq, error) throws(NetfilterError) in
            guard let error else { return true }
            if seq == begin && error != 0 { throw NetfilterError(errno: error, operation: what()) }
            if pending.remove(seq) != nil, error != 0, failure == 0 { failure = error }
            return !pending.isEmpty
        }
        if failure != 0 { throw NetfilterError(errno: failure, operation: what()) }
    }

    private func nextSeq() -> UInt32 { seq &+= 1; return seq }

    private func send(_ bytes: [UInt8], _ what: String) throws(NetfilterError) {
        let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) }
        if n != bytes.count { throw NetfilterError(errno: n < 0 ? Glibc.errno : EMSGSIZE, operation: "\(what): sending") }
    }

    /// Reads messages until `handle` returns false. `handle` gets (reply, seq, nil) for a data message
    /// and (nil, seq, errno) for an ack or error (0: success) and for NLMSG_DONE (its status).
    private func receive(_ what: String, flagsSeen: (UInt16) -> Void = { _ in },
                         _ handle: (NfnetlinkReply?, UInt32, Int32?) throws(NetfilterError) -> Bool) throws(NetfilterError) {
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_TRUNC)) }
            if n < 0 {
                if Glibc.errno == EINTR { continue }
                throw NetfilterError(errno: Glibc.errno, operation: "\(what): receiving")
            }
            if n > buffer.count { throw NetfilterError(errno: EMSGSIZE, operation: "\(what): reply larger than the buffer") }
            var at = 0
            while at + 16 <= n {
                let length = Int(u32(at)), type = u16(at + 4), flags = u16(at + 6), seq = u32(at + 8)
                guard length >= 16, at + length <= n else { break }
                flagsSeen(flags)
                let keepGoing: Bool
                switch type {
                case NF.nlmsgError, NF.nlmsgDone:
                    let code = length >= 20 ? Int32(bitPattern: u32(at + 16)) : 0
                    keepGoing = try handle(nil, seq, -code)
                default:
                    let family = length >= 20 ? buffer[at + 16] : 0
                    // Copied out, so replies never share (and copy on write) the whole receive buffer.
                    let body = Array(buffer[(at + min(20, length))..<(at + length)])
                    keepGoing = try handle(NfnetlinkReply(type: UInt8(type & 0xff), family: family, body: body), seq, nil)
                }
                if !keepGoing { return }
                at += (length + 3) & ~3
            }
        }
    }

    private func u16(_ at: Int) -> UInt16 { buffer.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: at, as: UInt16.self) } }
    private func u32(_ at: Int) -> UInt32 { buffer.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: at, as: UInt32.self) } }
}
