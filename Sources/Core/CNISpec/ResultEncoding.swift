// ResultEncoding: prints the model in the shape of a requested spec version (the conversion rules of §1.8).
import CNIJSON

extension CNIResult {
    /// The result as JSON in `version`'s shape. Fails for 0.1.0/0.2.0 when there is no IP address,
    /// since those versions cannot express an address-less result.
    public func json(version: SpecVersion) throws(CNIError) -> JSON {
        var o = JSONObject()
        o["cniVersion"] = .string(version.description)
        if version.usesLegacyResult {
            try encodeLegacy(into: &o)
        } else {
            if !interfaces.isEmpty { o["interfaces"] = .array(interfaces.map { encode($0, version) }) }
            if !ips.isEmpty { o["ips"] = .array(ips.map { encode($0, version) }) }
            if !routes.isEmpty { o["routes"] = .array(routes.map(Self.encodeFull)) }
        }
        if !dns.isEmpty { o["dns"] = dns.json }
        return .object(o)
    }

    private func encode(_ i: Interface, _ version: SpecVersion) -> JSON {
        var o = JSONObject()
        o["name"] = .string(i.name)
        if !i.mac.isEmpty { o["mac"] = .string(i.mac) }
        if version >= .v1_0_0 {
            if let mtu = i.mtu, mtu != 0 { o["mtu"] = .int(Int64(mtu)) }
        }
        if !i.sandbox.isEmpty { o["sandbox"] = .string(i.sandbox) }
        if version >= .v1_0_0 {
            if !i.socketPath.isEmpty { o["socketPath"] = .string(i.socketPath) }
            if !i.pciID.isEmpty { o["pciID"] = .string(i.pciID) }
        }
        return .object(o)
    }

    private func encode(_ ip: IPConfig, _ version: SpecVersion) -> JSON {
        var o = JSONObject()
        if let index = ip.interface { o["interface"] = .int(Int64(index)) }
        if version.hasIPVersionField { o["version"] = .string(ip.address.family.versionString) }
        o["address"] = .string(ip.address.description)
        if let gw = ip.gateway { o["gateway"] = .string(gw.description) }
        return .object(o)
    }

    static func encodeFull(_ r: Route) -> JSON {
        var o = JSONObject()
        o["dst"] = .string(r.dst.description)
        if let gw = r.gw { o["gw"] = .string(gw.description) }
        if let v = r.mtu, v != 0 { o["mtu"] = .int(Int64(v)) }
        if let v = r.advmss, v != 0 { o["advmss"] = .int(Int64(v)) }
        if let v = r.priority, v != 0 { o["priority"] = .int(Int64(v)) }
        if let v = r.table { o["table"] = .int(Int64(v)) }
        if let v = r.scope { o["scope"] = .int(Int64(v)) }
        return .object(o)
    }

    /// 0.1.0/0.2.0: the first IPv4 and first IPv6 address; each route goes to the block of its
    /// destination's family when that family has an address, keeping only dst and gw.
    private func encodeLegacy(into o: inout JSONObject) throws(CNIError) {
        let v4 = ips.first { $0.address.family == .v4 }
        let v6 = ips.first { $0.address.family == .v6 }
        if v4 == nil && v6 == nil {
            throw CNIError(.incompatibleVersion, "cannot convert result to spec 0.2.0 or older: no valid IP addresses")
        }
        for (key, ip) in [("ip4", v4), ("ip6", v6)] {
            guard let ip else { continue }
            var block = JSONObject()
            block["ip"] = .string(ip.address.description)
            if let gw = ip.gateway { block["gateway"] = .string(gw.description) }
            let family = ip.address.family
            let own = routes.filter { $0.dst.family == family }.map { r -> JSON in
                var ro = JSONObject()
                ro["dst"] = .string(r.dst.description)
                if let gw = r.gw { ro["gw"] = .string(gw.description) }
                return .object(ro)
            }
            if !own.isEmpty { block["routes"] = .array(own) }
            o[key] = .object(block)
        }
    }
}
