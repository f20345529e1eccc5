// AddressAllocator: one address from every range set for an attachment, honouring requested addresses, all or nothing.
import CNISpec

/// Allocates for one attachment across all range sets of a network, under the store's lock.
public struct AddressAllocator {
    public let rangeSets: [RangeSet]
    public let store: any AddressStore

    public init(rangeSets: [RangeSet], store: any AddressStore) {
        self.rangeSets = rangeSets; self.store = store
    }

    /// One address per range set, in set order. Each set takes at most one requested address that it
    /// contains (the first one, in request order); a request no set takes fails the ADD before anything
    /// is reserved, and a failure in a later set releases what earlier sets reserved.
    public func allocate(containerID: String, ifName: String, requested: [IPAddress] = []) throws(CNIError) -> [IPConfig] {
        let assignment = try assign(requested)
        return try store.withLock { () throws(CNIError) -> [IPConfig] in
            var done: [IPConfig] = []
            for (index, set) in rangeSets.enumerated() {
                do throws(CNIError) {
                    let allocator = RangeSetAllocator(set, index: index, store: store)
                    done.append(try allocator.allocate(containerID: containerID, ifName: ifName, requested: assignment[index]))
                } catch {
                    for ip in done { _ = try? store.release(ip.address.address) }
                    throw CNIError(error.code, "failed to allocate for range \(index): \(error.msg)", details: error.details)
                }
            }
            return done
        }
    }

    /// Releases every address the attachment holds, in every set; nothing held is success.
    @discardableResult
    public func release(containerID: String, ifName: String) throws(CNIError) -> [IPAddress] {
        try store.withLock { () throws(CNIError) -> [IPAddress] in
            try store.release(containerID: containerID, ifName: ifName)
        }
    }

    /// Checks, without touching the store, that every requested address can be placed in a set and
    /// is not a gateway, network or broadcast address; call it before creating any state.
    public func validate(requested: [IPAddress]) throws(CNIError) {
        _ = try assign(requested)
    }

    /// Which requested address each set takes. Duplicates in the request count once.
    func assign(_ requested: [IPAddress]) throws(CNIError) -> [IPAddress?] {
        var assignment = [IPAddress?](repeating: nil, count: rangeSets.count)
        var unfulfilled: [String] = []
        var seen: Set<IPAddress> = []
        for ip in requested where seen.insert(ip).inserted {
            if let index = rangeSets.indices.first(where: { assignment[$0] == nil && rangeSets[$0].contains(ip) }) {
                if let why = rangeSets[index].range(containing: ip)?.refusal(ip) {
                    throw CNIError(.invalidNetworkConfig, "requested IP address \(ip) \(why) and cannot be allocated")
                }
                assignment[index] = ip
            } else if let index = rangeSets.firstIndex(where: { $0.contains(ip) }) {
                unfulfilled.append("\(ip) (range set \(index) already takes \(assignment[index]!))")
            } else {
                unfulfilled.append("\(ip) (in no range set)")
            }
        }
        if !unfulfilled.isEmpty {
            throw CNIError(.invalidNetworkConfig, "failed to allocate all requested IPs: " + unfulfilled.joined(separator: ", "),
                           details: "each range set takes at most one requested address within its ranges: \(rangeSets.map(\.description).joined(separator: "; "))")
        }
        return assignment
    }
}
