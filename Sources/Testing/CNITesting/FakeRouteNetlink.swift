// FakeRouteNetlink: an in-memory RouteNetlink for testing plugin logic without root or a kernel.
import CNINetlink
import CNISpec

/// Links, addresses and routes held in arrays. Every call is logged in `calls` (e.g.
/// `"addAddress 10.0.0.2/24 eth0"`); `failures[operation]` makes that operation throw.
public final class FakeRouteNetlink: RouteNetlink {
    public var linkTable: [Link]
    public var addressTable: [LinkAddress] = []
    public var routeTable: [KernelRoute] = []
    /// Veth peers and macvlans, created "in another namespace": recorded, not listed.
    public var remoteLinks: [(name: String, namespace: String)] = []
    public private(set) var calls: [String] = []
    /// net.ipv4.conf.<link>.<conf> values set through `setIPv4Conf` (or seeded), by link name; what `ipv4Conf` answers.
    public var ipv4ConfTable: [String: [IPv4DeviceConf: Int]] = [:]
    /// What `ipv6Conf(_:of:)` answers, by link name (unset: nil, "not reported").
    public var ipv6ConfTable: [String: [IPv6DeviceConf: Int]] = [:]
    /// `addrgenmode` by link name, set through `setIPv6AddressGeneration` or seeded; a link not in it
    /// answers `defaultAddressGeneration` (nil: "no IPv6 settings").
    public var addressGenerationTable: [String: IPv6AddressGeneration] = [:]
    public var defaultAddressGeneration: IPv6AddressGeneration? = .eui64
    /// What `forwarding(_:)` answers per family (unset: nil, "not reported").
    public var forwardingTable: [IPFamily: Bool] = [:]
    /// Errors to throw, keyed by operation name ("setLink", "addAddress", "addRoute", "createVeth", ...).
    public var failures: [String: CNIError] = [:]

    /// Starts with `lo` (index 1, down) unless told otherwise.
    public init(links: [Link] = [Link(index: 1, name: "lo", mtu: 65536)]) {
        linkTable = links
    }

    /// Adds a link to the table (as if it already existed) and returns it.
    @discardableResult
    public func seedLink(_ name: String, kind: String? = nil, mtu: Int = 1500) -> Link {
        let link = Link(index: (linkTable.map(\.index).max() ?? 0) + 1, name: name, mtu: mtu, kind: kind)
        linkTable.append(link)
        return link
    }

    /// Logs one call and throws the failure injected for `operation`, if any (for fakes built on this one).
    public func record(_ operation: String, _ detail: String) throws(CNIError) {
        calls.append(detail.isEmpty ? operation : "\(operation) \(detail)")
        if let error = failures[operation] { throw error }
    }

    private func update(_ link: Link, _ what: String, _ change: (inout Link) -> Void) throws(CNIError) {
        guard let i = linkTable.firstIndex(where: { $0.index == link.index }) else {
            throw CNIError(.systemFailure, "\(what): No such device")
        }
        change(&linkTable[i])
    }

    public func link(named name: String) throws(CNIError) -> Link? {
        try record("link", name)
        return linkTable.first { $0.name == name }
    }

    public func link(index: Int) throws(CNIError) -> Link? {
        try record("link", "#\(index)")
        return linkTable.first { $0.index == index }
    }

    public func links() throws(CNIError) -> [Link] {
        try record("links", "")
        return linkTable
    }

    public func setLink(_ link: Link, up: Bool) throws(CNIError) {
        try record("setLink", "\(link.name) \(up ? "up" : "down")")
        try update(link, "setting \(link.name) up") { $0.isUp = up; $0.hasCarrier = up }
    }

    public func setMTU(_ mtu: Int, of link: Link) throws(CNIError) {
        try record("setMTU", "\(link.name) \(mtu)")
        try update(link, "setting MTU on \(link.name)") { $0.mtu = mtu }
    }

    public func setMAC(_ mac: MACAddress, of link: Link) throws(CNIError) {
        try record("setMAC", "\(link.name) \(mac)")
        try update(link, "setting MAC on \(link.name)") { $0.mac = mac }
    }

    public func setMaster(_ master: Link?, of link: Link) throws(CNIError) {
        try record("setMaster", "\(link.name) \(master?.name ?? "none")")
        try update(link, "setting master of \(link.name)") { $0.masterIndex = master?.index }
    }

    public func setIPv4Conf(_ conf: IPv4DeviceConf, _ value: Int, of link: Link) throws(CNIError) {
        try record("setIPv4Conf", "\(link.name) \(conf.name)=\(value)")
        try update(link, "setting net.ipv4.conf.\(link.name).\(conf.name)") { _ in }
        ipv4ConfTable[link.name, default: [:]][conf] = value
    }

    public func ipv4Conf(_ conf: IPv4DeviceConf, of link: Link) throws(CNIError) -> Int? {
        try record("ipv4Conf", "\(link.name) \(conf.name)")
        return ipv4ConfTable[link.name]?[conf]
    }

