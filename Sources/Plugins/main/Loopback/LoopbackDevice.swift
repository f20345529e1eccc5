// LoopbackDevice: the plugin's steps on `lo` through RouteNetlink, so they run against a fake too.
import CNINetlink
import CNISpec

/// `lo` of one namespace, reached through a route netlink socket opened there.
public struct LoopbackDevice {
    public static let name = "lo"
    public let netlink: any RouteNetlink

    public init(netlink: any RouteNetlink) { self.netlink = netlink }

    /// The addresses found on `lo` after bringing it up.
    public struct Addresses: Equatable, Sendable {
        public var ipv4: IPNetwork?
        public var ipv6: IPNetwork?

        public init(ipv4: IPNetwork?, ipv6: IPNetwork?) { self.ipv4 = ipv4; self.ipv6 = ipv6 }

        /// `interfaces=[lo]`, `ips=[first IPv4, first IPv6]`, both pointing at interface 0.
        public func result(sandbox: String) -> CNIResult {
            let lo = Interface(name: LoopbackDevice.name, mac: "00:00:00:00:00:00", sandbox: sandbox)
            let ips = [ipv4, ipv6].compactMap { $0 }.map { IPConfig(address: $0, interface: 0) }
            return CNIResult(interfaces: [lo], ips: ips)
        }
    }

    /// `ip link set lo up`, then every address on `lo` must be a loopback address.
    public func bringUp() throws(CNIError) -> Addresses {
        let lo = try netlink.requireLink(named: Self.name)
        try netlink.setUp(lo)
        let addresses = try netlink.addresses(of: lo).map(\.address)
        if let stray = addresses.first(where: { !$0.address.isLoopback }) {
            throw CNIError(.systemFailure, "loopback interface found with non-loopback address \(stray)")
        }
        return Addresses(ipv4: addresses.first { $0.family == .v4 }, ipv6: addresses.first { $0.family == .v6 })
    }

    /// `ip link set lo down`; a namespace without `lo` has nothing to undo.
    public func bringDown() throws(CNIError) {
        guard let lo = try netlink.link(named: Self.name) else { return }
        try netlink.setDown(lo)
    }

    /// CHECK: `lo` exists and is up.
    public func verifyUp() throws(CNIError) {
        guard let lo = try netlink.link(named: Self.name) else {
            throw CNIError(.checkFailed, "loopback interface not found")
        }
        if !lo.isUp { throw CNIError(.checkFailed, "loopback interface is down") }
    }
}
