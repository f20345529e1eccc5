// InterfaceVerifier: CHECK helpers comparing an interface's addresses and routes with a CNI result.
import CNISpec

/// Reports (code 104, `checkFailed`) what a result says that the kernel does not show.
public struct InterfaceVerifier {
    public let netlink: any RouteNetlink

    public init(netlink: any RouteNetlink) { self.netlink = netlink }

    /// Each of the result's ips for `ifName` must be on the interface with the same prefix length.
    public func verifyAddresses(_ ifName: String, in result: CNIResult) throws(CNIError) {
        let link = try requireLink(ifName)
        let present = try netlink.addresses(of: link, family: nil).map(\.address)
        for ip in try InterfaceConfigurator.addresses(for: ifName, in: result) where !present.contains(ip.address) {
            throw CNIError(.checkFailed, "address \(ip.address) not found on \(ifName)")
        }
    }

    /// Each of the result's routes must exist: same destination and table (main when unset), and the
    /// same gateway, metric, mtu and advmss where the result sets them.
    public func verifyRoutes(_ ifName: String, in result: CNIResult) throws(CNIError) {
        guard !result.routes.isEmpty else { return }
        let present = try netlink.routes(family: nil)
        for route in result.routes where !present.contains(where: { Self.matches($0, route) }) {
            let via = route.gw.map { " via \($0)" } ?? ""
            throw CNIError(.checkFailed, "route \(route.dst.masked)\(via) for \(ifName) not found")
        }
    }

    static func matches(_ kernel: KernelRoute, _ route: Route) -> Bool {
        kernel.destination.masked == route.dst.masked
            && (kernel.table ?? KernelRoute.mainTable) == (route.table ?? KernelRoute.mainTable)
            && (route.gw == nil || kernel.gateway == route.gw)
            && (route.priority == nil || kernel.priority == route.priority)
            && (route.mtu == nil || kernel.mtu == route.mtu)
            && (route.advmss == nil || kernel.advmss == route.advmss)
    }

    private func requireLink(_ ifName: String) throws(CNIError) -> Link {
        guard let link = try netlink.link(named: ifName) else {
            throw CNIError(.checkFailed, "interface \(ifName) not found")
        }
        return link
    }
}
