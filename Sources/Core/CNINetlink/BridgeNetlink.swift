// BridgeNetlink: bridge and bridge-port settings beyond plain links (promiscuity, port flags, VLANs).
import CNISpec

/// What the bridge plugin sets on a bridge and its ports, on top of `RouteNetlink`.
public protocol BridgeNetlink: RouteNetlink {
    /// `ip link set dev NAME promisc on|off`
    func setPromiscuous(_ on: Bool, of link: Link) throws(CNIError)
    /// `bridge link set dev PORT hairpin on|off isolated on|off` (nil leaves a flag as it is)
    func setBridgePort(_ port: Link, hairpin: Bool?, isolated: Bool?) throws(CNIError)
    /// `ip link set dev BRIDGE type bridge vlan_filtering 1|0`
    func setVlanFiltering(_ on: Bool, of bridge: Link) throws(CNIError)
    /// `bridge vlan add dev PORT vid LO[-HI] [pvid] [untagged] [self]`
    func addBridgeVlans(_ vids: ClosedRange<Int>, to port: Link, pvid: Bool, untagged: Bool, onBridgeItself: Bool) throws(CNIError)
    /// `bridge vlan del dev PORT vid LO[-HI] [self]`
    func deleteBridgeVlans(_ vids: ClosedRange<Int>, from port: Link, onBridgeItself: Bool) throws(CNIError)
}
