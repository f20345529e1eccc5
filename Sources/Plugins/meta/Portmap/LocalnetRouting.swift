// LocalnetRouting: route_localnet=1 on the host interface that routes to the container, so 127.0.0.1 can be DNATed.
import CNINetlink
import CNISpec

/// As the reference: with snat, the interface the host routes the container's IPv4 address through
/// (e.g. the bridge) gets `net.ipv4.conf.<if>.route_localnet=1`, never reverted. IPv6 has no equivalent.
/// Read and set over netlink (IFLA_INET_CONF), not /proc/sys: a /proc/sys/net/ipv4 lookup walks one
/// dentry per network namespace on the machine; and once the bridge has it, it is only read.
struct LocalnetRouting {
    let netlink: any RouteNetlink

    /// The interface of the most specific main-table route to `address`; nil when none has a device.
    func interface(for address: IPAddress) throws(CNIError) -> Link? {
        let candidates = try netlink.routes(family: address.family).filter {
            ($0.table ?? KernelRoute.mainTable) == KernelRoute.mainTable && $0.linkIndex != nil && $0.destination.contains(address)
        }
        guard let best = candidates.max(by: { $0.destination.prefixLength < $1.destination.prefixLength }),
              let index = best.linkIndex else { return nil }
        return try netlink.link(index: index)
    }

    func enable(for address: IPAddress) throws(CNIError) {
        guard let link = try interface(for: address), try netlink.ipv4Conf(.routeLocalnet, of: link) != 1 else { return }
        try netlink.setIPv4Conf(.routeLocalnet, 1, of: link)
    }
}
