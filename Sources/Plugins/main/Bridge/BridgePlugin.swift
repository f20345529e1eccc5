// BridgePlugin: the CNI `bridge` plugin's verbs, each a short list of named steps.
import CNIFirewall
import CNIIPAM
import CNINamespace
import CNINetlink
import CNIPlugin
import CNISpec
import CNISystem

/// A Linux bridge on the host, a veth pair per container, the gateway on the bridge, optional NAT.
/// Config keys and behaviour: README.md beside this file.
public struct BridgePlugin: Plugin {
    let deps: BridgeDependencies

    public init(dependencies: BridgeDependencies = .live()) { deps = dependencies }

    public var about: String { "CNI bridge plugin (swift-cni)" }

    public func add(_ request: Request) throws -> CNIResult {
        let config = try BridgeConfig(request)
        let netns = try NetworkNamespace.open(request.netns)
        let hostNamespace = try NetworkNamespace.current()
        let host = try deps.host()
        let container = try deps.container(netns)
        var undo = Rollback()
        defer { undo.unwind() }

        // Both checked before IPAM runs: a failing ADD must not cost an allocation, and a repeated ADD
        // must not touch the existing lease. (The bridge is checked again under its lock.)
        let existingBridge = try host.link(named: config.bridge)
        if let error = HostBridge.notABridge(existingBridge) { throw error }
        if try container.link(named: request.ifName) != nil {
            throw CNIError(.alreadyExists, "container interface \(request.ifName) already exists in \(request.netns)")
        }
        // IPAM runs on its own thread while the bridge and the veth are set up: only the container's
        // own configuration needs its addresses. Not `dhcp`: it talks over the container's interface,
        // which must exist and be up first (as in the reference, which runs IPAM after the veth).
        let ipamAfterLink = !config.isL2 && PendingAllocation.needsLinkFirst(config.ipamType)
        var allocation = config.isL2 || ipamAfterLink ? nil : PendingAllocation(ipam: deps.ipam, request: request)
        if let allocation { undo.add { try allocation.release() } }
        // The masquerade backend starts its tool now (iptables-restore), for the families the IPAM
        // config names; the rules themselves wait for the addresses.
        let masqueradeBackend = config.ipMasq && !config.isL2
            ? deps.preparedMasquerade(config.ipMasqBackend, BridgeConfig.expectedFamilies(request)) : nil
        // No bridge yet (the host's first pod): IPAM answers first, so that a bad IPAM config or a missing
        // IPAM plugin leaves the host as it was instead of with a new bridge.
        if existingBridge == nil { _ = try allocation?.result() }
        let hostBridge = HostBridge(netlink: host, sysctl: deps.hostSysctl, config: config, lockDirectory: deps.lockDirectory)
        let bridge = try hostBridge.locked { () throws(CNIError) in try hostBridge.ensure() }
        StepTiming.mark("bridge ready")

        let veth = try VethPair.create(ifName: request.ifName, containerNetlink: container, hostNetlink: host,
                                       hostNamespace: hostNamespace, mtu: config.mtu, mac: config.mac)
        undo.add { try container.deleteLink(veth.container) }
        StepTiming.mark("veth created")
        try BridgePort(netlink: host, config: config).attach(veth.host, to: bridge)
        var containerLink = veth.container
        if ipamAfterLink {
            try container.setUp(veth.container)
            containerLink = try container.requireLink(named: request.ifName)
            let late = PendingAllocation(ipam: deps.ipam, request: request)
            undo.add { try late.release() }
            allocation = late
        }

        if config.macSpoofCheck, let mac = containerLink.mac {
            let owner = owner(request)
            try deps.macSpoofCheck(owner).setup(hostVeth: veth.host.name, mac: mac)
            undo.add { try deps.macSpoofCheck(owner).teardown() }
        }

        let ipam = try allocation?.result()
        StepTiming.mark("IPAM result")
        var result = BridgeResult.assemble(config: config, ipam: ipam, bridge: bridge, hostVeth: veth.host,
                                           container: veth.container, sandbox: request.netns)
        // The masquerade rules need only the addresses: their iptables-restore (or nft) runs on its own
        // thread while the container's interface and the gateway are configured.
        var masquerade: BackgroundWork? = nil
        if let backend = masqueradeBackend {
            let (owner, addresses) = (owner(request), result.ips.map(\.address))
            let work = BackgroundWork { try backend.setup(owner, addresses: addresses) }
            masquerade = work
            // One batch or transaction: when it failed, nothing of it is there to remove.
            undo.add { if (try? work.wait()) != nil { try backend.teardown(owner, addresses: addresses) } }
        }
        try ContainerInterface(netlink: container, sysctl: deps.containerSysctl(netns), config: config)
            .configure(containerLink, with: result)
        StepTiming.mark("container interface configured")

        if config.isGateway {
            let gateways = BridgeResult.gatewayAddresses(result)
            let gatewayLink = try hostBridge.locked { () throws(CNIError) -> Link in
                let link = config.vlan != 0 ? try hostBridge.ensureVlanGateway(on: bridge, hostNamespace: hostNamespace) : bridge
                try hostBridge.ensureGateways(gateways, on: link)
                return link
            }
            if gatewayLink.index != bridge.index {
                result.interfaces.append(Interface(name: gatewayLink.name, mac: gatewayLink.mac?.description ?? ""))
            }
            try hostBridge.enableForwarding(Set(gateways.map(\.family)))
        }
        StepTiming.mark("gateway ready")
        try masquerade?.wait()
        StepTiming.mark("masquerade ready")
        result = try BridgeResult.refreshHostMACs(result, host: host)
        StepTiming.mark("host MACs read")
        undo.commit()
        return result
    }

