// FakeRouteNetlinkWrapper: a fake that extends FakeRouteNetlink forwards every RouteNetlink call it does not change.
import CNINetlink
import CNISpec

/// Conformers hold a `FakeRouteNetlink` (tables, call log, injected failures) and declare only the
/// operations they change; everything else goes to `base` through the defaults below.
public protocol FakeRouteNetlinkWrapper: RouteNetlink {
    var base: FakeRouteNetlink { get }
}

extension FakeRouteNetlinkWrapper {
    public var calls: [String] { base.calls }
    public func linkNamed(_ name: String) -> Link? { base.linkTable.first { $0.name == name } }
    /// Names of every link but `lo`.
    public var createdLinkNames: [String] { base.linkTable.map(\.name).filter { $0 != "lo" } }

    /// Adds a link as if it already existed, with a random MAC, up or down.
    func seed(_ name: String, kind: String?, mtu: Int, up: Bool) -> Link {
        var link = base.seedLink(name, kind: kind, mtu: mtu)
        link.mac = randomMAC()
        link.isUp = up
        link.hasCarrier = up
        replace(link)
        return link
    }

    /// Changes a link in the table without logging (e.g. to break something before CHECK).
    public func modifyLink(_ name: String, _ change: (inout Link) -> Void) {
        guard var link = linkNamed(name) else { return }
        change(&link)
        replace(link)
    }

    /// Puts `link` in the table in place of the entry with its index, without logging.
    func replace(_ link: Link) {
        if let i = base.linkTable.firstIndex(where: { $0.index == link.index }) { base.linkTable[i] = link }
    }

    public func link(named name: String) throws(CNIError) -> Link? { try base.link(named: name) }
    public func link(index: Int) throws(CNIError) -> Link? { try base.link(index: index) }
    public func links() throws(CNIError) -> [Link] { try base.links() }
    public func setLink(_ link: Link, up: Bool) throws(CNIError) { try base.setLink(link, up: up) }
    public func setMTU(_ mtu: Int, of link: Link) throws(CNIError) { try base.setMTU(mtu, of: link) }
    public func setMAC(_ mac: MACAddress, of link: Link) throws(CNIError) { try base.setMAC(mac, of: link) }
    public func setMaster(_ master: Link?, of link: Link) throws(CNIError) { try base.setMaster(master, of: link) }
    public func setIPv4Conf(_ conf: IPv4DeviceConf, _ value: Int, of link: Link) throws(CNIError) { try base.setIPv4Conf(conf, value, of: link) }
    public func forwarding(_ family: IPFamily) throws(CNIError) -> Bool? { try base.forwarding(family) }
    public func ipv4Conf(_ conf: IPv4DeviceConf, of link: Link) throws(CNIError) -> Int? { try base.ipv4Conf(conf, of: link) }
    public func ipv6Conf(_ conf: IPv6DeviceConf, of link: Link) throws(CNIError) -> Int? { try base.ipv6Conf(conf, of: link) }
    public func ipv6AddressGeneration(of link: Link) throws(CNIError) -> IPv6AddressGeneration? { try base.ipv6AddressGeneration(of: link) }
    public func setIPv6AddressGeneration(_ mode: IPv6AddressGeneration, of link: Link) throws(CNIError) {
        try base.setIPv6AddressGeneration(mode, of: link)
    }
    @discardableResult
    public func deleteLink(_ link: Link) throws(CNIError) -> Bool { try base.deleteLink(link) }
    public func createVeth(_ options: VethOptions) throws(CNIError) -> Link { try base.createVeth(options) }
    public func createBridge(_ options: BridgeOptions) throws(CNIError) -> Link { try base.createBridge(options) }
    public func createMacvlan(_ options: MacvlanOptions) throws(CNIError) { try base.createMacvlan(options) }
    public func addresses(of link: Link?, family: IPFamily?) throws(CNIError) -> [LinkAddress] {
        try base.addresses(of: link, family: family)
    }
    public func addAddress(_ address: IPNetwork, to link: Link, noDAD: Bool) throws(CNIError) {
        try base.addAddress(address, to: link, noDAD: noDAD)
    }
    @discardableResult
    public func deleteAddress(_ address: IPNetwork, from link: Link) throws(CNIError) -> Bool {
        try base.deleteAddress(address, from: link)
    }
    public func routes(family: IPFamily?) throws(CNIError) -> [KernelRoute] { try base.routes(family: family) }
    public func addRoute(_ route: KernelRoute) throws(CNIError) { try base.addRoute(route) }
    @discardableResult
    public func deleteRoute(_ route: KernelRoute) throws(CNIError) -> Bool { try base.deleteRoute(route) }
}

/// A random locally administered unicast MAC.
public func randomMAC() -> MACAddress {
    var g = SystemRandomNumberGenerator()
    let tail = (0..<5).map { _ in UInt8.random(in: 0...255, using: &g) }
    return MACAddress(bytes: [0x02] + tail)!
}
