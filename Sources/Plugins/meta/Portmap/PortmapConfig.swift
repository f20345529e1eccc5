// PortmapConfig: every key of the portmap plugin's config, parsed and validated before any side effect.
import CNIFirewall
import CNIJSON
import CNIPlugin
import CNISpec

/// Which tool programs the port mappings.
public enum PortmapBackendKind: String, Sendable {
    case iptables, nftables
}

public struct PortmapConfig: Sendable {
    public var backend: PortmapBackendKind = .iptables
    public var snat = true
    public var masqAll = false
    public var markMasqBit = 13
    public var externalSetMarkChain: String?
    public var conditionsV4: [String] = []
    public var conditionsV6: [String] = []
    public var mappings: [PortMapping] = []
    /// The container's first IPv4 and IPv6 address on IFNAME, from prevResult.
    public var containerV4: IPNetwork?
    public var containerV6: IPNetwork?

    public init() {}

    /// Parses and validates the request's config. Errors name the key and the value.
    public init(_ request: Request) throws(CNIError) {
        let raw = request.config.raw
        if let text = try raw.string("backend"), !text.isEmpty {
            guard let kind = PortmapBackendKind(rawValue: text) else {
                throw CNIError.invalidConfig("backend", "\"\(text)\"", "must be \"iptables\" or \"nftables\"")
            }
            backend = kind
        }
        snat = try raw.bool("snat") ?? true
        masqAll = try raw.bool("masqAll") ?? false
        let bit = try raw.int("markMasqBit")
        externalSetMarkChain = try raw.string("externalSetMarkChain")
        if bit != nil && externalSetMarkChain != nil {
            throw CNIError(.invalidNetworkConfig, "invalid markMasqBit \(bit!) with externalSetMarkChain \"\(externalSetMarkChain!)\": they cannot be set together")
        }
        markMasqBit = bit ?? 13
        guard (0...31).contains(markMasqBit) else {
            throw CNIError.invalidConfig("markMasqBit", "\(markMasqBit)", "must be between 0 and 31")
        }
        if let chain = externalSetMarkChain {
            guard !chain.isEmpty, chain.count <= 28, chain.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) else {
                throw CNIError.invalidConfig("externalSetMarkChain", "\"\(chain)\"", "must be an iptables chain name (letters, digits, - _ ., at most 28)")
            }
        }
        conditionsV4 = try Self.conditions(raw, "conditionsV4")
        conditionsV6 = try Self.conditions(raw, "conditionsV6")
        try checkBackendKeys(bitGiven: bit != nil)
        for (i, item) in (try request.config.runtimeConfig.array("portMappings", in: "runtimeConfig") ?? []).enumerated() {
            let m = try PortMapping.parse(item, at: i)
            if let other = mappings.first(where: { $0.overlaps(m) && $0.hostFamily.map(m.applies) ?? true }) {
                throw CNIError.invalidConfig("runtimeConfig.portMappings[\(i)]", m.description,
                                             "host port already mapped by \(other.description) in the same request")
            }
            mappings.append(m)
        }
        if let prev = request.config.prevResult { (containerV4, containerV6) = Self.containerAddresses(prev, ifName: request.ifName) }
    }

    /// The mappings that apply to `family`.
    public func mappings(for family: IPFamily) -> [PortMapping] { mappings.filter { $0.applies(to: family) } }

    /// The container address of `family`, if any.
    public func container(_ family: IPFamily) -> IPNetwork? { family == .v4 ? containerV4 : containerV6 }

    public func conditions(_ family: IPFamily) -> [String] { family == .v4 ? conditionsV4 : conditionsV6 }

    /// Conditions are tokens of the backend's own syntax: iptables ones start with `-` or `!`.
    /// Keys of the other backend are an error, as in the reference.
    private func checkBackendKeys(bitGiven: Bool) throws(CNIError) {
        for (key, list) in [("conditionsV4", conditionsV4), ("conditionsV6", conditionsV6)] {
            guard let first = list.first else { continue }
            let iptablesStyle = first.hasPrefix("-") || first.hasPrefix("!")
            if iptablesStyle != (backend == .iptables) {
                throw CNIError.invalidConfig(key, "\"\(first)\"", "is \(iptablesStyle ? "iptables" : "nftables") syntax, but backend is \(backend.rawValue)")
            }
        }
        if backend == .nftables, let chain = externalSetMarkChain {
            throw CNIError.invalidConfig("externalSetMarkChain", "\"\(chain)\"", "is iptables-only, but backend is nftables")
        }
        if backend == .nftables && bitGiven {
            throw CNIError.invalidConfig("markMasqBit", "\(markMasqBit)", "is iptables-only, but backend is nftables")
        }
    }

    private static func conditions(_ raw: JSONObject, _ key: String) throws(CNIError) -> [String] {
        let list = try raw.strings(key) ?? []
        for token in list where token.contains(where: { $0 == "\n" || $0 == "\"" || $0 == "\r" }) {
            throw CNIError.invalidConfig(key, "\"\(token)\"", "tokens cannot hold quotes or line breaks")
        }
        return list
    }

    /// The first IPv4 and IPv6 of prevResult on the sandbox interface IFNAME, or without an interface.
    static func containerAddresses(_ prev: CNIResult, ifName: String) -> (IPNetwork?, IPNetwork?) {
        var v4: IPNetwork?, v6: IPNetwork?
        for ip in prev.ips {
            if let i = ip.interface, i >= 0, i < prev.interfaces.count,
               prev.interfaces[i].name != ifName || prev.interfaces[i].sandbox.isEmpty { continue }
            if ip.address.family == .v4 { v4 = v4 ?? ip.address } else { v6 = v6 ?? ip.address }
        }
        return (v4, v6)
    }
}
