// NetworkConfig: the keys every plugin config shares (name, version, ipam, dns, prevResult, runtimeConfig, args).
import CNIJSON

/// An attachment a runtime still considers valid (GC's `cni.dev/valid-attachments`).
public struct Attachment: Hashable, Sendable {
    public let containerID: String
    public let ifName: String
    public init(containerID: String, ifName: String) { self.containerID = containerID; self.ifName = ifName }
}

/// The request's config: shared keys parsed and validated; plugin keys left in `raw` for the plugin.
public struct NetworkConfig: Sendable {
    /// The `cniVersion` text exactly as given.
    public let cniVersionText: String
    public let version: SpecVersion
    public let name: String
    public let type: String
    /// The whole `ipam` object, or nil.
    public let ipam: JSONObject?
    public let dns: DNS?
    /// `prevResult` parsed in its own version (or the config's when it has none).
    public let prevResult: CNIResult?
    public let runtimeConfig: JSONObject
    public let args: JSONObject
    /// GC's valid attachments: nil when the runtime sent neither key (GC then removes nothing).
    public let validAttachments: Set<Attachment>?
    /// Every key as given, for plugin-specific parsing.
    public let raw: JSONObject
    /// The exact stdin bytes, passed to delegated plugins unchanged.
    public let bytes: [UInt8]

    /// Parses stdin. Bad JSON is error 6; a bad `name` is error 7.
    public init(bytes: [UInt8]) throws(CNIError) {
        let json: JSON
        do { json = try JSON.parse(bytes) } catch { throw Self.parseError(error) }
        try self.init(json: json, bytes: bytes)
    }

    /// Stdin that is not JSON: code 6.
    public static func parseError(_ error: JSONParseError) -> CNIError {
        CNIError(.decodingFailure, "error parsing network configuration: \(error)")
    }

    /// Builds the config from `bytes` already parsed as `json` (the skeleton parses stdin once).
    public init(json: JSON, bytes: [UInt8]) throws(CNIError) {
        guard let o = json.objectValue else {
            throw CNIError(.decodingFailure, "error parsing network configuration: expected a JSON object, got \(json.typeName)")
        }
        self.bytes = bytes
        raw = o
        cniVersionText = try o.string("cniVersion") ?? ""
        guard let v = SpecVersion(cniVersionText) else {
            throw CNIError(.decodingFailure, "invalid cniVersion \"\(cniVersionText)\": not a version number")
        }
        version = v
        name = try o.string("name") ?? ""
        type = try o.string("type") ?? ""
        ipam = try o.object("ipam")
        dns = try o.object("dns").map { (d) throws(CNIError) in try DNS(json: d) }
        runtimeConfig = try o.object("runtimeConfig") ?? JSONObject()
        args = try o.object("args") ?? JSONObject()
        if let p = o["prevResult"], !p.isNull {
            prevResult = try CNIResult(json: p, assumedVersion: v)
        } else {
            prevResult = nil
        }
        validAttachments = try Self.attachments(o)
    }

    /// Checks `name`: required, `^[a-zA-Z0-9][a-zA-Z0-9_.\-]*$` (which also keeps it path-safe).
    public func validateName() throws(CNIError) {
        if name.isEmpty { throw CNIError(.invalidNetworkConfig, "missing network name") }
        if !Identifiers.isValidID(name) || name == "." || name == ".." {
            throw CNIError(.invalidNetworkConfig, "invalid network name \"\(name)\": must match ^[a-zA-Z0-9][a-zA-Z0-9_.\\-]*$")
        }
    }

    /// `ipam.type`, or nil when there is no IPAM (L2-only `"ipam": {}` included).
    public var ipamType: String? {
        guard let t = ipam?["type"]?.stringValue, !t.isEmpty else { return nil }
        return t
    }

    /// Requested IPs from `args.cni.ips`.
    public var argsIPs: [String]? {
        args["cni"]?["ips"]?.arrayValue?.compactMap(\.stringValue)
    }

    private static func attachments(_ o: JSONObject) throws(CNIError) -> Set<Attachment>? {
        var found: Set<Attachment>? = nil
        for key in ["cni.dev/valid-attachments", "cni.dev/attachments"] {
            guard let list = try o.array(key) else { continue }
            var set = found ?? []
            for item in list {
                guard let a = item.objectValue,
                      let id = try a.string("containerID", in: key),
                      let ifName = try a.string("ifname", in: key) else {
                    throw CNIError(.decodingFailure, "invalid \(key) entry \(item.serialized()): needs containerID and ifname")
                }
                set.insert(Attachment(containerID: id, ifName: ifName))
            }
            found = set
        }
        return found
    }
}
