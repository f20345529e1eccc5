// AddressStore: where host-local keeps its reservations, behind a protocol so the allocator can run on a fake.
import CNISpec

/// One reserved address and who holds it. `ifName` is nil for legacy entries that record only the
/// container ID (written by host-local before the interface name was stored).
public struct Reservation: Hashable, Sendable {
    public let ip: IPAddress
    public let containerID: String
    public let ifName: String?

    public init(ip: IPAddress, containerID: String, ifName: String?) {
        self.ip = ip; self.containerID = containerID; self.ifName = ifName
    }
}

/// The reservations of one network. Every call except `withLock` expects the caller to hold the lock.
public protocol AddressStore {
    /// Runs `body` holding the network's exclusive lock (across processes for the disk store).
    func withLock<T>(_ body: () throws(CNIError) -> T) throws(CNIError) -> T

    /// Records `ip` for the attachment and remembers it as the set's last reserved address.
    /// Returns false, changing nothing, when the address is already taken.
    func reserve(_ ip: IPAddress, containerID: String, ifName: String, rangeSetIndex: Int) throws(CNIError) -> Bool

    /// The address most recently reserved from range set `rangeSetIndex`, if known.
    func lastReserved(rangeSetIndex: Int) throws(CNIError) -> IPAddress?

    /// Removes one address; returns false when it was not reserved.
    @discardableResult
    func release(_ ip: IPAddress) throws(CNIError) -> Bool

    /// Every reservation, in no particular order.
    func reservations() throws(CNIError) -> [Reservation]

    /// Every reservation read from the store itself, bypassing (and refreshing) any index; GC and
    /// STATUS use it (default: `reservations()`).
    func scanReservations() throws(CNIError) -> [Reservation]

    /// The addresses the attachment holds (default: filtered from `reservations()`).
    func find(containerID: String, ifName: String) throws(CNIError) -> [IPAddress]

    /// Releases everything the attachment holds and returns it (default: `find`, then `release`).
    @discardableResult
    func release(containerID: String, ifName: String) throws(CNIError) -> [IPAddress]
}

extension AddressStore {
    public func scanReservations() throws(CNIError) -> [Reservation] { try reservations() }

    /// The addresses held by the attachment (see `held(by:ifName:)`).
    public func find(containerID: String, ifName: String) throws(CNIError) -> [IPAddress] {
        try reservations().held(by: containerID, ifName: ifName)
    }

    /// Releases everything the attachment holds; returns what was released (empty is not an error).
    @discardableResult
    public func release(containerID: String, ifName: String) throws(CNIError) -> [IPAddress] {
        var released: [IPAddress] = []
        for ip in try find(containerID: containerID, ifName: ifName) where try release(ip) {
            released.append(ip)
        }
        return released
    }
}

extension Sequence<Reservation> {
    /// The addresses among these held by the attachment, sorted. As the reference does, legacy ID-only
    /// entries count only when no entry names the interface.
    public func held(by containerID: String, ifName: String) -> [IPAddress] {
        let all = filter { $0.containerID == containerID }
        let exact = all.filter { $0.ifName == ifName }
        return (exact.isEmpty ? all.filter { $0.ifName == nil } : exact).map(\.ip).sorted()
    }
}
