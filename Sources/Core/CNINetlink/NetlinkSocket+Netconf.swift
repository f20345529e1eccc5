// NetlinkSocket+Netconf: the host-wide forwarding switches read with one RTM_GETNETCONF (no /proc/sys walk).
import CNISpec
import Glibc
internal import CNetlink

extension NetlinkSocket {
    /// `sysctl net.ipv4.ip_forward` (the same switch as net.ipv4.conf.all.forwarding) or
    /// `net.ipv6.conf.all.forwarding`, read over netlink: every /proc/sys/net/ipv4 and /proc/sys/net/ipv6
    /// lookup walks a dentry hash chain that holds one entry per network namespace on the machine.
    /// nil when the kernel does not say (no such family).
    public func forwarding(_ family: IPFamily) throws(CNIError) -> Bool? {
        let what = family == .v4 ? "reading net.ipv4.ip_forward" : "reading net.ipv6.conf.all.forwarding"
        // The request is sent and answered on the socket's descriptor directly, without NLM_F_ACK, so
        // nothing is left queued for libnl; the sequence number comes from libnl's counter.
        var request = NetconfRequest()
        request.header.nlmsg_len = UInt32(MemoryLayout<NetconfRequest>.size)
        request.header.nlmsg_type = UInt16(RTM_GETNETCONF)
        request.header.nlmsg_flags = UInt16(NLM_F_REQUEST)
        request.header.nlmsg_seq = 0x6e63_6f6e   // ours alone: libnl never sees this exchange, nor its counter moves
        request.family = UInt8(NLAddress.family(family))
        request.attrLength = 8
        request.attrType = UInt16(NETCONFA_IFINDEX)
        request.ifindex = -1   // NETCONFA_IFINDEX_ALL
        let fd = nl_socket_get_fd(sock)
        let sent = withUnsafeBytes(of: &request) { Glibc.send(fd, $0.baseAddress, $0.count, 0) }
        if sent < 0 { throw CNIError(.systemFailure, "\(what): \(String(cString: strerror(errno)))") }
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 {
                if errno == EINTR { continue }
                throw CNIError(.systemFailure, "\(what): \(String(cString: strerror(errno)))")
            }
            let answer: Result<Bool?, CNIError>? = buffer.withUnsafeMutableBytes { raw in
                Self.netconfAnswer(raw.baseAddress!, count: n, seq: request.header.nlmsg_seq, what)
            }
            if let answer { return try answer.get() }
        }
    }

    /// The forwarding value in a reply to `seq` (nil in the Result: not reported), its error, or nil
    /// when the datagram answers something else.
    private static func netconfAnswer(_ base: UnsafeMutableRawPointer, count: Int, seq: UInt32,
                                      _ what: String) -> Result<Bool?, CNIError>? {
        var offset = 0
        while offset + MemoryLayout<nlmsghdr>.size <= count {
            let header = (base + offset).assumingMemoryBound(to: nlmsghdr.self)
            let length = Int(header.pointee.nlmsg_len)
            guard length >= MemoryLayout<nlmsghdr>.size, offset + length <= count else { return nil }
            defer { offset += (length + 3) & ~3 }
            guard header.pointee.nlmsg_seq == seq else { continue }
            if header.pointee.nlmsg_type == UInt16(NLMSG_ERROR) {
                let code = (base + offset + MemoryLayout<nlmsghdr>.size).load(as: Int32.self)
                if code == 0 { continue }
                return .failure(NetlinkError(operation: what, code: nl_syserr2nlerr(-code)).cniError)
            }
            guard header.pointee.nlmsg_type == UInt16(RTM_NEWNETCONF) else { continue }
            var attrs = [UnsafeMutablePointer<nlattr>?](repeating: nil, count: Int(NETCONFA_FORWARDING) + 1)
            let max = Int32(NETCONFA_FORWARDING)
            guard nlmsg_parse(header, Int32(MemoryLayout<netconfmsg>.size), &attrs, max, nil) == 0 else {
                return .failure(CNIError(.systemFailure, "\(what): malformed reply"))
            }
            guard let value = attrs[Int(max)] else { return .success(nil) }
            return .success(nla_get_s32(value) != 0)
        }
        return nil
    }
}

/// RTM_GETNETCONF for one ifindex: nlmsghdr, struct netconfmsg (padded to 4), one s32 attribute.
private struct NetconfRequest {
    var header = nlmsghdr()
    var family: UInt8 = 0
    var pad: (UInt8, UInt8, UInt8) = (0, 0, 0)
    var attrLength: UInt16 = 0
    var attrType: UInt16 = 0
    var ifindex: Int32 = 0
}
