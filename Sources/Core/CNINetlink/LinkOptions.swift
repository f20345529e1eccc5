// LinkOptions: what to create: veth pairs, bridges and macvlans, each directly in its final namespace.
import CNINamespace
import CNISpec

/// A veth pair: `name` here (the socket's namespace), `peerName` created directly in `peerNamespace`.
public struct VethOptions: Sendable {
    public var name: String
    public var peerName: String
    public var peerNamespace: NetworkNamespace
    public var mtu: Int?
    public var mac: MACAddress?
    public var peerMAC: MACAddress?

    public init(name: String, peerName: String, peerNamespace: NetworkNamespace, mtu: Int? = nil,
                mac: MACAddress? = nil, peerMAC: MACAddress? = nil) {
        self.name = name; self.peerName = peerName; self.peerNamespace = peerNamespace
        self.mtu = mtu; self.mac = mac; self.peerMAC = peerMAC
    }
}

/// A Linux bridge in the socket's namespace.
public struct BridgeOptions: Sendable {
    public var name: String
    public var mtu: Int?
    public var mac: MACAddress?

    public init(name: String, mtu: Int? = nil, mac: MACAddress? = nil) {
        self.name = name; self.mtu = mtu; self.mac = mac
    }
}

/// The macvlan modes (MACVLAN_MODE_*).
public enum MacvlanMode: String, Sendable, CaseIterable {
    case `private`, vepa, bridge, passthru, source

    /// The kernel's MACVLAN_MODE_* bit.
    public var kernelValue: UInt32 {
        switch self {
        case .private: return 1
        case .vepa: return 2
        case .bridge: return 4
        case .passthru: return 8
        case .source: return 16
        }
    }
}

/// A macvlan on `parentIndex` (a link in the socket's namespace), created directly in `namespace`.
public struct MacvlanOptions: Sendable {
    public var name: String
    public var parentIndex: Int
    public var mode: MacvlanMode
    public var namespace: NetworkNamespace
    public var mtu: Int?
    public var mac: MACAddress?

    public init(name: String, parentIndex: Int, mode: MacvlanMode = .bridge, namespace: NetworkNamespace,
                mtu: Int? = nil, mac: MACAddress? = nil) {
        self.name = name; self.parentIndex = parentIndex; self.mode = mode; self.namespace = namespace
        self.mtu = mtu; self.mac = mac
    }
}
