// Result: the version-independent model of an ADD result (1.1 shape), which every version converts to and from.

public struct Interface: Equatable, Sendable {
    public var name: String
    public var mac: String = ""
    public var mtu: Int? = nil
    public var sandbox: String = ""
    public var socketPath: String = ""
    public var pciID: String = ""

    public init(name: String, mac: String = "", mtu: Int? = nil, sandbox: String = "",
                socketPath: String = "", pciID: String = "") {
        self.name = name; self.mac = mac; self.mtu = mtu; self.sandbox = sandbox
        self.socketPath = socketPath; self.pciID = pciID
    }
}

public struct IPConfig: Equatable, Sendable {
    /// The interface address with its prefix length, e.g. 10.22.0.5/16.
    public var address: IPNetwork
    public var gateway: IPAddress?
    /// Index into `interfaces`; IPAM results leave it out.
    public var interface: Int?

    public init(address: IPNetwork, gateway: IPAddress? = nil, interface: Int? = nil) {
        self.address = address; self.gateway = gateway; self.interface = interface
    }
}

public struct Route: Equatable, Sendable {
    public var dst: IPNetwork
    public var gw: IPAddress?
    public var mtu: Int?
    public var advmss: Int?
    public var priority: Int?
    public var table: Int?
    public var scope: Int?

    public init(dst: IPNetwork, gw: IPAddress? = nil, mtu: Int? = nil, advmss: Int? = nil,
                priority: Int? = nil, table: Int? = nil, scope: Int? = nil) {
        self.dst = dst; self.gw = gw; self.mtu = mtu; self.advmss = advmss
        self.priority = priority; self.table = table; self.scope = scope
    }

    /// Whether this is a default route (0.0.0.0/0 or ::/0).
    public var isDefault: Bool { dst.prefixLength == 0 }
}

public struct CNIResult: Equatable, Sendable {
    public var interfaces: [Interface]
    public var ips: [IPConfig]
    public var routes: [Route]
    public var dns: DNS

    public init(interfaces: [Interface] = [], ips: [IPConfig] = [], routes: [Route] = [], dns: DNS = DNS()) {
        self.interfaces = interfaces; self.ips = ips; self.routes = routes; self.dns = dns
    }
}
