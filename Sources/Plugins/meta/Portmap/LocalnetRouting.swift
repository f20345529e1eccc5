// LocalnetRouting: route_localnet=1 on the host interface that routes to the container, so 127.0.0.1 can be DNATed.
import CNINamespace
import CNINetlink
import CNISpec

/// As the reference: with snat, the interface the host routes the container's IPv4 address through
/// (e.g. the bridge) gets `net.ipv4.conf.<if>.route_localnet=1`, never reverted. IPv6 has no equivalent.
struct LocalnetRouting {
    let netlink: any RouteNetlink
    let sysctl: any NamespaceSysctl

    /// The interface of the most specific main-table route to `address`; nil when none has a device.
    func interface(for address: IPAddress) throws(CNIError) -> String? {
        let candidates = try netlink.routes(family: address.family).filter {
            ($0.table ?? KernelRoute.mainTable) == KernelRoute.mainTable && $0.linkIndex != nil && $0.destination.contains(address)
        }
        guard let best = candidates.max(by: { $0.destination.prefixLength < $1.destination.prefixLength }),
              let index = best.linkIndex else { return nil }
        return try netlink.link(index: index)?.name
    }

    func enable(for address: IPAddress) throws(CNIError) {
        guard let name = try interface(for: address) else { return }
        _ = try sysctl.set("net/ipv4/conf/\(name)/route_localnet", "1")
    }
}
