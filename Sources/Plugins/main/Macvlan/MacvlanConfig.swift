// MacvlanConfig: every key of the macvlan plugin's config, parsed and checked without touching the system.
import CNIJSON
import CNINetlink
import CNIPlugin
import CNISpec

public struct MacvlanConfig: Sendable {
    /// `master`; nil means the interface of the default route (host, or container with `linkInContainer`).
    public var master: String?
    public var mode: MacvlanMode = .bridge
    /// `mtu`; nil (or 0 in the config) lets the macvlan take the master's MTU.
    public var mtu: Int?
    /// The MAC: runtimeConfig.mac, else args.cni.mac, else CNI_ARGS MAC, else `mac`.
    public var mac: MACAddress?
    /// `linkInContainer`: the master lives in the container's namespace.
    public var linkInContainer = false
    /// `bcqueuelen`; nil (or 0) keeps the kernel's default.
    public var broadcastQueueLength: Int?
    /// `dns` from the config; when not empty it overrides what IPAM returned.
    public var dns: DNS?
    /// `ipam.type`; nil for an L2-only network (`"ipam": {}`).
    public var ipamType: String?

    public var isL2: Bool { ipamType == nil }

    public init() {}

    /// Parses the request's config. Errors name the key and the value.
    public init(_ request: Request) throws(CNIError) {
        let raw = request.config.raw
        master = try raw.string("master").flatMap { $0.isEmpty ? nil : $0 }
        if let master, let problem = Identifiers.interfaceNameProblem(master) {
            throw CNIError.invalidConfig("master", "\"\(master)\"", problem)
        }
        let modeText = try raw.string("mode") ?? ""
        if !modeText.isEmpty {
            guard let parsed = MacvlanMode(rawValue: modeText), parsed != .source else {
                throw CNIError.invalidConfig("mode", "\"\(modeText)\"", "must be one of bridge, private, vepa, passthru")
            }
            mode = parsed
        }
        if let value = try raw.int("mtu") {
            guard value >= 0 else { throw CNIError.invalidConfig("mtu", "\(value)", "must not be negative") }
            mtu = value == 0 ? nil : value
        }
        linkInContainer = try raw.bool("linkInContainer") ?? false
        if let value = try raw.int("bcqueuelen") {
            guard (0...Int(UInt32.max)).contains(value) else {
                throw CNIError.invalidConfig("bcqueuelen", "\(value)", "must be between 0 and \(UInt32.max)")
            }
            broadcastQueueLength = value == 0 ? nil : value
        }
        dns = request.config.dns.flatMap { $0.isEmpty ? nil : $0 }
        ipamType = request.config.ipamType
        // The MAC and CNI_ARGS matter only when creating: DEL, GC and STATUS must not fail over them.
        if request.command == .add || request.command == .check {
            try request.env.args.validate(known: ["MAC", "IP"])
            mac = try Self.mac(request)
        }
    }

    /// runtimeConfig.mac > args.cni.mac > CNI_ARGS MAC > `mac`: the reference's order, with args.cni.mac
    /// (which the reference macvlan ignores) placed as the bridge plugin places it.
    private static func mac(_ request: Request) throws(CNIError) -> MACAddress? {
        let candidates: [(String, String?)] = [
            ("runtimeConfig.mac", try request.config.runtimeConfig.string("mac", in: "runtimeConfig")),
            ("args.cni.mac", request.config.args["cni"]?["mac"]?.stringValue),
            ("CNI_ARGS MAC", request.env.args["MAC"]),
            ("mac", try request.config.raw.string("mac")),
        ]
        guard let (key, text) = candidates.first(where: { $0.1 != nil && !$0.1!.isEmpty }), let text else { return nil }
        guard let mac = MACAddress(text), !mac.isMulticast else {
            throw CNIError.invalidConfig(key, "\"\(text)\"", "not a unicast MAC address")
        }
        return mac
    }
}
