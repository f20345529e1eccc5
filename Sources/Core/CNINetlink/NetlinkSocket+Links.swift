// NetlinkSocket+Links: looking up, listing, changing and deleting links.
import CNISpec
import Glibc
internal import CNetlink

extension NetlinkSocket {
    /// `ip link show dev NAME`
    public func link(named name: String) throws(CNIError) -> Link? {
        try fetchLink(index: 0, name: name, "looking up link \(name)")
    }

    /// `ip link show` filtered to one index
    public func link(index: Int) throws(CNIError) -> Link? {
        try fetchLink(index: Int32(index), name: nil, "looking up link #\(index)")
    }

    /// `ip link show`
    public func links() throws(CNIError) -> [Link] {
        var out: [Link] = []
        try dump("listing links in \(namespaceName)", { rtnl_link_alloc_cache(sock, AF_UNSPEC, $0) }) { object in
            out.append(Self.link(from: object))
        }
        return out
    }

    /// `ip link set dev NAME up` / `down`
    public func setLink(_ link: Link, up: Bool) throws(CNIError) {
        try change(link, "setting \(link.name) \(up ? "up" : "down")") { changes in
            if up { rtnl_link_set_flags(changes, UInt32(IFF_UP.rawValue)) } else { rtnl_link_unset_flags(changes, UInt32(IFF_UP.rawValue)) }
        }
    }

    /// `ip link set dev NAME mtu MTU`
    public func setMTU(_ mtu: Int, of link: Link) throws(CNIError) {
        try change(link, "setting MTU \(mtu) on \(link.name)") { rtnl_link_set_mtu($0, UInt32(mtu)) }
    }

    /// `ip link set dev NAME address MAC`
    public func setMAC(_ mac: MACAddress, of link: Link) throws(CNIError) {
        let addr = try NLAddress.make(mac)
        defer { nl_addr_put(addr) }
        try change(link, "setting MAC \(mac) on \(link.name)") { rtnl_link_set_addr($0, addr) }
    }

    /// `ip link set dev NAME master BRIDGE`, or `ip link set dev NAME nomaster` for nil
    public func setMaster(_ master: Link?, of link: Link) throws(CNIError) {
        let what = master.map { "attaching \(link.name) to \($0.name)" } ?? "detaching \(link.name) from its master"
        try change(link, what) { rtnl_link_set_master($0, Int32(master?.index ?? 0)) }
    }

    /// `sysctl net.ipv4.conf.NAME.<conf>=VALUE` as IFLA_AF_SPEC / AF_INET / IFLA_INET_CONF of an RTM_SETLINK
    public func setIPv4Conf(_ conf: IPv4DeviceConf, _ value: Int, of link: Link) throws(CNIError) {
        try change(link, "setting net.ipv4.conf.\(link.name).\(conf.name)=\(value)") {
            _ = rtnl_link_inet_set_conf($0, conf.id, UInt32(truncatingIfNeeded: value))
        }
    }

    /// `ip link set dev NAME addrgenmode MODE`, as IFLA_AF_SPEC / AF_INET6 / IFLA_INET6_ADDR_GEN_MODE of an
    /// RTM_SETLINK (hand-built: libnl 3.7's setter needs its inet6 module, which a static link drops).
    public func setIPv6AddressGeneration(_ mode: IPv6AddressGeneration, of link: Link) throws(CNIError) {
        try send(Int32(RTM_SETLINK), family: AF_UNSPEC, link, "setting addrgenmode \(mode) on \(link.name)") { msg throws(CNIError) in
            try NetlinkMessage.nest(msg, Int32(IFLA_AF_SPEC)) { () throws(CNIError) in
                try NetlinkMessage.nest(msg, Int32(AF_INET6)) { () throws(CNIError) in
                    try NetlinkMessage.put(nla_put_u8(msg, Int32(IFLA_INET6_ADDR_GEN_MODE), mode.rawValue))
                }
            }
        }
    }

