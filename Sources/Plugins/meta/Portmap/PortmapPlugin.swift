// PortmapPlugin: the CNI `portmap` plugin's verbs, each a short list of named steps.
import CNIFirewall
import CNIPlugin
import CNISpec
import CNISystem

/// Forwards host ports to the container (DNAT), from other hosts, from the host itself (127.0.0.1
/// included) and from pods on the same bridge (hairpin). Chained after an interface plugin; config
/// keys and behaviour: README.md beside this file.
public struct PortmapPlugin: Plugin {
    let deps: PortmapDependencies

    public init(dependencies: PortmapDependencies = .live()) { deps = dependencies }

    public var about: String { "CNI portmap plugin (swift-cni)" }

    /// Maps the ports, enables route_localnet, forgets stale UDP flows; the result is prevResult.
    public func add(_ request: Request) throws -> CNIResult {
        let config = try PortmapConfig(request)
        guard let prev = request.config.prevResult else {
            throw CNIError(.invalidNetworkConfig, "portmap must be called as a chained plugin: prevResult is missing")
        }
        guard !config.mappings.isEmpty, config.containerV4 != nil || config.containerV6 != nil else { return prev }
        let owner = owner(request)
        let backend = deps.backend(config.backend)
        var undo = Rollback()
        defer { undo.unwind() }
        try backend.setup(owner, config)
        StepTiming.mark("\(config.backend.rawValue) rules set up")
        undo.add { try backend.teardown(owner, config) }
        if config.snat, let v4 = config.containerV4 {
            try LocalnetRouting(netlink: try deps.host()).enable(for: v4.address)
            StepTiming.mark("route_localnet")
        }
        flushUDP(config, families: config.families)
        undo.commit()
        return prev
    }

    /// Removes this attachment's rules from the configured backend, and best effort from the other
    /// (the config may have changed since ADD); then forgets the UDP flows of its ports.
    public func del(_ request: Request) throws {
        let config = try PortmapConfig(request)
        guard !config.mappings.isEmpty else { return }
        var cleanup = CleanupErrors()
        cleanup.attempt("removing \(config.backend.rawValue) port mappings") { () throws(CNIError) in
            try deps.backend(config.backend).teardown(owner(request), config)
        }
        StepTiming.mark("\(config.backend.rawValue) rules removed")
        try? deps.backend(config.backend == .iptables ? .nftables : .iptables).teardown(owner(request), nil)
        StepTiming.mark("the other backend checked")
        flushUDP(config, families: request.config.prevResult == nil ? [.v4, .v6] : config.families)
        try cleanup.throwIfAny()
    }

    public func check(_ request: Request) throws {
        let config = try PortmapConfig(request)
        guard request.config.prevResult != nil else {
            throw CNIError(.invalidNetworkConfig, "CHECK needs prevResult: the result of the ADD")
        }
        guard !config.mappings.isEmpty else { return }
        let missing = try deps.backend(config.backend).missing(owner(request), config)
        if !missing.isEmpty {
            throw CNIError(.checkFailed, "port mapping rules missing: \(missing.joined(separator: "; "))")
        }
    }

    /// Fails with 50 when the configured backend's tool is unusable.
    public func status(_ request: Request) throws {
        try deps.backend(try PortmapConfig(request).backend).status()
    }

    /// Removes the mappings of this network whose attachment is not in the valid list (both backends;
    /// only the configured one's failures are reported).
    public func gc(_ request: Request) throws {
        let config = try PortmapConfig(request)
        guard let valid = request.config.validAttachments else { return }
        let owners = Set(valid.map { RuleOwner(network: request.config.name, containerID: $0.containerID, ifName: $0.ifName) })
        try deps.backend(config.backend).gc(network: request.config.name, valid: owners)
        try? deps.backend(config.backend == .iptables ? .nftables : .iptables).gc(network: request.config.name, valid: owners)
    }

    /// UDP flows to a mapped host port keep their old DNAT until they expire: delete them. Failures
    /// only cost a stale flow, so they are ignored, as in the reference.
    private func flushUDP(_ config: PortmapConfig, families: [IPFamily]) {
        for family in families {
            for m in config.mappings(for: family) where m.proto == .udp {
                try? deps.conntrack.flushUDP(port: m.hostPort, family: family)
            }
        }
        StepTiming.mark("UDP conntrack entries flushed")
    }

    private func owner(_ request: Request) -> RuleOwner {
        RuleOwner(network: request.config.name, containerID: request.containerID, ifName: request.ifName)
    }
}

extension PortmapConfig {
    /// The families the container has an address of.
    var families: [IPFamily] { [IPFamily.v4, .v6].filter { container($0) != nil } }
}
