// StoreMaintenance: garbage collection of stale reservations and the usage figures STATUS reports.
import CNISpec

/// How full one range set is.
public struct RangeSetUsage: Sendable, Equatable {
    public let index: Int
    public let rangeSet: RangeSet
    /// Reserved addresses that the set could hand out (gateway and foreign files excluded).
    public let used: UInt128
    public let capacity: UInt128
    public var isExhausted: Bool { used >= capacity }
}

extension AddressStore {
    /// Releases every reservation whose attachment is not in `valid`, under the lock, after a full scan
    /// (`scanReservations`), so that GC also repairs whatever an index could have missed. A legacy entry
    /// (container ID only) is kept while any valid attachment has its container ID. Goes on past
    /// failures; returns what was released and the failures it met.
    public func collectGarbage(keeping valid: Set<Attachment>) throws(CNIError) -> (released: [Reservation], failures: [String]) {
        let validIDs = Set(valid.map(\.containerID))
        return try withLock { () throws(CNIError) -> ([Reservation], [String]) in
            var released: [Reservation] = []
            var failures: [String] = []
            for r in try scanReservations().sorted(by: { $0.ip < $1.ip }) {
                let keep = r.ifName.map { valid.contains(Attachment(containerID: r.containerID, ifName: $0)) }
                    ?? validIDs.contains(r.containerID)
                if keep { continue }
                do throws(CNIError) {
                    if try release(r.ip) { released.append(r) }
                } catch {
                    failures.append("\(r.ip): \(error.description)")
                }
            }
            return (released, failures)
        }
    }

    /// How many addresses of each set are taken, read under the lock (a full scan, see `scanReservations`).
    public func usage(of rangeSets: [RangeSet]) throws(CNIError) -> [RangeSetUsage] {
        let taken = Set(try withLock { () throws(CNIError) -> [Reservation] in try scanReservations() }.map(\.ip))
        return rangeSets.enumerated().map { index, set in
            let used = taken.reduce(UInt128(0)) { $0 + (set.isAllocatable($1) ? 1 : 0) }
            return RangeSetUsage(index: index, rangeSet: set, used: used, capacity: set.capacity)
        }
    }
}
