// IPAddress: an IPv4 or IPv6 address as a number, so allocators can count and compare.
import Glibc

public enum IPFamily: Sendable, Hashable {
    case v4, v6
    public var bits: Int { self == .v4 ? 32 : 128 }
    /// "4" or "6", as 0.3.x/0.4.0 results write `ips[].version`.
    public var versionString: String { self == .v4 ? "4" : "6" }
}

/// An IP address. IPv4-mapped IPv6 text ("::ffff:1.2.3.4") parses as IPv4, as Go's net.ParseIP does.
public enum IPAddress: Hashable, Comparable, Sendable, CustomStringConvertible {
    case v4(UInt32)
    case v6(UInt128)

    public init?(_ text: String) {
        if text.contains(":") {
            var a = in6_addr()
            guard inet_pton(AF_INET6, text, &a) == 1 else { return nil }
            let value = withUnsafeBytes(of: &a) { raw in raw.reduce(UInt128(0)) { ($0 << 8) | UInt128($1) } }
            if value >> 32 == 0xffff { self = .v4(UInt32(truncatingIfNeeded: value)) } else { self = .v6(value) }
        } else {
            var a = in_addr()
            guard inet_pton(AF_INET, text, &a) == 1 else { return nil }
            self = .v4(UInt32(bigEndian: a.s_addr))
        }
    }

    public var family: IPFamily { if case .v4 = self { return .v4 }; return .v6 }

    /// The address as an unsigned number in the family's width.
    public var value: UInt128 {
        switch self { case .v4(let v): return UInt128(v); case .v6(let v): return v }
    }

    public init(family: IPFamily, value: UInt128) {
        self = family == .v4 ? .v4(UInt32(truncatingIfNeeded: value)) : .v6(value)
    }

    /// Network-order bytes: 4 for IPv4, 16 for IPv6.
    public var bytes: [UInt8] {
        switch self {
        case .v4(let v): return (0..<4).map { UInt8(truncatingIfNeeded: v >> (24 - 8 * $0)) }
        case .v6(let v): return (0..<16).map { UInt8(truncatingIfNeeded: v >> (120 - 8 * $0)) }
        }
    }

    /// Dotted quad for IPv4; RFC 5952 for IPv6 (lowercase, longest run of two or more zero groups as
    /// "::", never dotted), which is how the reference prints addresses and names host-local files.
    public var description: String {
        switch self {
        case .v4(let v):
            return (0..<4).map { String(UInt8(truncatingIfNeeded: v >> (24 - 8 * UInt32($0)))) }.joined(separator: ".")
        case .v6(let v):
            let groups = (0..<8).map { UInt16(truncatingIfNeeded: v >> (112 - 16 * UInt128($0))) }
            var best = (start: -1, length: 0), run = (start: -1, length: 0)
            for (i, g) in groups.enumerated() {
                if g == 0 {
                    run = run.start < 0 ? (i, 1) : (run.start, run.length + 1)
                    if run.length > best.length { best = run }
                } else { run = (-1, 0) }
            }
            let hex = groups.map { String($0, radix: 16) }
            guard best.length >= 2 else { return hex.joined(separator: ":") }
            let head = hex[..<best.start].joined(separator: ":")
            let tail = hex[(best.start + best.length)...].joined(separator: ":")
            return head + "::" + tail
        }
    }

    public static func < (a: IPAddress, b: IPAddress) -> Bool {
        switch (a, b) {
        case (.v4, .v6): return true
        case (.v6, .v4): return false
        default: return a.value < b.value
        }
    }

    /// The next address, wrapping within the family.
    public var next: IPAddress { IPAddress(family: family, value: value &+ 1 & IPAddress.mask(family)) }
    /// The previous address, wrapping within the family.
    public var previous: IPAddress { IPAddress(family: family, value: value &- 1 & IPAddress.mask(family)) }

    /// All-ones in the family's width.
    static func mask(_ family: IPFamily) -> UInt128 { family == .v4 ? UInt128(UInt32.max) : UInt128.max }

    /// 169.254.0.0/16 or fe80::/10.
    public var isLinkLocal: Bool {
        switch self { case .v4(let v): return v >> 16 == 0xa9fe; case .v6(let v): return v >> 118 == 0x3fa }
    }

    public var isLoopback: Bool {
        switch self { case .v4(let v): return v >> 24 == 127; case .v6(let v): return v == 1 }
    }
}
