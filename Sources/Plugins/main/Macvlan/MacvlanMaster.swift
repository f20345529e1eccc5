// MacvlanMaster: finds the parent link (named, or the default route's interface) and checks the MTU against it.
import CNINetlink
import CNISpec

struct MacvlanMaster {
    let netlink: any RouteNetlink
    /// "the host network namespace" or "the container network namespace", for messages.
    let place: String

    /// The master link. A missing master, a missing default route or an `mtu` above the master's
    /// is a config error (code 7) naming the key and the value.
    func resolve(_ config: MacvlanConfig) throws(CNIError) -> Link {
        let name: String
        if let master = config.master { name = master } else { name = try defaultRouteInterface() }
        guard let link = try netlink.link(named: name) else {
            throw CNIError.invalidConfig("master", "\"\(name)\"", "no such interface in \(place)")
        }
        if let mtu = config.mtu, mtu > link.mtu {
            throw CNIError.invalidConfig("mtu", "\(mtu)", "must be between 0 and the MTU of master \(name) (\(link.mtu))")
        }
        return link
    }

    /// The interface of the first default route of the main table (IPv4 first, as the kernel lists them).
    func defaultRouteInterface() throws(CNIError) -> String {
        for family in [IPFamily.v4, .v6] {
            for route in try netlink.routes(family: family)
            where route.isDefault && (route.table ?? KernelRoute.mainTable) == KernelRoute.mainTable {
                guard let index = route.linkIndex, let link = try netlink.link(index: index) else { continue }
                return link.name
            }
        }
        throw CNIError.invalidConfig("master", "\"\"", "no master given and no default route interface found in \(place)")
    }

    static func place(linkInContainer: Bool) -> String {
        linkInContainer ? "the container network namespace" : "the host network namespace"
    }
}
