// NetlinkSocket+Addresses: listing, adding and deleting interface addresses.
import CNISpec
internal import CNetlink

extension NetlinkSocket {
    /// `ip addr show [dev NAME]`, `-4`/`-6` for a family
    public func addresses(of link: Link?, family: IPFamily?) throws(CNIError) -> [LinkAddress] {
        var out: [LinkAddress] = []
        let what = link.map { "listing addresses of \($0.name)" } ?? "listing addresses in \(namespaceName)"
        try dump(what, { rtnl_addr_alloc_cache(sock, $0) }) { object in
            let index = Int(rtnl_addr_get_ifindex(object))
            if let link, link.index != index { return }
            let af = rtnl_addr_get_family(object)
            if let family, NLAddress.family(family) != af { return }
            guard let ip = NLAddress.ip(rtnl_addr_get_local(object), family: af) else { return }
            out.append(LinkAddress(linkIndex: index,
                                   address: IPNetwork(address: ip, prefixLength: Int(rtnl_addr_get_prefixlen(object))),
                                   flags: AddressFlags(rawValue: rtnl_addr_get_flags(object))))
        }
        return out
    }

    /// `ip addr add ADDR/LEN [broadcast +] dev NAME [nodad]`
    ///
    /// IPv4 addresses shorter than /31 get the subnet's broadcast address, as `ip addr add ... brd +`.
    public func addAddress(_ address: IPNetwork, to link: Link, noDAD: Bool) throws(CNIError) {
        let what = "adding \(address) to \(link.name)"
        let object = try makeAddress(address, link, what)
        defer { rtnl_addr_put(object) }
        if address.family == .v4 && address.prefixLength < 31 {
            let broadcast = try NLAddress.make(address.last)
            defer { nl_addr_put(broadcast) }
            try Netlink.require(rtnl_addr_set_broadcast(object, broadcast), what)
        }
        if noDAD { rtnl_addr_set_flags(object, AddressFlags.noDAD.rawValue) }
        try Netlink.require(rtnl_addr_add(sock, object, NLM_F_EXCL), what)
    }

    /// `ip addr del ADDR/LEN dev NAME`; false when it was not there
    @discardableResult
    public func deleteAddress(_ address: IPNetwork, from link: Link) throws(CNIError) -> Bool {
        let what = "deleting \(address) from \(link.name)"
        let object = try makeAddress(address, link, what)
        defer { rtnl_addr_put(object) }
        do {
            try Netlink.check(rtnl_addr_delete(sock, object, 0), what)
        } catch {
            if error.isNotFound || error.code == NLE_NOADDR { return false }
            throw error.cniError
        }
        return true
    }

    private func makeAddress(_ address: IPNetwork, _ link: Link, _ what: String) throws(CNIError) -> OpaquePointer {
        guard let object = rtnl_addr_alloc() else { throw CNIError(.systemFailure, "\(what): out of memory") }
        rtnl_addr_set_ifindex(object, Int32(link.index))
        do throws(CNIError) {
            let local = try NLAddress.make(address.address, prefixLength: address.prefixLength)
            defer { nl_addr_put(local) }
            try Netlink.require(rtnl_addr_set_local(object, local), what)
        } catch {
            rtnl_addr_put(object)
            throw error
        }
        return object
    }
}
