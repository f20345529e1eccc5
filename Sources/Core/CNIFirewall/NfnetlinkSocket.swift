// NfnetlinkSocket: requests, dumps and atomic nf_tables batches over a NETLINK_NETFILTER socket (no tool
// exec, no libnl cache), for the few operations that must stay cheap at scale.
import CNISpec
import Glibc

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
        var replies: [NfnetlinkReply] = []
        _ = try exchange(message, flags: NF.ack, what()) { replies.append($0); return true }
        return replies
    }

    /// A dump (NLM_F_DUMP): every object, retried when a concurrent change interrupted it.
    public func dump(_ message: NfnetlinkMessage, _ what: @autoclosure () -> String) throws(NetfilterError) -> [NfnetlinkReply] {
        for _ in 0..<5 {
            var replies: [NfnetlinkReply] = []
            if try !exchange(message, flags: NF.dump, what(), { replies.append($0); return true }).interrupted { return replies }
        }
        throw NetfilterError(errno: EINTR, operation: "\(what()): the dump kept being interrupted by changes")
    }

    /// A dump read only until `found` accepts an object: true then (the rest is not read, which spares the
    /// kernel from building it; the socket must not be used again), false when no object was accepted.
    public func dump(_ message: NfnetlinkMessage, _ what: @autoclosure () -> String,
                     until found: (NfnetlinkReply) -> Bool) throws(NetfilterError) -> Bool {
        guard !abandoned else { throw NetfilterError(errno: EBUSY, operation: "\(what()): socket left in a dump") }
        for _ in 0..<5 {
            let outcome = try exchange(message, flags: NF.dump, what()) { !found($0) }
            if outcome.stopped { abandoned = true; return true }
            if !outcome.interrupted { return false }
        }
        throw NetfilterError(errno: EINTR, operation: "\(what()): the dump kept being interrupted by changes")
    }

    /// Sends `message` with `flags` and hands `onReply` the replies of its sequence until the ack or
    /// NLMSG_DONE, or until `onReply` returns false (`stopped`); `interrupted`: a reply carried
    /// NLM_F_DUMP_INTR.
    private func exchange(_ message: NfnetlinkMessage, flags: UInt16, _ what: @autoclosure () -> String,
                          _ onReply: (NfnetlinkReply) -> Bool) throws(NetfilterError) -> (interrupted: Bool, stopped: Bool) {
        let s = nextSeq()
        try send(message.encoded(seq: s, extraFlags: flags), what())
        var interrupted = false, stopped = false
        try receive(what(), flagsSeen: { if $0 & NF.dumpInterrupted != 0 { interrupted = true } }) { (reply, seq, error) throws(NetfilterError) in
            guard seq == s else { return true }
            if let error {
                if error != 0 { throw NetfilterError(errno: error, operation: what()) }
                return false    // the ack, or NLMSG_DONE
            }
            if let reply, !onReply(reply) { stopped = true; return false }
            return true
        }
        return (interrupted, stopped)
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
                    // Copied out, so replies never share (and copy on write) the whole receive buffer.
                    let body = Array(buffer[(at + min(20, length))..<(at + length)])
                    keepGoing = try handle(NfnetlinkReply(type: UInt8(type & 0xff), body: body), seq, nil)
                }
                if !keepGoing { return }
                at += (length + 3) & ~3
            }
        }
    }

    private func u16(_ at: Int) -> UInt16 { buffer.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: at, as: UInt16.self) } }
    private func u32(_ at: Int) -> UInt32 { buffer.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: at, as: UInt32.self) } }
}
