// NetlinkSocket+Netconf: settings read with one raw request instead of a /proc/sys path walk: the host-wide
// forwarding switches (RTM_GETNETCONF) and a link's IPv4 and IPv6 settings (its RTM_GETLINK's IFLA_AF_SPEC).
import CNISpec
import Glibc
internal import CNetlink

extension NetlinkSocket {
    /// `sysctl net.ipv4.ip_forward` (the same switch as net.ipv4.conf.all.forwarding) or
    /// `net.ipv6.conf.all.forwarding`, read over netlink: every /proc/sys/net/ipv4 and /proc/sys/net/ipv6
    /// lookup walks a dentry hash chain that holds one entry per network namespace on the machine.
    /// nil when the kernel does not say (no such family).
    public func forwarding(_ family: IPFamily) throws(CNIError) -> Bool? {
        var request = NetconfRequest()
        request.header = Self.rawHeader(RTM_GETNETCONF, size: MemoryLayout<NetconfRequest>.size)
        request.family = UInt8(NLAddress.family(family))
        request.attrLength = 8
        request.attrType = UInt16(NETCONFA_IFINDEX)
        request.ifindex = -1   // NETCONFA_IFINDEX_ALL
        let what = family == .v4 ? "reading net.ipv4.ip_forward" : "reading net.ipv6.conf.all.forwarding"
        return try exchange(request, what, reply: UInt16(RTM_NEWNETCONF)) { header in
            guard let value = nlmsg_find_attr(header, Int32(MemoryLayout<netconfmsg>.size), Int32(NETCONFA_FORWARDING)) else { return nil }
            return nla_get_s32(value) != 0
        }
    }

    /// `sysctl net.ipv4.conf.NAME.<conf>` from the link's IFLA_AF_SPEC / AF_INET / IFLA_INET_CONF (u32 values
    /// numbered from 1, as IPV4_DEVCONF_*); nil when the link is gone or has no IPv4 settings.
    public func ipv4Conf(_ conf: IPv4DeviceConf, of link: Link) throws(CNIError) -> Int? {
        try afSpecAttribute(AF_INET, Int32(IFLA_INET_CONF), of: link, "reading net.ipv4.conf.\(link.name).\(conf.name)") {
            Self.devconf($0, slot: Int(conf.id) - 1)
        }
    }

    /// `sysctl net.ipv6.conf.NAME.<conf>` from the link's IFLA_AF_SPEC / AF_INET6 / IFLA_INET6_CONF; nil when the
    /// link is gone or has no IPv6 settings (IPv6 disabled).
    public func ipv6Conf(_ conf: IPv6DeviceConf, of link: Link) throws(CNIError) -> Int? {
        try afSpecAttribute(AF_INET6, Int32(IFLA_INET6_CONF), of: link, "reading net.ipv6.conf.\(link.name).\(conf.name)") {
            Self.devconf($0, slot: conf.index)
        }
    }

    /// Value `slot` (from 0) of an IFLA_INET_CONF / IFLA_INET6_CONF array of 32-bit settings; nil past its end.
    private static func devconf(_ values: UnsafeMutablePointer<nlattr>, slot: Int) -> Int? {
        guard slot >= 0, slot < Int(nla_len(values)) / 4 else { return nil }
        return Int(nla_data(values).load(fromByteOffset: slot * 4, as: Int32.self))
    }

    /// The link's `addrgenmode` (`ip -d link show`), from its IFLA_AF_SPEC / AF_INET6 / IFLA_INET6_ADDR_GEN_MODE;
    /// nil when the link is gone or has no IPv6 settings.
    public func ipv6AddressGeneration(of link: Link) throws(CNIError) -> IPv6AddressGeneration? {
        try afSpecAttribute(AF_INET6, Int32(IFLA_INET6_ADDR_GEN_MODE), of: link, "reading addrgenmode of \(link.name)") { value in
            IPv6AddressGeneration(rawValue: nla_get_u8(value))
        }
    }

