// BridgePort: the host end of a veth as a port of the bridge: master, flags, VLANs, up.
import CNINetlink
import CNISpec

struct BridgePort {
    let netlink: any BridgeNetlink
    let config: BridgeConfig

    /// Enslaves `port` to `bridge` and applies hairpin, isolation and VLANs, then sets it up.
    ///
    /// The port gets no IPv6 addresses (addrgenmode none, while it is still down; best effort, as a
    /// kernel without IPv6 refuses it): a bridge port uses none, and each host end's link-local address
    /// would add a fe80::/64 route and address to the host's tables per pod, which every later link
    /// change on the host walks (with 500 pods, ~2 ms more per ADD). The reference leaves them on.
    /// Nor is its accept_ra set to 0 as the reference does: a port's own IPv6 stack never sees a frame
    /// (the bridge takes them all), and the /proc/sys/net/ipv6 lookup grows with the namespaces on the
    /// machine.
    func attach(_ port: Link, to bridge: Link) throws(CNIError) {
        try? netlink.setIPv6AddressGeneration(.none, of: port)
        try netlink.setMaster(bridge, of: port)
        if config.hairpinMode || config.portIsolation {
            try netlink.setBridgePort(port, hairpin: config.hairpinMode ? true : nil,
                                      isolated: config.portIsolation ? true : nil)
        }
        if config.usesVlans { try applyVlans(port) }
        try netlink.setUp(port)
    }

    /// Removes the default VLAN 1 unless preserved; `vlan` as PVID untagged; trunk VIDs tagged
    /// (with native VLAN 1 as PVID when there is a trunk but no `vlan`).
    private func applyVlans(_ port: Link) throws(CNIError) {
        if !config.preserveDefaultVlan {
            do { try netlink.deleteBridgeVlans(1...1, from: port, onBridgeItself: false) }
            catch { /* a port without VLAN 1 is fine */ }
        }
        if config.vlan != 0 {
            try netlink.addBridgeVlans(config.vlan...config.vlan, to: port, pvid: true, untagged: true, onBridgeItself: false)
        } else if !config.vlanTrunk.isEmpty {
            try netlink.addBridgeVlans(1...1, to: port, pvid: true, untagged: true, onBridgeItself: false)
        }
        for range in config.vlanTrunk {
            try netlink.addBridgeVlans(range, to: port, pvid: false, untagged: false, onBridgeItself: false)
        }
    }
}
