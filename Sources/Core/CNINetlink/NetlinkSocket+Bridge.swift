// NetlinkSocket+Bridge: BridgeNetlink through hand-built RTM_SETLINK messages (libnl 3.7 lacks these setters).
import CNISpec
import Glibc
internal import CNetlink

extension NetlinkSocket: BridgeNetlink {
    public func setPromiscuous(_ on: Bool, of link: Link) throws(CNIError) {
        try send(Int32(RTM_SETLINK), family: AF_UNSPEC, link, "setting promisc \(on ? "on" : "off") on \(link.name)",
                 flags: on ? UInt32(IFF_PROMISC.rawValue) : 0, change: UInt32(IFF_PROMISC.rawValue)) { _ in }
    }

    public func setBridgePort(_ port: Link, hairpin: Bool?, isolated: Bool?) throws(CNIError) {
        if hairpin == nil && isolated == nil { return }
        try send(Int32(RTM_SETLINK), family: AF_BRIDGE, port, "setting bridge port flags on \(port.name)") { msg throws(CNIError) in
            try NetlinkMessage.nest(msg, Int32(IFLA_PROTINFO) | Int32(NLA_F_NESTED)) { () throws(CNIError) in
                if let hairpin { try NetlinkMessage.put(nla_put_u8(msg, Int32(IFLA_BRPORT_MODE), hairpin ? 1 : 0)) }
                if let isolated { try NetlinkMessage.put(nla_put_u8(msg, Int32(IFLA_BRPORT_ISOLATED), isolated ? 1 : 0)) }
            }
        }
    }

    public func setVlanFiltering(_ on: Bool, of bridge: Link) throws(CNIError) {
        try send(Int32(RTM_NEWLINK), family: AF_UNSPEC, bridge, "setting vlan_filtering \(on ? 1 : 0) on \(bridge.name)") { msg throws(CNIError) in
            try NetlinkMessage.nest(msg, Int32(IFLA_LINKINFO)) { () throws(CNIError) in
                try NetlinkMessage.put(nla_put_string(msg, Int32(IFLA_INFO_KIND), "bridge"))
                try NetlinkMessage.nest(msg, Int32(IFLA_INFO_DATA)) { () throws(CNIError) in
                    try NetlinkMessage.put(nla_put_u8(msg, Int32(IFLA_BR_VLAN_FILTERING), on ? 1 : 0))
                }
            }
        }
    }

    public func addBridgeVlans(_ vids: ClosedRange<Int>, to port: Link, pvid: Bool, untagged: Bool,
                               onBridgeItself: Bool) throws(CNIError) {
        var flags: UInt16 = 0
        if pvid { flags |= UInt16(BRIDGE_VLAN_INFO_PVID) }
        if untagged { flags |= UInt16(BRIDGE_VLAN_INFO_UNTAGGED) }
        try vlanMessage(Int32(RTM_SETLINK), vids, port, flags, onBridgeItself, "adding VLANs \(vids) to \(port.name)")
    }

    public func deleteBridgeVlans(_ vids: ClosedRange<Int>, from port: Link, onBridgeItself: Bool) throws(CNIError) {
        try vlanMessage(Int32(RTM_DELLINK), vids, port, 0, onBridgeItself, "deleting VLANs \(vids) from \(port.name)")
    }

    /// IFLA_AF_SPEC { [IFLA_BRIDGE_FLAGS self], IFLA_BRIDGE_VLAN_INFO (one, or a begin/end pair) }.
    private func vlanMessage(_ type: Int32, _ vids: ClosedRange<Int>, _ port: Link, _ flags: UInt16,
                             _ onBridgeItself: Bool, _ what: String) throws(CNIError) {
        try send(type, family: AF_BRIDGE, port, what) { msg throws(CNIError) in
            try NetlinkMessage.nest(msg, Int32(IFLA_AF_SPEC)) { () throws(CNIError) in
                if onBridgeItself {
                    var selfFlag = UInt16(BRIDGE_FLAGS_SELF)
                    try NetlinkMessage.put(nla_put(msg, Int32(IFLA_BRIDGE_FLAGS), 2, &selfFlag))
                }
                let entries: [(UInt16, Int)] = vids.count == 1
                    ? [(flags, vids.lowerBound)]
                    : [(flags | UInt16(BRIDGE_VLAN_INFO_RANGE_BEGIN), vids.lowerBound),
                       (flags | UInt16(BRIDGE_VLAN_INFO_RANGE_END), vids.upperBound)]
                for (f, vid) in entries {
                    var info = bridge_vlan_info(flags: f, vid: UInt16(vid))
                    try NetlinkMessage.put(nla_put(msg, Int32(IFLA_BRIDGE_VLAN_INFO), Int32(MemoryLayout<bridge_vlan_info>.size), &info))
                }
            }
        }
    }
}
