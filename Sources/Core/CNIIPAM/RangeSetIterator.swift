// RangeSetIterator: the round-robin order in which a range set's addresses are tried.
import CNISpec

/// Yields every allocatable address of a set once, starting just after the last reserved address
/// and wrapping from each range's end to the next range's start (and from the last range to the
/// first). Gateways, network addresses and IPv4 broadcast addresses are skipped.
public struct RangeSetIterator: IteratorProtocol, Sequence {
    private let set: RangeSet
    private let origin: (range: Int, ip: IPAddress)
    private var position: (range: Int, ip: IPAddress)
    private var started = false

    /// `lastReserved` outside the set (or nil) starts at the first range's start.
    public init(_ set: RangeSet, after lastReserved: IPAddress?) {
        self.set = set
        if let last = lastReserved, let index = set.ranges.firstIndex(where: { $0.contains(last) }) {
            origin = Self.advance(set, from: (index, last))
        } else {
            origin = (0, set.ranges[0].start)
        }
        position = origin
    }

    public mutating func next() -> IPAddress? {
        while true {
            if started && position.range == origin.range && position.ip == origin.ip { return nil }
            started = true
            let candidate = position
            position = Self.advance(set, from: position)
            if set.ranges[candidate.range].isAllocatable(candidate.ip) { return candidate.ip }
        }
    }

    private static func advance(_ set: RangeSet, from p: (range: Int, ip: IPAddress)) -> (range: Int, ip: IPAddress) {
        if p.ip == set.ranges[p.range].end {
            let nextRange = (p.range + 1) % set.ranges.count
            return (nextRange, set.ranges[nextRange].start)
        }
        return (p.range, p.ip.next)
    }
}
