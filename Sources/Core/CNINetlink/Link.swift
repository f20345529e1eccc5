// Link: what the kernel reports about one network interface, as plain Swift values.
import CNISpec

/// A network interface ("ip link show" fields that plugins use).
public struct Link: Equatable, Sendable, CustomStringConvertible {
    public var index: Int
    public var name: String
    /// Hardware address; nil for links without a 6-byte one (e.g. some tunnels).
    public var mac: MACAddress?
    public var mtu: Int
    /// Administratively up (IFF_UP).
    public var isUp: Bool
    /// Carrier present (IFF_LOWER_UP): for veths, both ends are up.
    public var hasCarrier: Bool
    /// The rtnl kind ("veth", "bridge", "macvlan"); nil for devices without one (lo, physical NICs).
    public var kind: String?
    /// Index of the bridge or bond this link is enslaved to.
    public var masterIndex: Int?

    public init(index: Int, name: String, mac: MACAddress? = nil, mtu: Int = 1500, isUp: Bool = false,
                hasCarrier: Bool = false, kind: String? = nil, masterIndex: Int? = nil) {
        self.index = index; self.name = name; self.mac = mac; self.mtu = mtu; self.isUp = isUp
        self.hasCarrier = hasCarrier; self.kind = kind; self.masterIndex = masterIndex
    }

    public var description: String { name }
}

/// An address on a link ("ip addr show" entries).
public struct LinkAddress: Equatable, Sendable, CustomStringConvertible {
    public var linkIndex: Int
    /// The local address with its prefix length, e.g. 10.22.0.5/16.
    public var address: IPNetwork
    public var flags: AddressFlags

    public init(linkIndex: Int, address: IPNetwork, flags: AddressFlags = []) {
        self.linkIndex = linkIndex; self.address = address; self.flags = flags
    }

    public var family: IPFamily { address.family }
    public var description: String { address.description }
}

/// IFA_F_* flags of an address.
public struct AddressFlags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// IFA_F_NODAD: skip duplicate address detection (IPv6).
    public static let noDAD = AddressFlags(rawValue: 0x02)
    /// IFA_F_DADFAILED: duplicate address detection found another host using it.
    public static let dadFailed = AddressFlags(rawValue: 0x08)
    /// IFA_F_TENTATIVE: duplicate address detection has not finished.
    public static let tentative = AddressFlags(rawValue: 0x40)
    /// IFA_F_PERMANENT: configured, not learned (autoconf).
    public static let permanent = AddressFlags(rawValue: 0x80)
}
