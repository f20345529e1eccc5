// RangeSet: the ranges one address is taken from (one family, no overlaps), used round-robin.
import CNIJSON
import CNISpec

/// One entry of `ranges`: a pool of disjoint ranges of one family. Each ADD takes one address per set.
public struct RangeSet: Hashable, Sendable, CustomStringConvertible {
    public let ranges: [AddressRange]

    /// Validates: not empty, one family, no two ranges overlapping. `context` names the set in errors.
    public init(_ ranges: [AddressRange], context: String = "range set") throws(CNIError) {
        guard let first = ranges.first else {
            throw CNIError(.invalidNetworkConfig, "invalid \(context): empty range set")
        }
        for (i, r) in ranges.enumerated() where r.family != first.family {
            throw CNIError(.invalidNetworkConfig,
                           "invalid \(context): mixed address families, \(first.subnet) and \(r.subnet) (entry \(i))")
        }
        for i in ranges.indices {
            for j in ranges.indices where j > i && ranges[i].overlaps(ranges[j]) {
                throw CNIError(.invalidNetworkConfig,
                               "invalid \(context): subnets \(ranges[i].subnet) (\(ranges[i])) and \(ranges[j].subnet) (\(ranges[j])) overlap")
            }
        }
        self.ranges = ranges
    }

    /// Reads `[{subnet, ...}, ...]`.
    public init(json: [JSON], context: String) throws(CNIError) {
        var ranges: [AddressRange] = []
        for (i, item) in json.enumerated() {
            guard let o = item.objectValue else {
                throw CNIError.invalidConfig("\(context)[\(i)]", item.serialized(), "expected an object")
            }
            ranges.append(try AddressRange(json: o, context: "\(context)[\(i)]"))
        }
        try self.init(ranges, context: context)
    }

    public var family: IPFamily { ranges[0].family }

    /// "a-b,c-d", as in the reference's exhaustion message.
    public var description: String { ranges.map(\.description).joined(separator: ",") }

    /// The range whose start...end holds `ip`, if any.
    public func range(containing ip: IPAddress) -> AddressRange? { ranges.first { $0.contains(ip) } }

    public func contains(_ ip: IPAddress) -> Bool { range(containing: ip) != nil }

    /// Whether `ip` may be handed out from this set.
    public func isAllocatable(_ ip: IPAddress) -> Bool { range(containing: ip)?.isAllocatable(ip) ?? false }

    /// How many addresses the set can hand out in all.
    public var capacity: UInt128 { ranges.reduce(0) { $0 + $1.capacity } }

    public func overlaps(_ other: RangeSet) -> Bool {
        ranges.contains { r in other.ranges.contains { r.overlaps($0) } }
    }
}
