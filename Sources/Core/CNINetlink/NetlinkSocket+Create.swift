// NetlinkSocket+Create: creating veth pairs, bridges and macvlans, each directly in its final netns.
import CNISpec
internal import CNetlink

extension NetlinkSocket {
    /// `ip link add NAME [mtu M] [address MAC] type veth peer name PEER netns PEERNS`
    ///
    /// The peer is created directly in `options.peerNamespace` under its final name (moving a link
    /// later costs ~20 ms). Returns the end in this socket's namespace.
    ///
    /// Both ends get one TX and one RX queue (`numtxqueues 1 numrxqueues 1`). Without them the kernel
    /// allocates one per possible CPU and then cuts the real count to one, and each cut of TX queues
    /// waits for an expedited RCU grace period while holding rtnl (two per pair, ~0.3 ms each here).
    /// The queues in use are the same; only `ethtool -L` can no longer raise them.
    public func createVeth(_ options: VethOptions) throws(CNIError) -> Link {
        let what = "creating veth \(options.name) with peer \(options.peerName) in \(options.peerNamespace.path)"
        guard let link = rtnl_link_veth_alloc() else { throw CNIError(.systemFailure, "\(what): out of memory") }
        defer { rtnl_link_put(link) }
        guard let peer = rtnl_link_veth_get_peer(link) else { throw CNIError(.systemFailure, "\(what): no peer") }
        defer { rtnl_link_put(peer) }
        try describe(link, name: options.name, mtu: options.mtu, mac: options.mac)
        try describe(peer, name: options.peerName, mtu: options.mtu, mac: options.peerMAC)
        rtnl_link_set_ns_fd(peer, options.peerNamespace.fileDescriptor)
        for end in [link, peer] {
            rtnl_link_set_num_tx_queues(end, 1)
            rtnl_link_set_num_rx_queues(end, 1)
        }
        try add(link, what)
        return try created(options.name, what)
    }

    /// `ip link add NAME [mtu M] [address MAC] type bridge`
    public func createBridge(_ options: BridgeOptions) throws(CNIError) -> Link {
        let what = "creating bridge \(options.name)"
        // The typed allocator: it references libnl's bridge link type, which a static link would
        // otherwise drop, and then "bridge" would silently be an unknown kind.
        guard let link = rtnl_link_bridge_alloc() else { throw CNIError(.systemFailure, "\(what): out of memory") }
        defer { rtnl_link_put(link) }
        try describe(link, name: options.name, mtu: options.mtu, mac: options.mac)
        try add(link, what)
        return try created(options.name, what)
    }

    /// `ip link add NAME link PARENT netns NS [mtu M] [address MAC] type macvlan mode MODE`
    ///
    /// The macvlan is created directly in `options.namespace` under its final name; look it up
    /// with a socket opened there.
    public func createMacvlan(_ options: MacvlanOptions) throws(CNIError) {
        let what = "creating macvlan \(options.name) on link #\(options.parentIndex) in \(options.namespace.path)"
        guard let link = rtnl_link_macvlan_alloc() else { throw CNIError(.systemFailure, "\(what): out of memory") }
        defer { rtnl_link_put(link) }
        try describe(link, name: options.name, mtu: options.mtu, mac: options.mac)
        rtnl_link_set_link(link, Int32(options.parentIndex))
        try Netlink.require(rtnl_link_macvlan_set_mode(link, options.mode.kernelValue), "\(what): mode \(options.mode)")
        rtnl_link_set_ns_fd(link, options.namespace.fileDescriptor)
        try add(link, what)
    }

    // MARK: - Helpers

    private func describe(_ link: OpaquePointer, name: String, mtu: Int?, mac: MACAddress?) throws(CNIError) {
        rtnl_link_set_name(link, name)
        if let mtu { rtnl_link_set_mtu(link, UInt32(mtu)) }
        if let mac {
            let addr = try NLAddress.make(mac)
            defer { nl_addr_put(addr) }
            rtnl_link_set_addr(link, addr)
        }
    }

    /// RTM_NEWLINK with NLM_F_CREATE | NLM_F_EXCL: an existing name is an error, never reused.
    private func add(_ link: OpaquePointer, _ what: String) throws(CNIError) {
        try Netlink.require(rtnl_link_add(sock, link, NLM_F_CREATE | NLM_F_EXCL), what)
    }

    private func created(_ name: String, _ what: String) throws(CNIError) -> Link {
        guard let link = try link(named: name) else {
            throw CNIError(.systemFailure, "\(what): \(name) not found after creating it")
        }
        return link
    }
}
