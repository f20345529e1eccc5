// PortMapping: one runtimeConfig.portMappings entry (host port to container port), and what a family sees of it.
import CNIJSON
import CNISpec

/// The transport protocols a mapping may name.
public enum PortProtocol: String, Sendable, CaseIterable, Comparable {
    case tcp, udp, sctp
    public static func < (a: PortProtocol, b: PortProtocol) -> Bool { a.rawValue < b.rawValue }

    /// The IP protocol number.
    public var number: UInt8 { switch self { case .tcp: 6; case .udp: 17; case .sctp: 132 } }

    public init?(number: UInt8) {
        guard let p = Self.allCases.first(where: { $0.number == number }) else { return nil }
        self = p
    }
}

/// `{hostPort, containerPort, protocol, hostIP}`; an unspecified hostIP (absent, 0.0.0.0 or ::) means
/// every local address.
public struct PortMapping: Hashable, Sendable {
    public var hostPort: Int
    public var containerPort: Int
    public var proto: PortProtocol
    /// nil for any address.
    public var hostIP: IPAddress?
    /// The family of a given hostIP (also 0.0.0.0 / ::), which restricts the mapping to that family.
    public var hostFamily: IPFamily?

    public init(hostPort: Int, containerPort: Int, proto: PortProtocol = .tcp, hostIP: IPAddress? = nil,
                hostFamily: IPFamily? = nil) {
        self.hostPort = hostPort; self.containerPort = containerPort; self.proto = proto
        self.hostIP = hostIP; self.hostFamily = hostFamily ?? hostIP?.family
    }

    /// Whether the mapping applies to container addresses of `family` (a hostIP of the other family is skipped).
    public func applies(to family: IPFamily) -> Bool { hostFamily == nil || hostFamily == family }

    /// Whether both mappings would catch the same packets: same protocol and port, and host addresses
    /// that are equal or of which one is "any".
    public func overlaps(_ other: PortMapping) -> Bool {
        proto == other.proto && hostPort == other.hostPort
            && (hostIP == nil || other.hostIP == nil || hostIP == other.hostIP)
    }

    public var description: String { "\(proto.rawValue)/\(hostIP.map { "\($0):" } ?? "")\(hostPort)" }

    /// Parses one entry; errors name the key and the value.
    static func parse(_ item: JSON, at index: Int) throws(CNIError) -> PortMapping {
        let key = "runtimeConfig.portMappings[\(index)]"
        guard let o = item.objectValue else { throw CNIError.invalidConfig(key, item.serialized(), "must be an object") }
        func port(_ name: String) throws(CNIError) -> Int {
            guard let p = try o.int(name, in: key) else {
                throw CNIError.invalidConfig("\(key).\(name)", "null", "is required")
            }
            guard (1...65535).contains(p) else {
                throw CNIError.invalidConfig("\(key).\(name)", "\(p)", "must be between 1 and 65535")
            }
            return p
        }
        let hostPort = try port("hostPort"), containerPort = try port("containerPort")
        let protoText = try o.string("protocol", in: key) ?? ""
        guard let proto = protoText.isEmpty ? .tcp : PortProtocol(rawValue: protoText.lowercased()) else {
            throw CNIError.invalidConfig("\(key).protocol", "\"\(protoText)\"", "must be tcp, udp or sctp")
        }
        var mapping = PortMapping(hostPort: hostPort, containerPort: containerPort, proto: proto)
        if let text = try o.string("hostIP", in: key), !text.isEmpty {
            guard let ip = IPAddress(text) else {
                throw CNIError.invalidConfig("\(key).hostIP", "\"\(text)\"", "not an IP address")
            }
            mapping.hostFamily = ip.family
            mapping.hostIP = ip.value == 0 ? nil : ip
        }
        return mapping
    }
}