    /// Best effort. The container interface's addresses are removed first, then the link is deleted
    /// (its host peer goes with it) on a second thread while anti-spoofing and masquerade rules are
    /// removed and the IPAM lease is released, since the kernel takes ~20 ms to destroy a veth. The
    /// lease is released only once no interface holds its address (the reference's plugins#666 fix,
    /// which waits for the whole deletion), and, for `dhcp`, before the link goes (its release needs
    /// the link: plugins#791). Rules are found by owner, so they go even when the netns is gone.
    public func del(_ request: Request) throws {
        let config = try BridgeConfig(request)
        var cleanup = CleanupErrors()
        let ipamFirst = !config.isL2 && PendingAllocation.needsLinkFirst(config.ipamType)
        if ipamFirst { cleanup.attempt("releasing IPAM") { () throws(CNIError) in try deps.ipam.del(request) } }
        var teardown = LinkTeardown.none
        cleanup.attempt("deleting \(request.ifName)") { () throws(CNIError) in teardown = try startLinkDeletion(request) }
        // The firewall work runs on a third thread, beside the link deletion and the lease release:
        // removing nftables objects (iptables-nft included) waits for an RCU grace period (~10 ms).
        var firewallErrors = CleanupErrors()
        let found = teardown.addresses
        let firewall = BackgroundWork { [deps] in
            if config.macSpoofCheck {
                firewallErrors.attempt("removing macspoofchk rules") { () throws(CNIError) in try deps.macSpoofCheck(owner(request)).teardown() }
            }
            if config.ipMasq {
                // This attachment's addresses: from prevResult, else as found on the interface. They keep a
                // second interface of the same container on this network (same chain) out of the teardown.
                let known = request.config.prevResult.map { $0.ips.map(\.address) } ?? (found.isEmpty ? nil : found)
                firewallErrors.attempt("removing \(config.ipMasqBackend.rawValue) masquerade") { () throws(CNIError) in
                    try deps.masquerade(config.ipMasqBackend).teardown(owner(request), addresses: known)
                }
                StepTiming.mark("masquerade removed")
                // The other backend too, best effort: the config may have switched since the ADD.
                let other: MasqueradeBackendKind = config.ipMasqBackend == .iptables ? .nftables : .iptables
                try? deps.masquerade(other).teardown(owner(request), addresses: known)
            }
        }
        // The lease goes as soon as no interface holds its addresses: now when they were removed (or
        // there was no link), else once the link is gone. No deletion: no link, or looking for it
        // failed; the lease goes then too (nothing better to do).
        var leaseReleased = config.isL2 || ipamFirst
        func releaseLease() {
            leaseReleased = true
            cleanup.attempt("releasing IPAM") { () throws(CNIError) in try deps.ipam.del(request) }
        }
        if teardown.addressesGone && !leaseReleased { releaseLease() }
        var linkGone = teardown.deletion == nil
        if let deletion = teardown.deletion {
            cleanup.attempt("deleting \(request.ifName)") { try deletion.wait(); linkGone = true }
        }
        if linkGone && !leaseReleased { releaseLease() }
        try? firewall.wait()
        StepTiming.mark("DEL done")
        // Link and lease failures first, then the firewall's (they ran on their own thread).
        try CleanupErrors.merged(cleanup, firewallErrors).throwIfAny()
    }