    public func ipv6Conf(_ conf: IPv6DeviceConf, of link: Link) throws(CNIError) -> Int? {
        try record("ipv6Conf", "\(link.name) \(conf.name)")
        return ipv6ConfTable[link.name]?[conf]
    }

    public func ipv6AddressGeneration(of link: Link) throws(CNIError) -> IPv6AddressGeneration? {
        try record("ipv6AddressGeneration", link.name)
        return addressGenerationTable[link.name] ?? defaultAddressGeneration
    }

    public func setIPv6AddressGeneration(_ mode: IPv6AddressGeneration, of link: Link) throws(CNIError) {
        try record("setIPv6AddressGeneration", "\(link.name) \(mode)")
        try update(link, "setting addrgenmode \(mode) on \(link.name)") { _ in }
        addressGenerationTable[link.name] = mode
    }

    public func forwarding(_ family: IPFamily) throws(CNIError) -> Bool? {
        try record("forwarding", "v\(family.versionString)")
        return forwardingTable[family]
    }

    public func deleteLink(_ link: Link) throws(CNIError) -> Bool {
        try record("deleteLink", link.name)
        guard linkTable.contains(where: { $0.index == link.index }) else { return false }
        linkTable.removeAll { $0.index == link.index }
        addressTable.removeAll { $0.linkIndex == link.index }
        routeTable.removeAll { $0.linkIndex == link.index }
        return true
    }

    public func createVeth(_ options: VethOptions) throws(CNIError) -> Link {
        try record("createVeth", "\(options.name) peer \(options.peerName) in \(options.peerNamespace.path)")
        try requireNewName(options.name, "creating veth \(options.name)")
        remoteLinks.append((options.peerName, options.peerNamespace.path))
        return newLink(options.name, kind: "veth", mtu: options.mtu, mac: options.mac)
    }

    public func createBridge(_ options: BridgeOptions) throws(CNIError) -> Link {
        try record("createBridge", options.name)
        try requireNewName(options.name, "creating bridge \(options.name)")
        return newLink(options.name, kind: "bridge", mtu: options.mtu, mac: options.mac)
    }

    public func createMacvlan(_ options: MacvlanOptions) throws(CNIError) {
        try record("createMacvlan", "\(options.name) on #\(options.parentIndex) mode \(options.mode) in \(options.namespace.path)")
        remoteLinks.append((options.name, options.namespace.path))
    }

    public func addresses(of link: Link?, family: IPFamily?) throws(CNIError) -> [LinkAddress] {
        try record("addresses", link?.name ?? "")
        return addressTable.filter { a in
            (link == nil || a.linkIndex == link!.index) && (family == nil || a.family == family)
        }
    }

    public func addAddress(_ address: IPNetwork, to link: Link, noDAD: Bool) throws(CNIError) {
        try record("addAddress", "\(address) \(link.name)")
        if addressTable.contains(where: { $0.linkIndex == link.index && $0.address == address }) {
            throw CNIError(.alreadyExists, "adding \(address) to \(link.name): Object exists")
        }
        addressTable.append(LinkAddress(linkIndex: link.index, address: address, flags: noDAD ? [.permanent, .noDAD] : [.permanent]))
    }

    public func deleteAddress(_ address: IPNetwork, from link: Link) throws(CNIError) -> Bool {
        try record("deleteAddress", "\(address) \(link.name)")
        let before = addressTable.count
        addressTable.removeAll { $0.linkIndex == link.index && $0.address == address }
        return addressTable.count < before
    }

    public func routes(family: IPFamily?) throws(CNIError) -> [KernelRoute] {
        try record("routes", "")
        return routeTable.filter { family == nil || $0.family == family }
    }

    public func addRoute(_ route: KernelRoute) throws(CNIError) {
        try record("addRoute", route.description)
        var stored = route
        stored.table = route.table ?? KernelRoute.mainTable
        if routeTable.contains(where: { Self.sameKey($0, stored) }) {
            throw CNIError(.alreadyExists, "adding route \(route): Object exists")
        }
        routeTable.append(stored)
    }

    public func deleteRoute(_ route: KernelRoute) throws(CNIError) -> Bool {
        try record("deleteRoute", route.description)
        var key = route
        key.table = route.table ?? KernelRoute.mainTable
        let before = routeTable.count
        routeTable.removeAll { Self.sameKey($0, key) }
        return routeTable.count < before
    }

    private static func sameKey(_ a: KernelRoute, _ b: KernelRoute) -> Bool {
        a.destination.masked == b.destination.masked && a.table == b.table && (a.priority ?? 0) == (b.priority ?? 0)
    }

    private func requireNewName(_ name: String, _ what: String) throws(CNIError) {
        if linkTable.contains(where: { $0.name == name }) { throw CNIError(.alreadyExists, "\(what): Object exists") }
    }

    private func newLink(_ name: String, kind: String, mtu: Int?, mac: MACAddress?) -> Link {
        let link = Link(index: (linkTable.map(\.index).max() ?? 0) + 1, name: name, mac: mac, mtu: mtu ?? 1500, kind: kind)
        linkTable.append(link)
        return link
    }
}
