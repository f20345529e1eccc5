// AddressRange: one host-local range (subnet, rangeStart, rangeEnd, gateway), parsed, defaulted and validated.
import CNIJSON
import CNISpec

/// A contiguous pool of addresses inside one subnet. `start...end` is inclusive; the gateway, the
/// network address and the IPv4 broadcast address are never handed out even when they fall inside it.
public struct AddressRange: Hashable, Sendable, CustomStringConvertible {
    public let subnet: IPNetwork
    public let start: IPAddress
    public let end: IPAddress
    public let gateway: IPAddress

    /// Applies the reference's defaults (start = network+1; end = broadcast-1 for IPv4, the all-ones
    /// address for IPv6; gateway = network+1) and validates. `context` names the range in errors,
    /// e.g. `ipam.ranges[0][1]`.
    public init(subnet: IPNetwork, rangeStart: IPAddress? = nil, rangeEnd: IPAddress? = nil,
                gateway: IPAddress? = nil, context: String = "range") throws(CNIError) {
        try Self.validate(subnet: subnet, context: context)
        self.subnet = subnet
        start = rangeStart ?? subnet.network.next
        end = rangeEnd ?? (subnet.family == .v4 ? subnet.last.previous : subnet.last)
        self.gateway = gateway ?? subnet.network.next
        try check(start, "\(context).rangeStart")
        try check(end, "\(context).rangeEnd")
        try check(self.gateway, "\(context).gateway")
        if start > end {
            throw CNIError.invalidConfig("\(context).rangeStart", start.description,
                                         "is after rangeEnd \(end)")
        }
    }

    /// Reads `{subnet, rangeStart?, rangeEnd?, gateway?}`; empty strings count as absent, as in the reference.
    public init(json: JSONObject, context: String) throws(CNIError) {
        guard let text = try json.string("subnet", in: context), !text.isEmpty else {
            throw CNIError(.invalidNetworkConfig, "missing \(context).subnet")
        }
        guard let subnet = IPNetwork(text) else {
            throw CNIError.invalidConfig("\(context).subnet", text, "not a CIDR subnet")
        }
        try self.init(subnet: subnet,
                      rangeStart: try Self.address(json, "rangeStart", context),
                      rangeEnd: try Self.address(json, "rangeEnd", context),
                      gateway: try Self.address(json, "gateway", context),
                      context: context)
    }

    public var family: IPFamily { subnet.family }

    /// "start-end", the form the reference uses in its exhaustion message.
    public var description: String { "\(start)-\(end)" }

    /// Whether `ip` lies in `start...end` (gateway included).
    public func contains(_ ip: IPAddress) -> Bool {
        ip.family == family && start <= ip && ip <= end
    }

    /// Why `ip` may not be handed out from this range, or nil when it may.
    public func refusal(_ ip: IPAddress) -> String? {
        if !contains(ip) { return "is not in range \(self)" }
        if ip == gateway { return "is the gateway of \(subnet)" }
        if ip == subnet.network { return "is the network address of \(subnet)" }
        if family == .v4 && ip == subnet.last { return "is the broadcast address of \(subnet)" }
        return nil
    }

    /// Whether `ip` may be handed out from this range.
    public func isAllocatable(_ ip: IPAddress) -> Bool { refusal(ip) == nil }

    /// How many addresses this range can hand out.
    public var capacity: UInt128 {
        var n = end.value - start.value + 1
        var excluded: Set<IPAddress> = [gateway, subnet.network]
        if family == .v4 { excluded.insert(subnet.last) }
        for ip in excluded where contains(ip) { n -= 1 }
        return n
    }

    /// Whether the two ranges share an address (same family and intersecting start...end).
    public func overlaps(_ other: AddressRange) -> Bool {
        family == other.family && start <= other.end && other.start <= end
    }

    private static func validate(subnet: IPNetwork, context: String) throws(CNIError) {
        if subnet.address != subnet.network {
            throw CNIError.invalidConfig("\(context).subnet", subnet.description,
                                         "has host bits set; the network address is \(subnet.masked)")
        }
        if subnet.prefixLength > subnet.family.bits - 2 {
            throw CNIError.invalidConfig("\(context).subnet", subnet.description,
                                         "is too small to allocate from (/\(subnet.family.bits - 2) at most)")
        }
    }

    private func check(_ ip: IPAddress, _ key: String) throws(CNIError) {
        if !subnet.contains(ip) {
            throw CNIError.invalidConfig(key, ip.description, "is not in subnet \(subnet)")
        }
    }

    private static func address(_ json: JSONObject, _ key: String, _ context: String) throws(CNIError) -> IPAddress? {
        guard let text = try json.string(key, in: context), !text.isEmpty else { return nil }
        guard let ip = IPAddress(text) else {
            throw CNIError.invalidConfig("\(context).\(key)", text, "not an IP address")
        }
        return ip
    }
}
