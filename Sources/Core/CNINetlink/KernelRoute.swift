// KernelRoute: a route as added to or read from the kernel, with the CNI 1.1 route fields.
import CNISpec

/// A unicast route ("ip route" fields). To add, leave unset what the kernel should choose; read back,
/// `table` and `scope` are always filled in.
public struct KernelRoute: Equatable, Sendable, CustomStringConvertible {
    /// Destination prefix; 0.0.0.0/0 or ::/0 for a default route.
    public var destination: IPNetwork
    public var gateway: IPAddress?
    /// Output interface index.
    public var linkIndex: Int?
    /// Route metric ("metric"/"priority").
    public var priority: Int?
    /// Routing table; nil means main (254).
    public var table: Int?
    /// RT_SCOPE_* (0 universe, 253 link, 254 host); nil lets the kernel rules decide as `ip route` does.
    public var scope: Int?
    /// RTAX_MTU metric ("mtu").
    public var mtu: Int?
    /// RTAX_ADVMSS metric ("advmss").
    public var advmss: Int?

    public init(destination: IPNetwork, gateway: IPAddress? = nil, linkIndex: Int? = nil, priority: Int? = nil,
                table: Int? = nil, scope: Int? = nil, mtu: Int? = nil, advmss: Int? = nil) {
        self.destination = destination; self.gateway = gateway; self.linkIndex = linkIndex
        self.priority = priority; self.table = table; self.scope = scope; self.mtu = mtu; self.advmss = advmss
    }

    public var family: IPFamily { destination.family }
    public var isDefault: Bool { destination.prefixLength == 0 }

    /// The main routing table number.
    public static let mainTable = 254

    /// "10.0.0.0/8 via 10.1.0.1 dev#3"-style text for messages.
    public var description: String {
        var s = isDefault ? "default" : destination.masked.description
        if let gateway { s += " via \(gateway)" }
        if let table, table != Self.mainTable { s += " table \(table)" }
        return s
    }
}
