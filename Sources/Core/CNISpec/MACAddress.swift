// MACAddress: a 6-byte hardware address, parsed from and printed as "aa:bb:cc:dd:ee:ff".

public struct MACAddress: Hashable, Sendable, CustomStringConvertible {
    public let bytes: [UInt8]

    public init?(bytes: [UInt8]) {
        guard bytes.count == 6 else { return nil }
        self.bytes = bytes
    }

    /// Parses colon- or dash-separated hex pairs.
    public init?(_ text: String) {
        let parts = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == ":" || $0 == "-" })
        guard parts.count == 6 else { return nil }
        var out: [UInt8] = []
        for p in parts {
            guard p.count == 2, let b = UInt8(p, radix: 16) else { return nil }
            out.append(b)
        }
        bytes = out
    }

    public var description: String {
        bytes.map { b in
            let s = String(b, radix: 16)
            return s.count == 1 ? "0" + s : s
        }.joined(separator: ":")
    }

    public var isMulticast: Bool { bytes[0] & 1 == 1 }

    /// The IPv6 link-local address the kernel gives a link with this MAC in `addrgenmode eui64`:
    /// fe80::/64 with the modified EUI-64 interface identifier (RFC 4291 appendix A).
    public var eui64LinkLocal: IPNetwork {
        let b = bytes
        let id = [b[0] ^ 0x02, b[1], b[2], 0xff, 0xfe, b[3], b[4], b[5]].reduce(UInt128(0)) { $0 << 8 | UInt128($1) }
        return IPNetwork(address: .v6(UInt128(0xfe80) << 112 | id), prefixLength: 64)
    }
}