    /// One attribute of the `family` part of IFLA_AF_SPEC in the link's RTM_GETLINK reply, handed to `parse`.
    private func afSpecAttribute<T>(_ family: Int32, _ type: Int32, of link: Link, _ what: String,
                                   _ parse: (UnsafeMutablePointer<nlattr>) -> T?) throws(CNIError) -> T? {
        var request = LinkRequest()
        request.header = Self.rawHeader(RTM_GETLINK, size: MemoryLayout<LinkRequest>.size)
        request.info.ifi_index = Int32(link.index)
        return try exchange(request, what, reply: UInt16(RTM_NEWLINK)) { header in
            guard let spec = nlmsg_find_attr(header, Int32(MemoryLayout<ifinfomsg>.size), Int32(IFLA_AF_SPEC)),
                  let part = nla_find(nla_data(spec).assumingMemoryBound(to: nlattr.self), nla_len(spec), family),
                  let value = nla_find(nla_data(part).assumingMemoryBound(to: nlattr.self), nla_len(part), type)
            else { return nil }
            return parse(value)
        }
    }

    /// The sequence number of these exchanges. libnl starts its own counter at the current time in seconds
    /// and moves it by one per request, so it will not be near this before 2106; and nothing of libnl's is
    /// ever pending when these run.
    static let rawSeq: UInt32 = 0xffff_ff00

    /// The header of a raw request of `size` bytes: NLM_F_REQUEST (no ack) and `rawSeq`.
    static func rawHeader(_ type: Int, size: Int) -> nlmsghdr {
        var header = nlmsghdr()
        header.nlmsg_len = UInt32(size)
        header.nlmsg_type = UInt16(type)
        header.nlmsg_flags = UInt16(NLM_F_REQUEST)
        header.nlmsg_seq = rawSeq
        return header
    }

    /// Sends `request` (an nlmsghdr with NLM_F_REQUEST and `rawSeq`, and its body; no NLM_F_ACK) on the socket's descriptor and hands the
    /// reply of type `reply` to `parse`. Nothing is left queued for libnl, and its sequence counter does not
    /// move: this exchange uses a number of its own. A missing object (ENOENT, ENODEV) answers nil.
    private func exchange<Request, T>(_ request: Request, _ what: String, reply: UInt16,
                                      _ parse: (UnsafeMutablePointer<nlmsghdr>) -> T?) throws(CNIError) -> T? {
        let seq = Self.rawSeq
        let fd = nl_socket_get_fd(sock)
        let sent = withUnsafeBytes(of: request) { Glibc.send(fd, $0.baseAddress, $0.count, 0) }
        if sent < 0 { throw CNIError(.systemFailure, "\(what): \(String(cString: strerror(errno)))") }
        var buffer = [UInt8](repeating: 0, count: 16384)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 {
                if errno == EINTR { continue }
                throw CNIError(.systemFailure, "\(what): \(String(cString: strerror(errno)))")
            }
            var offset = 0
            while offset + MemoryLayout<nlmsghdr>.size <= n {
                let result: (found: Bool, value: T?, error: Int32) = buffer.withUnsafeMutableBytes { raw in
                    let h = (raw.baseAddress! + offset).assumingMemoryBound(to: nlmsghdr.self)
                    guard h.pointee.nlmsg_seq == seq else { return (false, nil, 0) }
                    if h.pointee.nlmsg_type == UInt16(NLMSG_ERROR) {
                        return (true, nil, -(raw.baseAddress! + offset + MemoryLayout<nlmsghdr>.size).load(as: Int32.self))
                    }
                    guard h.pointee.nlmsg_type == reply else { return (false, nil, 0) }
                    return (true, parse(h), 0)
                }
                if result.found {
                    if result.error == ENOENT || result.error == ENODEV { return nil }
                    if result.error != 0 { throw CNIError(.systemFailure, "\(what): \(String(cString: strerror(result.error)))") }
                    return result.value
                }
                let length = Int(buffer.withUnsafeBytes { $0.load(fromByteOffset: offset, as: UInt32.self) })
                guard length >= MemoryLayout<nlmsghdr>.size else { break }
                offset += (length + 3) & ~3
            }
        }
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

/// RTM_GETLINK of one index: nlmsghdr and struct ifinfomsg.
private struct LinkRequest {
    var header = nlmsghdr()
    var info = ifinfomsg()
}
