// IPNetwork: an address with a prefix length ("10.1.2.3/24"), the CIDR form results and configs use.

/// An address and prefix length. The address may have host bits (an interface address) or not (a subnet).
public struct IPNetwork: Hashable, Sendable, CustomStringConvertible {
    public let address: IPAddress
    public let prefixLength: Int

    public init(address: IPAddress, prefixLength: Int) {
        self.address = address
        self.prefixLength = prefixLength
    }

    /// Parses "addr/len". The length must fit the family.
    public init?(_ text: String) {
        guard let slash = text.firstIndex(of: "/"),
              let address = IPAddress(String(text[..<slash])) else { return nil }
        let lenText = text[text.index(after: slash)...]
        guard !lenText.isEmpty, lenText.allSatisfy({ $0.isASCII && $0.isNumber }), let len = Int(lenText),
              len <= address.family.bits else { return nil }
        // An IPv4-mapped IPv6 CIDR such as ::ffff:10.0.0.0/104 keeps its IPv4 meaning.
        let adjusted = text.contains(":") && address.family == .v4 ? len - 96 : len
        guard adjusted >= 0 else { return nil }
        self.init(address: address, prefixLength: adjusted)
    }

    public var family: IPFamily { address.family }
    public var description: String { "\(address)/\(prefixLength)" }

    /// The netmask as a number.
    public var mask: UInt128 {
        let bits = family.bits
        if prefixLength == 0 { return 0 }
        return (IPAddress.mask(family) >> UInt128(bits - prefixLength)) << UInt128(bits - prefixLength) & IPAddress.mask(family)
    }

    /// The network address (host bits cleared).
    public var network: IPAddress { IPAddress(family: family, value: address.value & mask) }
    /// This prefix with host bits cleared.
    public var masked: IPNetwork { IPNetwork(address: network, prefixLength: prefixLength) }
    /// The last address of the prefix (the IPv4 broadcast address).
    public var last: IPAddress { IPAddress(family: family, value: network.value | (~mask & IPAddress.mask(family))) }

    public func contains(_ ip: IPAddress) -> Bool {
        ip.family == family && ip.value & mask == address.value & mask
    }

    public func overlaps(_ other: IPNetwork) -> Bool {
        family == other.family && (contains(other.network) || other.contains(network))
    }

    /// The netmask in dotted or colon form, e.g. "255.255.255.0".
    public var maskAddress: IPAddress { IPAddress(family: family, value: mask) }
}