    /// `ip link del dev NAME`; false when it was already gone
    @discardableResult
    public func deleteLink(_ link: Link) throws(CNIError) -> Bool {
        guard let target = rtnl_link_alloc() else { throw CNIError(.systemFailure, "deleting \(link.name): out of memory") }
        defer { rtnl_link_put(target) }
        rtnl_link_set_ifindex(target, Int32(link.index))
        do {
            try Netlink.check(rtnl_link_delete(sock, target), "deleting link \(link.name)")
        } catch {
            if error.isNotFound { return false }
            throw error.cniError
        }
        return true
    }

    // MARK: - Helpers

    private func fetchLink(index: Int32, name: String?, _ what: @autoclosure () -> String) throws(CNIError) -> Link? {
        try withKernelLink(index: index, name: name, what()) { Self.link(from: $0) }
    }

    /// RTM_GETLINK by index or name, parsed by libnl and handed to `body`; nil when there is no such link.
    func withKernelLink<T>(index: Int32, name: String?, _ what: @autoclosure () -> String,
                           _ body: (OpaquePointer) -> T?) throws(CNIError) -> T? {
        var object: OpaquePointer? = nil
        do {
            try Netlink.check(rtnl_link_get_kernel(sock, index, name, &object), what())
        } catch {
            if error.isNotFound { return nil }
            throw error.cniError
        }
        guard let object else { return nil }
        defer { rtnl_link_put(object) }
        return body(object)
    }

    /// Sends RTM_NEWLINK for an existing link with the attributes `configure` sets on a change object.
    private func change(_ link: Link, _ what: @autoclosure () -> String,
                        _ configure: (OpaquePointer) -> Void) throws(CNIError) {
        guard let original = rtnl_link_alloc(), let changes = rtnl_link_alloc() else {
            throw CNIError(.systemFailure, "\(what()): out of memory")
        }
        defer { rtnl_link_put(original); rtnl_link_put(changes) }
        rtnl_link_set_ifindex(original, Int32(link.index))
        configure(changes)
        try Netlink.require(rtnl_link_change(sock, original, changes, 0), what())
    }

    /// Builds one link message for `link`, lets `fill` add attributes, sends it and waits for the ack.
    /// For settings libnl 3.7 cannot set (bridge port flags, VLANs, addrgenmode).
    func send(_ type: Int32, family: Int32, _ link: Link, _ what: String, flags: UInt32 = 0, change: UInt32 = 0,
              _ fill: (OpaquePointer) throws(CNIError) -> Void) throws(CNIError) {
        guard let msg = nlmsg_alloc_simple(type, NLM_F_REQUEST | NLM_F_ACK) else {
            throw CNIError(.systemFailure, "\(what): out of memory")
        }
        var header = ifinfomsg()
        header.ifi_family = UInt8(family)
        header.ifi_index = Int32(link.index)
        header.ifi_flags = flags
        header.ifi_change = change
        do {
            try NetlinkMessage.put(nlmsg_append(msg, &header, MemoryLayout<ifinfomsg>.size, Int32(NLMSG_ALIGNTO)))
            try fill(msg)
        } catch {
            nlmsg_free(msg)
            throw CNIError(.systemFailure, "\(what): \(error)")
        }
        try Netlink.require(nl_send_sync(sock, msg), what)   // frees msg
    }

    static func link(from object: OpaquePointer) -> Link {
        let flags = rtnl_link_get_flags(object)
        let master = Int(rtnl_link_get_master(object))
        return Link(index: Int(rtnl_link_get_ifindex(object)),
                    name: rtnl_link_get_name(object).map { String(cString: $0) } ?? "",
                    mac: NLAddress.mac(rtnl_link_get_addr(object)),
                    mtu: Int(rtnl_link_get_mtu(object)),
                    isUp: flags & UInt32(IFF_UP.rawValue) != 0,
                    hasCarrier: flags & UInt32(IFF_LOWER_UP.rawValue) != 0,
                    kind: rtnl_link_get_type(object).map { String(cString: $0) },
                    masterIndex: master > 0 ? master : nil)
    }
}
