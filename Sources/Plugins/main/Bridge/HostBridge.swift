// HostBridge: the bridge in the host namespace: created once, addressed as gateway, all under one lock.
import CNINamespace
import CNINetlink
import CNISpec
import CNISystem

/// Creates and configures the bridge while holding `<lockDirectory>/bridge-<name>.lock`, so that many
/// ADDs starting at once never race on creating it or on adding its gateway address.
struct HostBridge {
    let netlink: any BridgeNetlink
    let sysctl: any NamespaceSysctl
    let config: BridgeConfig
    let lockDirectory: String

    /// Runs `body` holding this bridge's lock.
    func locked<T>(_ body: () throws(CNIError) -> T) throws(CNIError) -> T {
        let path = "\(lockDirectory)/bridge-\(config.bridge).lock"
        let lock: FileLock
        do {
            try FileSystem.makeDirectories(lockDirectory, mode: 0o700)
            lock = try FileLock(path: path)
        } catch { throw CNIError(error, context: "locking bridge \(config.bridge)") }
        return try withExtendedLifetime(lock) { () throws(CNIError) -> T in try body() }
    }

    /// The error for a link that has the bridge's name but is not a bridge (nil when `link` is fine).
    static func notABridge(_ link: Link?, code: ErrorCode = .alreadyExists) -> CNIError? {
        guard let link, link.kind != "bridge" else { return nil }
        return CNIError(code, "link \(link.name) already exists but is not a bridge (kind \(link.kind ?? "none"))")
    }

    /// The bridge, created if missing: promiscuity, vlan_filtering, accept_ra=0, up, MAC pinned. A bridge
    /// created here is deleted again when setting it up fails (no other ADD has seen it: they wait for
    /// the lock, then look again).
    func ensure() throws(CNIError) -> Link {
        let existing = try netlink.link(named: config.bridge)
        if let error = Self.notABridge(existing) { throw error }
        if let existing { return try configure(existing, created: false) }
        let bridge = try netlink.createBridge(BridgeOptions(name: config.bridge, mtu: config.mtu))
        do {
            // Pin the MAC: a bridge without a set address takes the lowest of its ports' and changes with them.
            if let mac = bridge.mac { try netlink.setMAC(mac, of: bridge) }
            return try configure(bridge, created: true)
        } catch {
            _ = try? netlink.deleteLink(bridge)
            throw error
        }
    }

    private func configure(_ bridge: Link, created: Bool) throws(CNIError) -> Link {
        if config.promiscMode { try netlink.setPromiscuous(true, of: bridge) }
        if config.usesVlans {
            do { try netlink.setVlanFiltering(true, of: bridge) } catch {
                throw CNIError(error.code, "\(error.msg) (vlan and vlanTrunk need a kernel with bridge VLAN filtering, CONFIG_BRIDGE_VLAN_FILTERING)")
            }
        }
        // Read over netlink first: it is nearly always 0 already, and a /proc/sys/net/ipv6 lookup takes ~1 ms
        // with 1000 namespaces on the machine.
        if (try? netlink.ipv6Conf(.acceptRA, of: bridge)) != 0 { _ = try sysctl.set("net/ipv6/conf/\(config.bridge)/accept_ra", "0") }
        // An existing bridge that is up is returned as read; anything created or changed is read again.
        if !created && bridge.isUp && !config.promiscMode && !config.usesVlans { return bridge }
        if !bridge.isUp { try netlink.setUp(bridge) }
        return try netlink.requireLink(named: config.bridge)
    }

    /// Puts each gateway (with its subnet's prefix) on the bridge. An IPv4 bridge holds one address:
    /// a different one is replaced with `forceAddress`, else an error. IPv6 addresses may coexist
    /// unless they overlap. The add is tried first: "exists" is the steady state and needs no listing
    /// of the host's addresses (which grows with every pod's veth); only a newly added gateway is
    /// checked against the bridge's other addresses.
    func ensureGateways(_ gateways: [IPNetwork], on bridge: Link) throws(CNIError) {
        for gw in gateways {
            do {
                try netlink.addAddress(gw, to: bridge, noDAD: true)
            } catch where error.code == .alreadyExists {
                continue
            }
            let conflicting = try netlink.addresses(of: bridge, family: gw.family).map(\.address).filter { a in
                a != gw && !a.address.isLinkLocal
                    && (gw.family == .v4 || a.contains(gw.address) || gw.contains(a.address))
            }
            for a in conflicting {
                guard config.forceAddress else {
                    _ = try? netlink.deleteAddress(gw, from: bridge)
                    throw CNIError(.alreadyExists, "\"\(bridge.name)\" already has an IP address different from \(gw)",
                                   details: "it has \(a); set forceAddress to replace it")
                }
                try netlink.deleteAddress(a, from: bridge)
            }
        }
    }

    /// With `vlan` and `isGateway`, the gateway lives on a host veth named `<bridge>.<vlan>` whose peer
    /// is a bridge port carrying the VLAN untagged, as the reference does; created once, then reused.
    func ensureVlanGateway(on bridge: Link, hostNamespace: NetworkNamespace) throws(CNIError) -> Link {
        let name = "\(config.bridge).\(config.vlan)"
        if let existing = try netlink.link(named: name) { return existing }
        if let problem = Identifiers.interfaceNameProblem(name) {
            throw CNIError.invalidConfig("vlan", "\(config.vlan)", "VLAN gateway interface \(name): \(problem)")
        }
        let pair = try VethPair.create(ifName: name, containerNetlink: netlink, hostNetlink: netlink,
                                       hostNamespace: hostNamespace, mtu: bridge.mtu, mac: nil)
        var portConfig = config
        portConfig.hairpinMode = false
        portConfig.portIsolation = false
        portConfig.vlanTrunk = []
        try BridgePort(netlink: netlink, config: portConfig).attach(pair.host, to: bridge)
        try netlink.setUp(pair.container)
        return try netlink.requireLink(named: name)
    }

    /// ip_forward for each family that has a gateway.
    func enableForwarding(_ families: Set<IPFamily>) throws(CNIError) {
        // Read over netlink: usually already on, and a /proc/sys read walks a dentry chain as long as
        // the machine has network namespaces. Written through /proc/sys (the switch has no netlink setter).
        if families.contains(.v4), (try? netlink.forwarding(.v4)) != true { _ = try sysctl.set("net/ipv4/ip_forward", "1") }
        if families.contains(.v6), (try? netlink.forwarding(.v6)) != true { _ = try sysctl.set("net/ipv6/conf/all/forwarding", "1") }
    }
}
