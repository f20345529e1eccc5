// RangeSetAllocator: takes one address from one range set: the requested one, or the next free one round-robin.
import CNISpec

/// Allocates from range set `index` of a network. The caller holds the store's lock.
public struct RangeSetAllocator {
    public let rangeSet: RangeSet
    public let index: Int
    public let store: any AddressStore

    public init(_ rangeSet: RangeSet, index: Int, store: any AddressStore) {
        self.rangeSet = rangeSet; self.index = index; self.store = store
    }

    /// Reserves `requested` if given, else the next free address after the set's last reserved one.
    /// Returns the address with the prefix length of its subnet and the range's gateway.
    public func allocate(containerID: String, ifName: String, requested: IPAddress?) throws(CNIError) -> IPConfig {
        let (ip, range) = if let requested { try reserve(requested: requested, containerID, ifName) }
                          else { try reserveNext(containerID, ifName) }
        return IPConfig(address: IPNetwork(address: ip, prefixLength: range.subnet.prefixLength), gateway: range.gateway)
    }

    private func reserve(requested ip: IPAddress, _ id: String, _ ifName: String) throws(CNIError) -> (IPAddress, AddressRange) {
        guard let range = rangeSet.range(containing: ip) else {
            throw CNIError(.invalidNetworkConfig, "requested IP address \(ip) is not in range set \(rangeSet)")
        }
        if let why = range.refusal(ip) {
            throw CNIError(.invalidNetworkConfig, "requested IP address \(ip) \(why) and cannot be allocated")
        }
        guard try store.reserve(ip, containerID: id, ifName: ifName, rangeSetIndex: index) else {
            throw CNIError(.alreadyExists, "requested IP address \(ip) is not available in range set \(rangeSet)")
        }
        return (ip, range)
    }

    private func reserveNext(_ id: String, _ ifName: String) throws(CNIError) -> (IPAddress, AddressRange) {
        if let held = try store.find(containerID: id, ifName: ifName).first(where: rangeSet.contains) {
            throw CNIError(.alreadyExists, "\(held) has been allocated to \(id), duplicate allocation is not allowed",
                           details: "container \(id) interface \(ifName) already holds \(held) in range set \(rangeSet)")
        }
        let last = try store.lastReserved(rangeSetIndex: index)
        for ip in RangeSetIterator(rangeSet, after: last)
        where try store.reserve(ip, containerID: id, ifName: ifName, rangeSetIndex: index) {
            return (ip, rangeSet.range(containing: ip)!)
        }
        throw CNIError(.addressesExhausted, "no IP addresses available in range set: \(rangeSet)")
    }
}
