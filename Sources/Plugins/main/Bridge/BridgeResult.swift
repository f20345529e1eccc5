// BridgeResult: the ADD result: [bridge, host veth, container], IPAM's addresses on interface 2, gateways, routes.
import CNINetlink
import CNISpec

enum BridgeResult {
    /// The result as the reference shapes it. With `isGateway`, an address without a gateway gets the
    /// first address of its subnet; with `isDefaultGateway`, each family gets a default route via its
    /// gateway unless IPAM already returned one with a gateway. `dns` from the config overrides IPAM's.
    static func assemble(config: BridgeConfig, ipam: CNIResult?, bridge: Link, hostVeth: Link, container: Link,
                         sandbox: String) -> CNIResult {
        var result = CNIResult(interfaces: [
            Interface(name: bridge.name, mac: bridge.mac?.description ?? ""),
            Interface(name: hostVeth.name, mac: hostVeth.mac?.description ?? ""),
            Interface(name: container.name, mac: container.mac?.description ?? "", sandbox: sandbox),
        ])
        if let ipam {
            result.routes = ipam.routes
            result.dns = ipam.dns
            for var ip in ipam.ips {
                ip.interface = 2
                if ip.gateway == nil && config.isGateway { ip.gateway = ip.address.network.next }
                result.ips.append(ip)
            }
            if config.isDefaultGateway { addDefaultRoutes(&result) }
        }
        if let dns = config.dns { result.dns = dns }
        return result
    }

    private static func addDefaultRoutes(_ result: inout CNIResult) {
        for family in [IPFamily.v4, .v6] {
            guard let gw = result.ips.first(where: { $0.address.family == family && $0.gateway != nil })?.gateway else { continue }
            if result.routes.contains(where: { $0.isDefault && $0.dst.family == family && $0.gw != nil }) { continue }
            result.routes.append(Route(dst: IPNetwork(address: IPAddress(family: family, value: 0), prefixLength: 0), gw: gw))
        }
    }

    /// Each distinct gateway with the prefix length of its subnet, for the bridge.
    static func gatewayAddresses(_ result: CNIResult) -> [IPNetwork] {
        var out: [IPNetwork] = []
        for ip in result.ips {
            guard let gw = ip.gateway else { continue }
            let net = IPNetwork(address: gw, prefixLength: ip.address.prefixLength)
            if !out.contains(net) { out.append(net) }
        }
        return out
    }

    /// The host-side MACs can change after the ADD created them: a bridge whose address was never set
    /// takes the lowest of its ports', and udev (MACAddressPolicy=persistent) may rewrite a new host
    /// veth's. Both are read again at the end, as the reference does. The container end, in its own
    /// namespace, keeps the MAC it was created with.
    static func refreshHostMACs(_ result: CNIResult, host: any RouteNetlink) throws(CNIError) -> CNIResult {
        var r = result
        for i in 0..<2 where !r.interfaces[i].name.isEmpty {
            if let mac = try host.link(named: r.interfaces[i].name)?.mac { r.interfaces[i].mac = mac.description }
        }
        return r
    }
}
