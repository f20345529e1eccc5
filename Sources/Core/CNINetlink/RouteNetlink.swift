// RouteNetlink: the link, address and route operations plugins need, as a protocol with a libnl
// implementation (NetlinkSocket) and an in-memory fake (CNITesting.FakeRouteNetlink).
import CNISpec

/// Route netlink in one network namespace. Lookups return nil and deletes return false when the object
/// is already gone, so DEL can treat "missing" as success; everything else failing is a `CNIError`
/// whose message names the object ("adding 10.22.0.5/16 to veth3f2a: Object exists").
public protocol RouteNetlink: AnyObject {
    // MARK: Links

    /// `ip link show dev NAME`
    func link(named name: String) throws(CNIError) -> Link?
    /// `ip link show` filtered to one index
    func link(index: Int) throws(CNIError) -> Link?
    /// `ip link show`
    func links() throws(CNIError) -> [Link]
    /// `ip link set dev NAME up` / `down`
    func setLink(_ link: Link, up: Bool) throws(CNIError)
    /// `ip link set dev NAME mtu MTU`
    func setMTU(_ mtu: Int, of link: Link) throws(CNIError)
    /// `ip link set dev NAME address MAC`
    func setMAC(_ mac: MACAddress, of link: Link) throws(CNIError)
    /// `ip link set dev NAME master BRIDGE`, or `nomaster` for nil
    func setMaster(_ master: Link?, of link: Link) throws(CNIError)
    /// `ip link del dev NAME`; false when it was already gone
    @discardableResult
    func deleteLink(_ link: Link) throws(CNIError) -> Bool
    /// `sysctl net.ipv4.conf.NAME.<conf>=VALUE`, set over netlink: no /proc/sys path to walk
    func setIPv4Conf(_ conf: IPv4DeviceConf, _ value: Int, of link: Link) throws(CNIError)
    /// `sysctl net.ipv4.conf.NAME.<conf>`, read over netlink; nil when the link is gone or has no IPv4 settings
    func ipv4Conf(_ conf: IPv4DeviceConf, of link: Link) throws(CNIError) -> Int?
    /// `sysctl net.ipv4.ip_forward` / `net.ipv6.conf.all.forwarding`, read over netlink; nil when not reported
    func forwarding(_ family: IPFamily) throws(CNIError) -> Bool?
    /// `sysctl net.ipv6.conf.NAME.<conf>`, read over netlink; nil when the link has no IPv6 settings
    func ipv6Conf(_ conf: IPv6DeviceConf, of link: Link) throws(CNIError) -> Int?
    /// `ip -d link show dev NAME`'s addrgenmode; nil when the link has no IPv6 settings
    func ipv6AddressGeneration(of link: Link) throws(CNIError) -> IPv6AddressGeneration?
    /// `ip link set dev NAME addrgenmode MODE` (takes effect the next time the link comes up)
    func setIPv6AddressGeneration(_ mode: IPv6AddressGeneration, of link: Link) throws(CNIError)

    // MARK: Creating links

    /// `ip link add NAME type veth peer name PEER netns PEERNS`; returns the end in this namespace
    func createVeth(_ options: VethOptions) throws(CNIError) -> Link
    /// `ip link add NAME type bridge`
    func createBridge(_ options: BridgeOptions) throws(CNIError) -> Link
    /// `ip link add NAME link PARENT netns NS type macvlan mode MODE` (the link lives in the other netns)
    func createMacvlan(_ options: MacvlanOptions) throws(CNIError)

    // MARK: Addresses

    /// `ip addr show [dev NAME]` (`-4`/`-6` for a family)
    func addresses(of link: Link?, family: IPFamily?) throws(CNIError) -> [LinkAddress]
    /// `ip addr add ADDR/LEN dev NAME [nodad]`
    func addAddress(_ address: IPNetwork, to link: Link, noDAD: Bool) throws(CNIError)
    /// `ip addr del ADDR/LEN dev NAME`; false when it was not there
    @discardableResult
    func deleteAddress(_ address: IPNetwork, from link: Link) throws(CNIError) -> Bool

    // MARK: Routes

    /// `ip route show table all` (`-4`/`-6` for a family)
    func routes(family: IPFamily?) throws(CNIError) -> [KernelRoute]
    /// `ip route add DST [via GW] [dev NAME] [metric N] [table T] [scope S] [mtu M] [advmss A]`
    func addRoute(_ route: KernelRoute) throws(CNIError)
    /// `ip route del DST [via GW] [dev NAME] [metric N] [table T]`; false when it was not there
    @discardableResult
    func deleteRoute(_ route: KernelRoute) throws(CNIError) -> Bool
}

extension RouteNetlink {
    /// `ip link set dev NAME up`
    public func setUp(_ link: Link) throws(CNIError) { try setLink(link, up: true) }
    /// `ip link set dev NAME down`
    public func setDown(_ link: Link) throws(CNIError) { try setLink(link, up: false) }

    /// `ip addr show dev NAME`
    public func addresses(of link: Link) throws(CNIError) -> [LinkAddress] {
        try addresses(of: link, family: nil)
    }

    /// `ip addr add ADDR/LEN dev NAME`
    public func addAddress(_ address: IPNetwork, to link: Link) throws(CNIError) {
        try addAddress(address, to: link, noDAD: false)
    }

    /// The link named `name`, or an error naming it.
    public func requireLink(named name: String) throws(CNIError) -> Link {
        guard let link = try link(named: name) else {
            throw CNIError(.systemFailure, "looking up link \(name): no such interface")
        }
        return link
    }
}
