// InterfaceConfigurator: applies a result's addresses and routes to one interface in its namespace.
import CNINamespace
import CNISpec
import Glibc

/// Configures an interface from a CNI result, as the reference's ConfigureIface does, plus the route
/// `mtu` and `advmss` the reference leaves out:
/// 1. the result's ips whose `interface` index names this interface (out of range is an error; nil
///    or another interface is skipped) are added; before the first IPv6 one, `disable_ipv6=0` on `lo`
///    and the interface and `keep_addr_on_down=1` on the interface;
/// 2. the link is set up, and with an IPv6 gateway, addresses are left to finish DAD;
/// 3. each route is added via this interface, `gw` defaulting to the first gateway of its family.
public struct InterfaceConfigurator {
    public let netlink: any RouteNetlink
    public let sysctl: any NamespaceSysctl
    /// How long to wait for IPv6 duplicate address detection, in milliseconds.
    public var settleTimeoutMilliseconds = 5000

    /// `netlink` and `sysctl` must both act on the interface's namespace.
    public init(netlink: any RouteNetlink, sysctl: any NamespaceSysctl) {
        self.netlink = netlink
        self.sysctl = sysctl
    }

    /// Applies `result` to `ifName`; returns the link as it was found (before being set up).
    @discardableResult
    public func configure(_ ifName: String, with result: CNIResult) throws(CNIError) -> Link {
        let link = try netlink.requireLink(named: ifName)
        try configure(link, with: result)
        return link
    }

    /// Applies `result` to `link` (as just looked up or created: not looked up again).
    public func configure(_ link: Link, with result: CNIResult) throws(CNIError) {
        let ips = try Self.addresses(for: link.name, in: result)
        var ipv6Enabled = false
        for ip in ips {
            if ip.address.family == .v6 && !ipv6Enabled {
                try enableIPv6(link.name)
                ipv6Enabled = true
            }
            try netlink.addAddress(ip.address, to: link)
        }
        try netlink.setUp(link)
        if ips.contains(where: { $0.gateway?.family == .v6 }) { try settleAddresses(of: link) }
        for route in result.routes {
            try netlink.addRoute(Self.kernelRoute(route, via: link, ips: ips))
        }
    }

    /// The result's ips that belong to `ifName`. An index outside `interfaces` is an error.
    public static func addresses(for ifName: String, in result: CNIResult) throws(CNIError) -> [IPConfig] {
        var mine: [IPConfig] = []
        for ip in result.ips {
            guard let index = ip.interface else { continue }
            guard result.interfaces.indices.contains(index) else {
                throw CNIError(.invalidNetworkConfig,
                               "failed to add IP address \(ip.address) to \(ifName): invalid interface index \(index)")
            }
            if result.interfaces[index].name == ifName { mine.append(ip) }
        }
        return mine
    }

    /// The kernel route for a result route through `link`, with `gw` defaulting to the first
    /// gateway of the same family among `ips`.
    public static func kernelRoute(_ route: Route, via link: Link, ips: [IPConfig]) -> KernelRoute {
        let gateway = route.gw ?? ips.lazy.compactMap(\.gateway).first { $0.family == route.dst.family }
        return KernelRoute(destination: route.dst.masked, gateway: gateway, linkIndex: link.index,
                           priority: route.priority, table: route.table, scope: route.scope,
                           mtu: route.mtu, advmss: route.advmss)
    }

    private func enableIPv6(_ ifName: String) throws(CNIError) {
        for name in ["lo", ifName] { try sysctl.set("net/ipv6/conf/\(name)/disable_ipv6", "0") }
        try sysctl.set("net/ipv6/conf/\(ifName)/keep_addr_on_down", "1")
    }

    /// Waits until no IPv6 address of `link` is tentative. DAD failure is an error; so is a timeout,
    /// unless the link has no carrier (DAD cannot run on a link that is down).
    private func settleAddresses(of link: Link) throws(CNIError) {
        let step = 50
        var waited = 0
        while true {
            let addresses = try netlink.addresses(of: link, family: .v6)
            if let failed = addresses.first(where: { $0.flags.contains(.dadFailed) }) {
                throw CNIError(.systemFailure, "address \(failed.address) on \(link.name): duplicate address detection failed")
            }
            guard let pending = addresses.first(where: { $0.flags.contains(.tentative) }) else { return }
            if waited >= settleTimeoutMilliseconds {
                if let now = try netlink.link(index: link.index), !now.hasCarrier { return }
                throw CNIError(.systemFailure,
                               "address \(pending.address) on \(link.name) still tentative after \(waited) ms")
            }
            usleep(UInt32(step * 1000))
            waited += step
        }
    }
}
