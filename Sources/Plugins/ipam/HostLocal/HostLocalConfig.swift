// HostLocalConfig: the `ipam` keys of host-local, read and validated before anything touches the disk.
import CNIIPAM
import CNIJSON
import CNIPlugin
import CNISpec

/// Everything an ADD, CHECK or STATUS needs, fully validated.
struct HostLocalConfig {
    let rangeSets: [RangeSet]
    let routes: [Route]
    let dataDir: String
    let dns: DNS
    let requested: [IPAddress]

    /// Reads `ipam` (ranges, legacy keys, routes, dataDir, resolvConf), `runtimeConfig.ipRanges` and
    /// the requested addresses. CNI_ARGS keys other than IP (and the usual K8S_*) are rejected unless
    /// IgnoreUnknown is set.
    init(_ request: Request) throws(CNIError) {
        let ipam = try Self.ipam(request.config)
        try request.env.args.validate(known: ["IP"])
        rangeSets = try RangeConfiguration.rangeSets(ipam: ipam, runtimeConfig: request.config.runtimeConfig)
        try RangeConfiguration.checkVersion(rangeSets, request.version)
        routes = try Self.routes(ipam)
        dataDir = try Self.dataDir(request.config)
        dns = try ipam.string("resolvConf", in: "ipam").flatMap { (path) throws(CNIError) -> DNS? in
            path.isEmpty ? nil : try ResolvConf.load(path)
        } ?? DNS()
        requested = try RequestedAddresses.parse(request)
    }

    /// `ipam.dataDir` or the default, all DEL and GC need; an `ipam` object is still required.
    static func dataDir(_ config: NetworkConfig) throws(CNIError) -> String {
        let dir = try ipam(config).string("dataDir", in: "ipam") ?? ""
        return dir.isEmpty ? DiskAddressStore.defaultDataDir : dir
    }

    /// The range sets, or none when the config names none at all (STATUS may come without the
    /// runtime's `ipRanges`); ranges that are given must still be valid.
    static func rangeSetsIfAny(_ config: NetworkConfig) throws(CNIError) -> [RangeSet] {
        let ipam = try ipam(config)
        if ipam["ranges"] == nil && ipam["subnet"] == nil && config.runtimeConfig["ipRanges"] == nil { return [] }
        return try RangeConfiguration.rangeSets(ipam: ipam, runtimeConfig: config.runtimeConfig)
    }

    private static func ipam(_ config: NetworkConfig) throws(CNIError) -> JSONObject {
        guard let ipam = config.ipam else {
            throw CNIError(.invalidNetworkConfig, "IPAM config missing 'ipam' key")
        }
        return ipam
    }

    /// `ipam.routes`: `[{dst, gw?, mtu?, advmss?, priority?, table?, scope?}]`, passed to the result as given.
    private static func routes(_ ipam: JSONObject) throws(CNIError) -> [Route] {
        var routes: [Route] = []
        for (i, item) in (try ipam.array("routes", in: "ipam") ?? []).enumerated() {
            let context = "ipam.routes[\(i)]"
            guard let r = item.objectValue else {
                throw CNIError.invalidConfig(context, item.serialized(), "expected an object")
            }
            guard let dstText = try r.string("dst", in: context), let dst = IPNetwork(dstText) else {
                throw CNIError.invalidConfig("\(context).dst", r["dst"]?.serialized() ?? "", "expected a CIDR destination")
            }
            var gw: IPAddress? = nil
            if let text = try r.string("gw", in: context), !text.isEmpty {
                guard let ip = IPAddress(text), ip.family == dst.family else {
                    throw CNIError.invalidConfig("\(context).gw", text, "expected an IPv\(dst.family.versionString) address")
                }
                gw = ip
            }
            routes.append(Route(dst: dst, gw: gw, mtu: try r.int("mtu", in: context), advmss: try r.int("advmss", in: context),
                                priority: try r.int("priority", in: context), table: try r.int("table", in: context),
                                scope: try r.int("scope", in: context)))
        }
        return routes
    }
}
