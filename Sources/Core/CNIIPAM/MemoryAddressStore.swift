// MemoryAddressStore: the in-memory AddressStore fake, for allocator and plugin tests without a disk.
import CNISpec

/// Keeps reservations in a dictionary. Faults are injected by naming the operation that should fail.
public final class MemoryAddressStore: AddressStore {
    public private(set) var entries: [IPAddress: Reservation] = [:]
    public private(set) var last: [Int: IPAddress] = [:]
    /// How many times the lock was taken, and whether it is held now.
    public private(set) var lockCount = 0
    public private(set) var isLocked = false
    /// When set, `reserve` of this address throws (to test rollback).
    public var failReserving: IPAddress?

    public init(_ reservations: [Reservation] = []) {
        for r in reservations { entries[r.ip] = r }
    }

    public func withLock<T>(_ body: () throws(CNIError) -> T) throws(CNIError) -> T {
        precondition(!isLocked, "MemoryAddressStore lock taken twice")
        lockCount += 1
        isLocked = true
        defer { isLocked = false }
        return try body()
    }

    public func reserve(_ ip: IPAddress, containerID: String, ifName: String, rangeSetIndex: Int) throws(CNIError) -> Bool {
        precondition(isLocked, "reserve without the lock")
        if ip == failReserving { throw CNIError(.systemFailure, "injected failure reserving \(ip)") }
        if entries[ip] != nil { return false }
        entries[ip] = Reservation(ip: ip, containerID: containerID, ifName: ifName)
        last[rangeSetIndex] = ip
        return true
    }

    public func lastReserved(rangeSetIndex: Int) throws(CNIError) -> IPAddress? { last[rangeSetIndex] }

    /// Sets the last reserved address of a set, as a previous run would have left it.
    public func setLastReserved(_ ip: IPAddress?, rangeSetIndex: Int) { last[rangeSetIndex] = ip }

    @discardableResult
    public func release(_ ip: IPAddress) throws(CNIError) -> Bool {
        precondition(isLocked, "release without the lock")
        return entries.removeValue(forKey: ip) != nil
    }

    public func reservations() throws(CNIError) -> [Reservation] { Array(entries.values) }
}
