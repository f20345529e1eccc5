// ContainerInterface: the container end of the veth: DAD and ARP sysctls, addresses, routes, up.
import CNINamespace
import CNINetlink
import CNISpec

struct ContainerInterface {
    let netlink: any RouteNetlink
    let sysctl: any NamespaceSysctl
    let config: BridgeConfig

    /// IPv6 DAD is off unless `enabledad` (it delays pods by seconds and fails with hairpin);
    /// gratuitous ARP on; then the result's addresses and routes (L3) or just up (L2).
    func configure(_ ifName: String, with result: CNIResult) throws(CNIError) {
        if config.enableDAD {
            _ = try sysctl.set("net/ipv6/conf/\(ifName)/enhanced_dad", "1")
            _ = try sysctl.set("net/ipv6/conf/\(ifName)/accept_dad", "1")
        } else {
            _ = try sysctl.set("net/ipv6/conf/\(ifName)/accept_dad", "0")
        }
        let link = try netlink.requireLink(named: ifName)
        try netlink.setIPv4Conf(.arpNotify, 1, of: link)
        if config.isL2 {
            if !config.disableContainerInterface { try netlink.setUp(link) }
            return
        }
        try InterfaceConfigurator(netlink: netlink, sysctl: sysctl).configure(ifName, with: result)
    }
}
