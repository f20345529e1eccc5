// RangeConfiguration: the range sets of an `ipam` object: runtimeConfig.ipRanges, legacy keys, then `ranges`.
import CNIJSON
import CNISpec

public enum RangeConfiguration {
    /// Every range set in allocation order, as the reference orders them: `runtimeConfig.ipRanges`
    /// first, then the legacy top-level `subnet`/`rangeStart`/`rangeEnd`/`gateway` as one set, then
    /// `ranges`. The index in this list names the set on disk (`last_reserved_ip.<index>`).
    /// Sets may not overlap one another; at least one set is required.
    public static func rangeSets(ipam: JSONObject, runtimeConfig: JSONObject) throws(CNIError) -> [RangeSet] {
        var sets: [RangeSet] = []
        sets += try list(runtimeConfig, "ipRanges", context: "runtimeConfig.ipRanges")
        if let subnet = try ipam.string("subnet", in: "ipam"), !subnet.isEmpty {
            sets.append(try RangeSet([try AddressRange(json: ipam, context: "ipam")], context: "ipam.subnet"))
        }
        sets += try list(ipam, "ranges", context: "ipam.ranges")
        if sets.isEmpty {
            throw CNIError(.invalidNetworkConfig, "no IP ranges specified: set ipam.ranges (or ipam.subnet)")
        }
        for i in sets.indices {
            for j in sets.indices where j > i && sets[i].overlaps(sets[j]) {
                throw CNIError(.invalidNetworkConfig,
                               "range set \(i) (\(sets[i])) overlaps with range set \(j) (\(sets[j]))")
            }
        }
        return sets
    }

    /// `[[Range]]` under `key`; absent or null gives no sets.
    private static func list(_ o: JSONObject, _ key: String, context: String) throws(CNIError) -> [RangeSet] {
        guard let outer = try o.array(key) else { return [] }
        var sets: [RangeSet] = []
        for (i, item) in outer.enumerated() {
            guard let inner = item.arrayValue else {
                throw CNIError.invalidConfig("\(context)[\(i)]", item.serialized(), "expected an array of ranges")
            }
            sets.append(try RangeSet(json: inner, context: "\(context)[\(i)]"))
        }
        return sets
    }

    /// CNI 0.1.0 and 0.2.0 results hold one address per family, so more sets need 0.3.0 or newer.
    public static func checkVersion(_ sets: [RangeSet], _ version: SpecVersion) throws(CNIError) {
        guard version < .v0_3_0 else { return }
        for family in [IPFamily.v4, .v6] where sets.filter({ $0.family == family }).count > 1 {
            throw CNIError(.incompatibleVersion,
                           "CNI version \(version) does not support more than 1 address per family",
                           details: "use cniVersion 0.3.0 or newer for several IPv\(family.versionString) range sets")
        }
    }
}
