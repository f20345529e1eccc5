// BridgeConfig: every key of the bridge plugin's config, parsed and validated before any side effect.
import CNIFirewall
import CNIIPAM
import CNIJSON
import CNIPlugin
import CNISpec

/// Which tool programs the masquerade rules.
public enum MasqueradeBackendKind: String, Sendable {
    case iptables, nftables
}

/// A range of VLAN IDs tagged on the host veth (`vlanTrunk` entries: `{id}` or `{minID, maxID}`).
public typealias VlanRange = ClosedRange<Int>

public struct BridgeConfig: Sendable {
    public var bridge = "cni0"
    public var isGateway = false
    public var isDefaultGateway = false
    public var forceAddress = false
    public var ipMasq = false
    public var ipMasqBackend: MasqueradeBackendKind = .iptables
    public var mtu: Int?
    public var hairpinMode = false
    public var promiscMode = false
    public var vlan = 0
    public var vlanTrunk: [VlanRange] = []
    public var preserveDefaultVlan = false
    public var enableDAD = false
    public var macSpoofCheck = false
    public var disableContainerInterface = false
    public var portIsolation = false
    /// `dns` from the config; when not empty it overrides what IPAM returned.
    public var dns: DNS?
    /// The container MAC: runtimeConfig.mac, else args.cni.mac, else CNI_ARGS MAC.
    public var mac: MACAddress?
    /// `ipam.type`; nil for an L2-only network (`"ipam": {}`).
    public var ipamType: String?

    public var isL2: Bool { ipamType == nil }
    public var usesVlans: Bool { vlan != 0 || !vlanTrunk.isEmpty }

    public init() {}

    /// Parses and validates the request's config. Errors name the key and the value.
    public init(_ request: Request) throws(CNIError) {
        let raw = request.config.raw
        bridge = try raw.string("bridge") ?? "cni0"
        if let problem = Identifiers.interfaceNameProblem(bridge) {
            throw CNIError.invalidConfig("bridge", "\"\(bridge)\"", problem)
        }
        isDefaultGateway = try raw.bool("isDefaultGateway") ?? false
        isGateway = try (raw.bool("isGateway") ?? false) || isDefaultGateway
        forceAddress = try raw.bool("forceAddress") ?? false
        ipMasq = try raw.bool("ipMasq") ?? false
        if let backend = try raw.string("ipMasqBackend") {
            guard let kind = MasqueradeBackendKind(rawValue: backend) else {
                throw CNIError.invalidConfig("ipMasqBackend", "\"\(backend)\"", "must be \"iptables\" or \"nftables\"")
            }
            ipMasqBackend = kind
        }
        mtu = try raw.int("mtu")
        if let mtu, mtu != 0, !(68...65535).contains(mtu) {
            throw CNIError.invalidConfig("mtu", "\(mtu)", "must be between 68 and 65535")
        }
        if mtu == 0 { mtu = nil }
        hairpinMode = try raw.bool("hairpinMode") ?? false
        promiscMode = try raw.bool("promiscMode") ?? false
        if hairpinMode && promiscMode {
            throw CNIError(.invalidNetworkConfig, "invalid hairpinMode true with promiscMode true: they cannot be set together")
        }
        vlan = try raw.int("vlan") ?? 0
        if !(0...4094).contains(vlan) { throw CNIError.invalidConfig("vlan", "\(vlan)", "must be between 0 and 4094") }
        vlanTrunk = try Self.trunks(raw)
        preserveDefaultVlan = try raw.bool("preserveDefaultVlan") ?? false
        enableDAD = try raw.bool("enabledad") ?? false
        macSpoofCheck = try raw.bool("macspoofchk") ?? false
        disableContainerInterface = try raw.bool("disableContainerInterface") ?? false
        portIsolation = try raw.bool("portIsolation") ?? false
        dns = request.config.dns.flatMap { $0.isEmpty ? nil : $0 }
        ipamType = request.config.ipamType
        if disableContainerInterface && !isL2 {
            throw CNIError(.invalidNetworkConfig,
                           "invalid disableContainerInterface true with ipam.type \"\(ipamType ?? "")\": an interface left down cannot be given addresses")
        }
        // The MAC and CNI_ARGS matter only when creating: DEL, GC and STATUS must not fail over them.
        if request.command == .add || request.command == .check {
            try request.env.args.validate(known: ["MAC", "IP"])
            mac = try Self.mac(request)
        }
    }

    private static func trunks(_ raw: JSONObject) throws(CNIError) -> [VlanRange] {
        var out: [VlanRange] = []
        for item in try raw.array("vlanTrunk") ?? [] {
            guard let o = item.objectValue else {
                throw CNIError.invalidConfig("vlanTrunk", item.serialized(), "each entry must be an object")
            }
            let id = try o.int("id", in: "vlanTrunk"), minID = try o.int("minID", in: "vlanTrunk")
            let maxID = try o.int("maxID", in: "vlanTrunk")
            let range: VlanRange
            switch (id, minID, maxID) {
            case (let id?, nil, nil): range = id...id
            case (nil, let lo?, let hi?) where lo <= hi: range = lo...hi
            default:
                throw CNIError.invalidConfig("vlanTrunk", item.serialized(), "give either id, or minID <= maxID")
            }
            guard range.lowerBound >= 1 && range.upperBound <= 4094 else {
                throw CNIError.invalidConfig("vlanTrunk", item.serialized(), "VLAN IDs must be between 1 and 4094")
            }
            out.append(range)
        }
        return out
    }

    /// runtimeConfig.mac > args.cni.mac > CNI_ARGS MAC, as the reference orders them.
    private static func mac(_ request: Request) throws(CNIError) -> MACAddress? {
        let candidates: [(String, String?)] = [
            ("runtimeConfig.mac", try request.config.runtimeConfig.string("mac", in: "runtimeConfig")),
            ("args.cni.mac", request.config.args["cni"]?["mac"]?.stringValue),
            ("CNI_ARGS MAC", request.env.args["MAC"]),
        ]
        guard let (key, text) = candidates.first(where: { $0.1 != nil && !$0.1!.isEmpty }), let text else { return nil }
        guard let mac = MACAddress(text), !mac.isMulticast else {
            throw CNIError.invalidConfig(key, "\"\(text)\"", "not a unicast MAC address")
        }
        return mac
    }

    /// The address families the IPAM config names: its range sets as host-local reads them
    /// (RangeConfiguration), and static `ipam.addresses[].address`; IPv4 when it names none. Only a
    /// hint, for preparing the masquerade backend (ADD alone asks): the result decides.
    static func expectedFamilies(_ request: Request) -> Set<IPFamily> {
        let config = request.config
        let sets = config.ipam.flatMap { try? RangeConfiguration.rangeSets(ipam: $0, runtimeConfig: config.runtimeConfig) } ?? []
        let addresses = (config.ipam?["addresses"]?.arrayValue ?? []).compactMap { $0["address"]?.stringValue }
        let found = Set(sets.map(\.family)).union(addresses.compactMap { IPNetwork($0)?.family })
        return found.isEmpty ? [.v4] : found
    }
}
