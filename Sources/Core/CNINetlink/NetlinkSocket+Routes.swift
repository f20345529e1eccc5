// NetlinkSocket+Routes: listing, adding and deleting unicast routes, with the mtu/advmss metrics.
import CNISpec
internal import CNetlink

extension NetlinkSocket {
    /// `ip route show table all` (`-4`/`-6` for a family): unicast routes of every table, one entry
    /// per next hop of a multipath route.
    public func routes(family: IPFamily?) throws(CNIError) -> [KernelRoute] {
        var out: [KernelRoute] = []
        try dump("listing routes in \(namespaceName)",
                 { rtnl_route_alloc_cache(sock, NLAddress.family(family), 0, $0) }) { object in
            out.append(contentsOf: Self.routes(from: object))
        }
        return out
    }

    /// `ip route add DST [via GW] [dev NAME] [metric N] [table T] [scope S] [mtu M] [advmss A]`
    public func addRoute(_ route: KernelRoute) throws(CNIError) {
        let what = { "adding route \(route)\(self.deviceText(route))" }   // built only for an error
        let object = try makeRoute(route, forDelete: false, what())
        defer { rtnl_route_put(object) }
        // NLM_F_APPEND, as the reference's RouteAddEcmp: a second interface's default route is added beside
        // the first (IPv6 merges them into one multipath route) instead of failing with "exists".
        try Netlink.require(rtnl_route_add(sock, object, NLM_F_APPEND), what())
    }

    /// `ip route del DST [via GW] [dev NAME] [metric N] [table T]`; false when it was not there
    @discardableResult
    public func deleteRoute(_ route: KernelRoute) throws(CNIError) -> Bool {
        let what = { "deleting route \(route)\(self.deviceText(route))" }
        let object = try makeRoute(route, forDelete: true, what())
        defer { rtnl_route_put(object) }
        do {
            try Netlink.check(rtnl_route_delete(sock, object, 0), what())
        } catch {
            if error.isNotFound { return false }
            throw error.cniError
        }
        return true
    }

    // MARK: - Helpers

    private func deviceText(_ route: KernelRoute) -> String {
        guard let index = route.linkIndex else { return "" }
        let name = (try? link(index: index))??.name
        return " dev \(name ?? "#\(index)")"
    }

    private func makeRoute(_ route: KernelRoute, forDelete: Bool,
                           _ what: @autoclosure () -> String) throws(CNIError) -> OpaquePointer {
        guard let object = rtnl_route_alloc() else { throw CNIError(.systemFailure, "\(what()): out of memory") }
        do throws(CNIError) {
            try fill(object, route, forDelete: forDelete, what())
        } catch {
            rtnl_route_put(object)
            throw error
        }
        return object
    }

    private func fill(_ object: OpaquePointer, _ route: KernelRoute, forDelete: Bool,
                      _ what: @autoclosure () -> String) throws(CNIError) {
        rtnl_route_set_family(object, UInt8(NLAddress.family(route.family)))
        let dst = try NLAddress.make(route.destination.network, prefixLength: route.destination.prefixLength)
        defer { nl_addr_put(dst) }
        try Netlink.require(rtnl_route_set_dst(object, dst), what())
        rtnl_route_set_table(object, UInt32(route.table ?? KernelRoute.mainTable))
        rtnl_route_set_type(object, UInt8(RTN_UNICAST))
        // Added routes are "boot" routes as with `ip route add`; deletes match any protocol.
        rtnl_route_set_protocol(object, forDelete ? 0 : UInt8(RTPROT_BOOT))
        if let scope = route.scope { rtnl_route_set_scope(object, UInt8(scope)) }
        if let priority = route.priority { rtnl_route_set_priority(object, UInt32(priority)) }
        if !forDelete {
            if let mtu = route.mtu { try Netlink.require(rtnl_route_set_metric(object, Int32(RTAX_MTU), UInt32(mtu)), what()) }
            if let advmss = route.advmss {
                try Netlink.require(rtnl_route_set_metric(object, Int32(RTAX_ADVMSS), UInt32(advmss)), what())
            }
        }
        if route.linkIndex == nil && route.gateway == nil { return }
        guard let hop = rtnl_route_nh_alloc() else { throw CNIError(.systemFailure, "\(what()): out of memory") }
        if let index = route.linkIndex { rtnl_route_nh_set_ifindex(hop, Int32(index)) }
        if let gateway = route.gateway {
            let gw = try NLAddress.make(gateway)
            defer { nl_addr_put(gw) }
            rtnl_route_nh_set_gateway(hop, gw)
        }
        rtnl_route_add_nexthop(object, hop)   // the route owns the next hop from here
    }

    static func routes(from object: OpaquePointer) -> [KernelRoute] {
        guard rtnl_route_get_type(object) == UInt8(RTN_UNICAST) else { return [] }
        let af = Int32(rtnl_route_get_family(object))
        let dstAddr = rtnl_route_get_dst(object)
        guard let dst = NLAddress.ip(dstAddr, family: af, absentIsZero: true) else { return [] }
        var base = KernelRoute(destination: IPNetwork(address: dst, prefixLength: Int(dstAddr.map { nl_addr_get_prefixlen($0) } ?? 0)))
        base.table = Int(rtnl_route_get_table(object))
        base.scope = Int(rtnl_route_get_scope(object))
        base.priority = Int(rtnl_route_get_priority(object))
        var value: UInt32 = 0
        if rtnl_route_get_metric(object, Int32(RTAX_MTU), &value) == 0, value != 0 { base.mtu = Int(value) }
        if rtnl_route_get_metric(object, Int32(RTAX_ADVMSS), &value) == 0, value != 0 { base.advmss = Int(value) }
        let hops = Int(rtnl_route_get_nnexthops(object))
        if hops == 0 { return [base] }
        return (0..<hops).compactMap { n -> KernelRoute? in
            guard let hop = rtnl_route_nexthop_n(object, Int32(n)) else { return nil }
            var route = base
            let index = Int(rtnl_route_nh_get_ifindex(hop))
            route.linkIndex = index > 0 ? index : nil
            route.gateway = NLAddress.ip(rtnl_route_nh_get_gateway(hop), family: af)
            return route
        }
    }
}
