// ResultDecoding: reads a result (or prevResult) of any spec version into the version-independent model.
import CNIJSON

extension CNIResult {
    /// Decodes `json` as a result. Its own `cniVersion` decides the shape; without one, `assumedVersion`
    /// does (libcni takes the config's version for a prevResult without `cniVersion`).
    public init(json: JSON, assumedVersion: SpecVersion) throws(CNIError) {
        guard let o = json.objectValue else {
            throw CNIError(.decodingFailure, "invalid result \(json.serialized()): expected an object")
        }
        var version = assumedVersion
        if let text = try o.string("cniVersion", in: "result"), !text.isEmpty {
            guard let v = SpecVersion(text) else {
                throw CNIError(.decodingFailure, "invalid result cniVersion \"\(text)\"")
            }
            version = v
        }
        if version.usesLegacyResult {
            try self.init(legacy: o)
        } else {
            try self.init(current: o)
        }
    }

    private init(current o: JSONObject) throws(CNIError) {
        self.init()
        for item in try o.array("interfaces", in: "result") ?? [] {
            guard let i = item.objectValue else { throw Self.bad("interfaces", item) }
            interfaces.append(Interface(
                name: try i.string("name", in: "interfaces") ?? "",
                mac: try i.string("mac", in: "interfaces") ?? "",
                mtu: try i.int("mtu", in: "interfaces"),
                sandbox: try i.string("sandbox", in: "interfaces") ?? "",
                socketPath: try i.string("socketPath", in: "interfaces") ?? "",
                pciID: try i.string("pciID", in: "interfaces") ?? ""))
        }
        for item in try o.array("ips", in: "result") ?? [] {
            guard let i = item.objectValue else { throw Self.bad("ips", item) }
            let address = try Self.cidr(i, "address", "ips")
            guard let address else { throw CNIError(.decodingFailure, "result ips entry has no address") }
            ips.append(IPConfig(address: address, gateway: try Self.ip(i, "gateway", "ips"),
                                interface: try i.int("interface", in: "ips")))
        }
        for item in try o.array("routes", in: "result") ?? [] { routes.append(try Self.route(item)) }
        if let d = try o.object("dns", in: "result") { dns = try DNS(json: d, context: "result.dns") }
    }

    private init(legacy o: JSONObject) throws(CNIError) {
        self.init()
        for key in ["ip4", "ip6"] {
            guard let block = try o.object(key, in: "result") else { continue }
            if let address = try Self.cidr(block, "ip", key) {
                ips.append(IPConfig(address: address, gateway: try Self.ip(block, "gateway", key)))
            }
            for r in try block.array("routes", in: key) ?? [] { routes.append(try Self.route(r)) }
        }
        if let d = try o.object("dns", in: "result") { dns = try DNS(json: d, context: "result.dns") }
    }

    static func route(_ item: JSON) throws(CNIError) -> Route {
        guard let r = item.objectValue else { throw Self.bad("routes", item) }
        guard let dst = try cidr(r, "dst", "routes") else {
            throw CNIError(.decodingFailure, "route \(item.serialized()) has no dst")
        }
        return Route(dst: dst, gw: try ip(r, "gw", "routes"), mtu: try r.int("mtu", in: "routes"),
                     advmss: try r.int("advmss", in: "routes"), priority: try r.int("priority", in: "routes"),
                     table: try r.int("table", in: "routes"), scope: try r.int("scope", in: "routes"))
    }

    static func cidr(_ o: JSONObject, _ key: String, _ context: String) throws(CNIError) -> IPNetwork? {
        guard let text = try o.string(key, in: context), !text.isEmpty else { return nil }
        guard let n = IPNetwork(text) else {
            throw CNIError(.decodingFailure, "invalid \(context).\(key) \"\(text)\": not a CIDR address")
        }
        return n
    }

    static func ip(_ o: JSONObject, _ key: String, _ context: String) throws(CNIError) -> IPAddress? {
        guard let text = try o.string(key, in: context), !text.isEmpty else { return nil }
        guard let a = IPAddress(text) else {
            throw CNIError(.decodingFailure, "invalid \(context).\(key) \"\(text)\": not an IP address")
        }
        return a
    }

    private static func bad(_ key: String, _ item: JSON) -> CNIError {
        CNIError(.decodingFailure, "invalid result \(key) entry \(item.serialized()): expected an object")
    }
}
