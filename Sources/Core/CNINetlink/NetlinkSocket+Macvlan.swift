// NetlinkSocket+Macvlan: MacvlanNetlink through a hand-built RTM_NEWLINK (libnl 3.7 lacks bcqueuelen) and libnl's macvlan parser.
import CNISpec
import Glibc
internal import CNetlink

extension NetlinkSocket: MacvlanNetlink {
    /// One message: ifinfomsg, IFLA_IFNAME, IFLA_LINK, IFLA_NET_NS_FD, [IFLA_MTU], [IFLA_ADDRESS],
    /// IFLA_LINKINFO { IFLA_INFO_KIND "macvlan", IFLA_INFO_DATA { IFLA_MACVLAN_MODE, [IFLA_MACVLAN_BC_QUEUE_LEN] } }.
    public func createMacvlan(_ options: MacvlanOptions, broadcastQueueLength: Int?) throws(CNIError) {
        let what = "creating macvlan \(options.name) on link #\(options.parentIndex) in \(options.namespace.path)"
        guard let msg = nlmsg_alloc_simple(Int32(RTM_NEWLINK), NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL) else {
            throw CNIError(.systemFailure, "\(what): out of memory")
        }
        var header = ifinfomsg()
        header.ifi_family = UInt8(AF_UNSPEC)
        do {
            try NetlinkMessage.put(nlmsg_append(msg, &header, MemoryLayout<ifinfomsg>.size, Int32(NLMSG_ALIGNTO)))
            try NetlinkMessage.put(nla_put_string(msg, Int32(IFLA_IFNAME), options.name))
            try NetlinkMessage.put(nla_put_u32(msg, Int32(IFLA_LINK), UInt32(options.parentIndex)))
            try NetlinkMessage.put(nla_put_u32(msg, Int32(IFLA_NET_NS_FD), UInt32(bitPattern: options.namespace.fileDescriptor)))
            if let mtu = options.mtu { try NetlinkMessage.put(nla_put_u32(msg, Int32(IFLA_MTU), UInt32(mtu))) }
            if let mac = options.mac {
                var bytes = mac.bytes
                try NetlinkMessage.put(nla_put(msg, Int32(IFLA_ADDRESS), Int32(bytes.count), &bytes))
            }
            try NetlinkMessage.nest(msg, Int32(IFLA_LINKINFO)) { () throws(CNIError) in
                try NetlinkMessage.put(nla_put_string(msg, Int32(IFLA_INFO_KIND), "macvlan"))
                try NetlinkMessage.nest(msg, Int32(IFLA_INFO_DATA)) { () throws(CNIError) in
                    try NetlinkMessage.put(nla_put_u32(msg, Int32(IFLA_MACVLAN_MODE), options.mode.kernelValue))
                    if let length = broadcastQueueLength {
                        try NetlinkMessage.put(nla_put_u32(msg, Int32(IFLA_MACVLAN_BC_QUEUE_LEN), UInt32(length)))
                    }
                }
            }
        } catch {
            nlmsg_free(msg)
            throw CNIError(.systemFailure, "\(what): \(error)")
        }
        try Netlink.require(nl_send_sync(sock, msg), what)   // frees msg
    }

    /// Fetches the link by index; libnl parses IFLA_INFO_DATA for kind "macvlan" (its macvlan module
    /// is linked in through `rtnl_link_macvlan_alloc`, used by `createMacvlan(_:)`).
    public func macvlanDetails(of link: Link) throws(CNIError) -> MacvlanDetails? {
        try withKernelLink(index: Int32(link.index), name: nil, "looking up link \(link.name)") { object in
            guard rtnl_link_is_macvlan(object) != 0 else { return nil }
            let parent = Int(rtnl_link_get_link(object))
            return MacvlanDetails(mode: MacvlanMode(kernelValue: rtnl_link_macvlan_get_mode(object)),
                                  parentIndex: parent > 0 ? parent : nil)
        }
    }
}
