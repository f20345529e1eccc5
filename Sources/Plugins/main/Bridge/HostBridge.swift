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

    /// The bridge, created if missing: promiscuity, vlan_filtering, accept_ra=0, up, MAC pinned.
    func ensure() throws(CNIError) -> Link {
        var bridge: Link
        if let existing = try netlink.link(named: config.bridge) {
            guard existing.kind == "bridge" else {
                throw CNIError(.alreadyExists, "link \(config.bridge) already exists but is not a bridge (kind \(existing.kind ?? "none"))")
            }
            bridge = existing
        } else {
            bridge = try netlink.createBridge(BridgeOptions(name: config.bridge, mtu: config.mtu))
            // Pin the MAC: a bridge without a set address takes the lowest of its ports' and changes with them.
            if let mac = bridge.mac { try netlink.setMAC(mac, of: bridge) }
        }
        if config.promiscMode { try netlink.setPromiscuous(true, of: bridge) }
        if config.usesVlans {
            do { try netlink.setVlanFiltering(true, of: bridge) } catch {
                throw CNIError(error.code, "\(error.msg) (vlan and vlanTrunk need a kernel with bridge VLAN filtering, CONFIG_BRIDGE_VLAN_FILTERING)")
            }
        }
        _ = try sysctl.set("net/ipv6/conf/\(config.bridge)/accept_ra", "0")
        if !bridge.isUp { try netlink.setUp(bridge) }
        return try netlink.requireLink(named: config.bridge)
    }

    /// Puts each gateway (with its subnet's prefix) on the bridge. An IPv4 bridge holds one address:
    /// a different one is replaced with `forceAddress`, else an error. IPv6 addresses may coexist
    /// unless they overlap.
    func ensureGateways(_ gateways: [IPNetwork], on bridge: Link) throws(CNIError) {
        let what = bridge.name
        for gw in gateways {
            let existing = try netlink.addresses(of: bridge, family: gw.family)
            if existing.contains(where: { $0.address == gw }) { continue }
            for a in existing where gw.family == .v4 || a.address.contains(gw.address) || gw.contains(a.address.address) {
                guard config.forceAddress else {
                    throw CNIError(.alreadyExists, "\"\(what)\" already has an IP address different from \(gw)",
                                   details: "it has \(a.address); set forceAddress to replace it")
                }
                try netlink.deleteAddress(a.address, from: bridge)
            }
            try netlink.addAddress(gw, to: bridge, noDAD: true)
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
        try BridgePort(netlink: netlink, sysctl: sysctl, config: portConfig).attach(pair.host, to: bridge)
        try netlink.setUp(pair.container)
        return try netlink.requireLink(named: name)
    }

    /// ip_forward for each family that has a gateway.
    func enableForwarding(_ families: Set<IPFamily>) throws(CNIError) {
        if families.contains(.v4) { _ = try sysctl.set("net/ipv4/ip_forward", "1") }
        if families.contains(.v6) { _ = try sysctl.set("net/ipv6/conf/all/forwarding", "1") }
    }
}
