// FakeBridgeNetlink: an in-memory BridgeNetlink (a FakeRouteNetlink plus promiscuity, port flags and VLANs).
import CNINetlink
import CNISpec

/// One VLAN of a bridge port, as `bridge vlan show` lists it.
public struct FakeBridgeVlan: Equatable, Sendable, CustomStringConvertible {
    public var vid: Int
    public var pvid: Bool
    public var untagged: Bool

    public init(vid: Int, pvid: Bool = false, untagged: Bool = false) {
        self.vid = vid; self.pvid = pvid; self.untagged = untagged
    }

    public var description: String { "\(vid)\(pvid ? " PVID" : "")\(untagged ? " untagged" : "")" }
}

/// The bridge port flags last set on a port.
public struct FakeBridgePortFlags: Equatable, Sendable {
    public var hairpin = false
    public var isolated = false
    public init(hairpin: Bool = false, isolated: Bool = false) { self.hairpin = hairpin; self.isolated = isolated }
}

/// A `BridgeNetlink` over a `FakeRouteNetlink` (`base`, which holds the tables, the call log and the
/// injected failures; bridge operations are logged and failed there too, e.g. `failures["setBridgePort"]`).
///
/// Links created here get a random unicast MAC when none is asked for, as the kernel does. When the fake
/// belongs to a `FakeNamespaces`, a veth's peer is created in the fake registered for
/// `VethOptions.peerNamespace.path`, and deleting either end deletes the other.
public final class FakeBridgeNetlink: BridgeNetlink, FakeRouteNetlinkWrapper {
    public let base: FakeRouteNetlink
    /// The namespace path this fake stands for in `namespaces`; nil when standalone.
    public let path: String?
    weak var namespaces: FakeNamespaces?

    /// Link names with promiscuous mode on.
    public private(set) var promiscuous: Set<String> = []
    /// Links set to `addrgenmode none`.
    public var noIPv6Addresses: Set<String> { Set(base.addressGenerationTable.filter { $0.value == .none }.keys) }
    /// Bridge names with vlan_filtering on.
    public private(set) var vlanFiltering: Set<String> = []
    /// Port flags by port name.
    public private(set) var portFlags: [String: FakeBridgePortFlags] = [:]
    /// VLANs by port name (`onBridgeItself` entries under the bridge's own name).
    public private(set) var vlans: [String: [FakeBridgeVlan]] = [:]

    public init(base: FakeRouteNetlink = FakeRouteNetlink(), path: String? = nil) {
        self.base = base
        self.path = path
    }

    // MARK: Conveniences over `base`

    public var failures: [String: CNIError] {
        get { base.failures }
        set { base.failures = newValue }
    }
    public var linkTable: [Link] { base.linkTable }
    /// The addresses of the link called `name`, from the table (not logged).
    public func addressesOf(_ name: String) -> [IPNetwork] {
        guard let link = linkNamed(name) else { return [] }
        return base.addressTable.filter { $0.linkIndex == link.index }.map(\.address)
    }
    /// Adds a link as if it already existed, with a random MAC.
    @discardableResult
    public func seedLink(_ name: String, kind: String? = nil, mtu: Int = 1500, up: Bool = false) -> Link {
        seed(name, kind: kind, mtu: mtu, up: up)
    }

    // MARK: BridgeNetlink

    public func setPromiscuous(_ on: Bool, of link: Link) throws(CNIError) {
        try base.record("setPromiscuous", "\(link.name) \(on ? "on" : "off")")
        if on { promiscuous.insert(link.name) } else { promiscuous.remove(link.name) }
    }

    public func setBridgePort(_ port: Link, hairpin: Bool?, isolated: Bool?) throws(CNIError) {
        let text = [hairpin.map { "hairpin \($0 ? "on" : "off")" }, isolated.map { "isolated \($0 ? "on" : "off")" }]
        try base.record("setBridgePort", ([port.name] + text.compactMap { $0 }).joined(separator: " "))
        var flags = portFlags[port.name] ?? FakeBridgePortFlags()
        if let hairpin { flags.hairpin = hairpin }
        if let isolated { flags.isolated = isolated }
        portFlags[port.name] = flags
    }

