// ContainerInterface: the container end of the veth: DAD and ARP sysctls, addresses, routes, up.
import CNINamespace
import CNINetlink
import CNISpec

struct ContainerInterface {
    let netlink: any RouteNetlink
    let sysctl: any NamespaceSysctl
    let config: BridgeConfig

    /// IPv6 DAD is off unless `enabledad` (it delays pods by seconds, and fails with hairpin without enhanced DAD);
    /// gratuitous ARP on; then the result's addresses and routes (L3) or just up (L2).
    /// `link` as created (down).
    func configure(_ link: Link, with result: CNIResult) throws(CNIError) {
        let ifName = link.name
        if config.enableDAD {
            _ = try sysctl.set("net/ipv6/conf/\(ifName)/enhanced_dad", "1")
            _ = try sysctl.set("net/ipv6/conf/\(ifName)/accept_dad", "1")
        } else {
            // Without IPv6 from IPAM (every ip of a bridge result is the container's), on an L3 network:
            // see linkLocalWithoutDAD.
            let quick = !config.isL2 && !result.ips.contains { $0.address.family == .v6 }
            let done = quick ? try linkLocalWithoutDAD(link) : false
            if !done { _ = try sysctl.set("net/ipv6/conf/\(ifName)/accept_dad", "0") }
        }
        try netlink.setIPv4Conf(.arpNotify, 1, of: link)
        if config.isL2 {
            if !config.disableContainerInterface { try netlink.setUp(link) }
            return
        }
        try InterfaceConfigurator(netlink: netlink, sysctl: sysctl).configure(link, with: result)
    }

    /// With no IPv6 address from IPAM, the address the ADD brings DAD to is the link-local the kernel
    /// makes when the link comes up. Instead of `accept_dad=0`, that same address (fe80:: + EUI-64 of the
    /// MAC, which `addrgenmode eui64` makes) is added first with `nodad`; at link up the kernel's own
    /// attempt finds it there and adds nothing. This keeps the ADD off /proc/sys/net/ipv6 in the
    /// container, whose lookup in a new namespace walks one dentry per namespace on the machine three
    /// times (~4 ms with 1,000). False (nothing changed) when the link is up, makes another kind of
    /// link-local, has no MAC, or the address cannot be added (IPv6 disabled): then the caller writes
    /// accept_dad as the reference does.
    private func linkLocalWithoutDAD(_ link: Link) throws(CNIError) -> Bool {
        guard !link.isUp, let mac = link.mac, try netlink.ipv6AddressGeneration(of: link) == .eui64 else { return false }
        do { try netlink.addAddress(mac.eui64LinkLocal, to: link, noDAD: true) } catch { return false }
        return true
    }
}