    /// What DEL found and started in the container namespace.
    private struct LinkTeardown {
        /// The link's deletion, running on its own thread; nil when there was no link to delete.
        var deletion: BackgroundWork?
        /// The link's global addresses, as read before removing them.
        var addresses: [IPNetwork]
        /// True once no interface holds them any more (removed, or no link at all).
        var addressesGone: Bool

        static let none = LinkTeardown(deletion: nil, addresses: [], addressesGone: false)
    }

    /// Reads the container interface's global addresses and removes them, then starts deleting the
    /// link; no work when there is no netns, or it or the link is gone.
    private func startLinkDeletion(_ request: Request) throws(CNIError) -> LinkTeardown {
        let nothing = LinkTeardown(deletion: nil, addresses: [], addressesGone: true)
        guard !request.netns.isEmpty, let netns = try NetworkNamespace.openIfExists(request.netns) else { return nothing }
        let container = try deps.container(netns)
        guard let link = try container.link(named: request.ifName) else { return nothing }
        let addresses = try container.addresses(of: link).map(\.address).filter { !$0.address.isLinkLocal }
        var removed = true
        for address in addresses {
            do { try container.deleteAddress(address, from: link) } catch { removed = false }
        }
        StepTiming.mark("addresses removed")
        return LinkTeardown(deletion: BackgroundWork { _ = try container.deleteLink(link); StepTiming.mark("link deleted") },
                            addresses: addresses, addressesGone: removed)
    }

    public func check(_ request: Request) throws {
        let config = try BridgeConfig(request)
        guard let prev = request.config.prevResult else {
            throw CNIError(.invalidNetworkConfig, "CHECK needs prevResult: the result of the ADD")
        }
        if !config.isL2 { try deps.ipam.check(request) }
        let netns = try NetworkNamespace.open(request.netns)
        try BridgeCheck(host: try deps.host(), container: try deps.container(netns), config: config, request: request)
            .verify(prev)
        if config.ipMasq && !config.isL2 {
            let ips = prev.ips.map(\.address)
            let missing = try deps.masquerade(config.ipMasqBackend).missing(owner(request), addresses: ips)
            if !missing.isEmpty {
                throw CNIError(.checkFailed, "masquerade rules missing: \(missing.joined(separator: ", "))")
            }
        }
    }

    /// Fails with 50 when the bridge name is taken by a link that is not a bridge; then asks IPAM.
    public func status(_ request: Request) throws {
        let config = try BridgeConfig(request)
        if let error = HostBridge.notABridge(try deps.host().link(named: config.bridge), code: .pluginNotAvailable) {
            throw error
        }
        if !config.isL2 { try deps.ipam.status(request) }
    }

    /// IPAM first, then masquerade rules of attachments not in the valid list.
    public func gc(_ request: Request) throws {
        let config = try BridgeConfig(request)
        var cleanup = CleanupErrors()
        if !config.isL2 { cleanup.attempt("IPAM GC") { () throws(CNIError) in try deps.ipam.gc(request) } }
        if config.ipMasq, let valid = request.config.validAttachments {
            let owners = Set(valid.map { RuleOwner(network: request.config.name, containerID: $0.containerID, ifName: $0.ifName) })
            let kind = config.ipMasqBackend
            cleanup.attempt("\(kind.rawValue) masquerade GC") { () throws(CNIError) in
                try deps.masquerade(kind).gc(network: request.config.name, valid: owners)
            }
            // The other backend too, best effort as in DEL: it may hold rules of an older config, or
            // not be installed at all (no `nft` must not fail every GC of an iptables network).
            try? deps.masquerade(kind == .iptables ? .nftables : .iptables).gc(network: request.config.name, valid: owners)
        }
        try cleanup.throwIfAny()
    }

    private func owner(_ request: Request) -> RuleOwner {
        RuleOwner(network: request.config.name, containerID: request.containerID, ifName: request.ifName)
    }
}
