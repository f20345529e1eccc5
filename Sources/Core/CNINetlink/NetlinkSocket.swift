// NetlinkSocket: a libnl route socket connected inside one network namespace, then used from anywhere.
import CNINamespace
import CNISpec
import Glibc
internal import CNetlink

/// A NETLINK_ROUTE socket bound to the network namespace it was connected in.
///
/// Connecting switches the calling thread into the namespace for `socket`/`connect` only; every later
/// call works without switching, because a netlink socket keeps the namespace it was created in.
/// Not thread-safe: use one socket from one thread at a time.
public final class NetlinkSocket: RouteNetlink {
    let sock: OpaquePointer
    /// The namespace's path, for messages ("the current namespace" when opened without one).
    public let namespaceName: String

    /// Connects a route socket inside `namespace`, or in the calling thread's namespace when nil.
    public init(in namespace: NetworkNamespace? = nil) throws(CNIError) {
        guard let s = nl_socket_alloc() else {
            throw CNIError(.systemFailure, "allocating a netlink socket: out of memory")
        }
        sock = s
        namespaceName = namespace?.path ?? "the current namespace"
        let name = namespaceName
        let connect = { () throws(CNIError) in
            try Netlink.require(nl_connect(s, NETLINK_ROUTE), "connecting a netlink socket in \(name)")
        }
        if let namespace { try namespace.run(connect) } else { try connect() }
    }

    deinit { nl_socket_free(sock) }

    /// Runs one dump into a libnl cache, retrying a dump interrupted by concurrent changes, and
    /// hands each object to `body`.
    func dump(_ what: @autoclosure () -> String,
              _ allocate: (UnsafeMutablePointer<OpaquePointer?>) -> Int32,
              _ body: (OpaquePointer) throws(CNIError) -> Void) throws(CNIError) {
        var cache: OpaquePointer? = nil
        var rc: Int32 = 0
        for _ in 0..<Netlink.dumpAttempts {
            rc = allocate(&cache)
            if rc != -NLE_DUMP_INTR { break }
            if let c = cache { nl_cache_free(c); cache = nil }
        }
        try Netlink.require(rc, what())
        guard let cache else { return }
        defer { nl_cache_free(cache) }
        var object = nl_cache_get_first(cache)
        while let current = object {
            try body(current)
            object = nl_cache_get_next(current)
        }
    }
}

// MARK: - Addresses between Swift values and libnl's nl_addr

enum NLAddress {
    /// A new nl_addr holding `ip` with `prefixLength`; the caller puts it (nl_addr_put).
    static func make(_ ip: IPAddress, prefixLength: Int? = nil) throws(CNIError) -> OpaquePointer {
        let family = ip.family == .v4 ? AF_INET : AF_INET6
        let bytes = ip.bytes
        guard let addr = bytes.withUnsafeBytes({ nl_addr_build(family, $0.baseAddress, $0.count) }) else {
            throw CNIError(.systemFailure, "building netlink address \(ip): out of memory")
        }
        nl_addr_set_prefixlen(addr, Int32(prefixLength ?? ip.family.bits))
        return addr
    }

    /// A new nl_addr holding a MAC address (AF_LLC), as libnl expects for IFLA_ADDRESS.
    static func make(_ mac: MACAddress) throws(CNIError) -> OpaquePointer {
        guard let addr = mac.bytes.withUnsafeBytes({ nl_addr_build(AF_LLC, $0.baseAddress, $0.count) }) else {
            throw CNIError(.systemFailure, "building netlink address \(mac): out of memory")
        }
        return addr
    }

    /// The IP in an nl_addr of family AF_INET/AF_INET6; an empty one (a default route's dst) is all zeros.
    /// With `absentIsZero`, a missing nl_addr (a default route without RTA_DST) also reads as zeros.
    static func ip(_ addr: OpaquePointer?, family: Int32, absentIsZero: Bool = false) -> IPAddress? {
        let ipFamily: IPFamily
        switch family {
        case AF_INET: ipFamily = .v4
        case AF_INET6: ipFamily = .v6
        default: return nil
        }
        guard let addr else { return absentIsZero ? IPAddress(family: ipFamily, value: 0) : nil }
        let length = Int(nl_addr_get_len(addr))
        if length == 0 { return IPAddress(family: ipFamily, value: 0) }
        guard length == ipFamily.bits / 8, let raw = nl_addr_get_binary_addr(addr) else { return nil }
        let bytes = UnsafeRawBufferPointer(start: raw, count: length)
        return IPAddress(family: ipFamily, value: bytes.reduce(UInt128(0)) { ($0 << 8) | UInt128($1) })
    }

    /// A 6-byte hardware address in an nl_addr, or nil.
    static func mac(_ addr: OpaquePointer?) -> MACAddress? {
        guard let addr, nl_addr_get_len(addr) == 6, let raw = nl_addr_get_binary_addr(addr) else { return nil }
        return MACAddress(bytes: Array(UnsafeRawBufferPointer(start: raw, count: 6)))
    }

    static func family(_ family: IPFamily?) -> Int32 {
        switch family {
        case .v4: return AF_INET
        case .v6: return AF_INET6
        case nil: return AF_UNSPEC
        }
    }
}