    public func setVlanFiltering(_ on: Bool, of bridge: Link) throws(CNIError) {
        try base.record("setVlanFiltering", "\(bridge.name) \(on ? 1 : 0)")
        if on { vlanFiltering.insert(bridge.name) } else { vlanFiltering.remove(bridge.name) }
    }

    public func addBridgeVlans(_ vids: ClosedRange<Int>, to port: Link, pvid: Bool, untagged: Bool,
                               onBridgeItself: Bool) throws(CNIError) {
        try base.record("addBridgeVlans", "\(port.name) \(vids.lowerBound)-\(vids.upperBound)"
                        + "\(pvid ? " pvid" : "")\(untagged ? " untagged" : "")\(onBridgeItself ? " self" : "")")
        var list = vlans[port.name] ?? []
        if pvid { for i in list.indices { list[i].pvid = false } }
        for vid in vids {
            list.removeAll { $0.vid == vid }
            list.append(FakeBridgeVlan(vid: vid, pvid: pvid, untagged: untagged))
        }
        vlans[port.name] = list
    }

    public func deleteBridgeVlans(_ vids: ClosedRange<Int>, from port: Link, onBridgeItself: Bool) throws(CNIError) {
        try base.record("deleteBridgeVlans", "\(port.name) \(vids.lowerBound)-\(vids.upperBound)\(onBridgeItself ? " self" : "")")
        guard let list = vlans[port.name], list.contains(where: { vids.contains($0.vid) }) else {
            throw CNIError(.systemFailure, "deleting VLANs \(vids) from \(port.name): No such file or directory")
        }
        vlans[port.name] = list.filter { !vids.contains($0.vid) }
    }

    // MARK: RouteNetlink, through `base`


    /// A port joining a bridge with vlan_filtering gets the default VLAN 1 (PVID, untagged), as in the kernel.
    public func setMaster(_ master: Link?, of link: Link) throws(CNIError) {
        try base.setMaster(master, of: link)
        if let master, vlanFiltering.contains(master.name), vlans[link.name] == nil {
            vlans[link.name] = [FakeBridgeVlan(vid: 1, pvid: true, untagged: true)]
        }
    }

    @discardableResult
    public func deleteLink(_ link: Link) throws(CNIError) -> Bool {
        let existed = try base.deleteLink(link)
        if existed {
            forget(link.name)
            namespaces?.linkDeleted(link.name, in: self)
        }
        return existed
    }

    public func createVeth(_ options: VethOptions) throws(CNIError) -> Link {
        let peerFake = namespaces?.netlink(registeredAt: options.peerNamespace.path)
        if let peerFake, peerFake.linkNamed(options.peerName) != nil {
            try base.record("createVeth", "\(options.name) peer \(options.peerName) in \(options.peerNamespace.path)")
            throw CNIError(.alreadyExists, "creating veth \(options.name): Object exists")
        }
        var link = try base.createVeth(options)
        if link.mac == nil { link.mac = randomMAC(); replace(link) }
        if let peerFake {
            var peer = peerFake.base.seedLink(options.peerName, kind: "veth", mtu: options.mtu ?? 1500)
            peer.mac = options.peerMAC ?? randomMAC()
            peerFake.replace(peer)
            namespaces?.pair(options.name, in: self, with: options.peerName, in: peerFake)
        }
        return link
    }

    public func createBridge(_ options: BridgeOptions) throws(CNIError) -> Link {
        var link = try base.createBridge(options)
        if link.mac == nil { link.mac = randomMAC(); replace(link) }
        return link
    }



    // MARK: Internals

    /// Removes `name` and its addresses, routes and bridge state without logging (the peer of a deleted veth).
    func removeSilently(_ name: String) {
        guard let link = linkNamed(name) else { return }
        base.linkTable.removeAll { $0.index == link.index }
        base.addressTable.removeAll { $0.linkIndex == link.index }
        base.routeTable.removeAll { $0.linkIndex == link.index }
        forget(name)
    }

    private func forget(_ name: String) {
        promiscuous.remove(name); vlanFiltering.remove(name)
        portFlags[name] = nil; vlans[name] = nil
    }

}
