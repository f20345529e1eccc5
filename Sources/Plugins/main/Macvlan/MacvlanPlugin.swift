// MacvlanPlugin: the CNI `macvlan` plugin's verbs, each a short list of named steps.
import CNINamespace
import CNINetlink
import CNIPlugin
import CNISpec
import CNISystem
import CNIIPAM

/// A macvlan on a parent ("master") link, created directly in the container's namespace: the container
/// gets its own MAC on the parent's network. Config keys and behaviour: README.md beside this file.
public struct MacvlanPlugin: Plugin {
    let deps: MacvlanDependencies

    public init(dependencies: MacvlanDependencies = .live()) { deps = dependencies }

    public var about: String { "CNI macvlan plugin (swift-cni)" }

    public func add(_ request: Request) throws -> CNIResult {
        let config = try MacvlanConfig(request)
        let netns = try NetworkNamespace.open(request.netns)
        let container = try deps.container(netns)
        let parentSide = config.linkInContainer ? container : try deps.host()
        let master = try MacvlanMaster(netlink: parentSide, place: MacvlanMaster.place(linkInContainer: config.linkInContainer))
            .resolve(config)
        if try container.link(named: request.ifName) != nil {
            throw CNIError(.alreadyExists, "container interface \(request.ifName) already exists in \(request.netns)")
        }
        var undo = Rollback()
        defer { undo.unwind() }

        // IPAM runs on its own thread while the link is created, unless it needs the link (dhcp).
        let early = config.isL2 || PendingAllocation.needsLinkFirst(config.ipamType) ? nil
            : PendingAllocation(ipam: deps.ipam, request: request)
        // Registered first: the spec asks for a delegate DEL after a failed delegate ADD too.
        if let early { undo.add { try early.release() } }
        StepTiming.mark("master resolved")
        let link = try createLink(request, config, master: master, creator: parentSide, netns: netns, container: container)
        StepTiming.mark("macvlan created")
        undo.add { try container.deleteLink(link) }
        var result = CNIResult(interfaces: [Interface(name: link.name, mac: link.mac?.description ?? "", sandbox: request.netns)])
        if !config.isL2 {
            let allocation = early ?? PendingAllocation(ipam: deps.ipam, request: request)
            if early == nil { undo.add { try allocation.release() } }
            let ipam = try allocation.result()
            StepTiming.mark("IPAM result")
            result.ips = ipam.ips.map { var ip = $0; ip.interface = 0; return ip }
            result.routes = ipam.routes
            result.dns = ipam.dns
        }
        if let dns = config.dns { result.dns = dns }
        // The MAC in the result is the one read at creation: nothing here changes a macvlan's address.
        try configure(link, config, result, container: container, sysctl: deps.containerSysctl(netns))
        StepTiming.mark("configured")
        undo.commit()
        return result
    }

    /// Creates the macvlan in the container namespace under its final name and looks it up there.
    private func createLink(_ request: Request, _ config: MacvlanConfig, master: Link, creator: any MacvlanNetlink,
                            netns: NetworkNamespace, container: any MacvlanNetlink) throws(CNIError) -> Link {
        let options = MacvlanOptions(name: request.ifName, parentIndex: master.index, mode: config.mode,
                                     namespace: netns, mtu: config.mtu, mac: config.mac)
        do {
            try creator.createMacvlan(options, broadcastQueueLength: config.broadcastQueueLength)
        } catch where error.code == .alreadyExists {
            throw CNIError(.alreadyExists, "container interface \(request.ifName) already exists in \(request.netns)",
                           details: error.description)
        }
        return try container.requireLink(named: request.ifName)
    }

    /// Gratuitous ARP and unsolicited NA on address changes (as the reference), then the result's
    /// addresses and routes (L3) or just up (L2).
    private func configure(_ link: Link, _ config: MacvlanConfig, _ result: CNIResult, container: any RouteNetlink,
                           sysctl: any NamespaceSysctl) throws(CNIError) {
        let ifName = link.name
        // Through /proc/sys, not netlink (IFLA_INET_CONF): an RTM_SETLINK notifies the link's change to
        // listeners and costs ~0.1 ms more, and a macvlan ADD is ~4 ms.
        _ = try? sysctl.set("net/ipv4/conf/\(ifName)/arp_notify", "1")
        _ = try? sysctl.set("net/ipv6/conf/\(ifName)/ndisc_notify", "1")
        if config.isL2 {
            try container.setUp(link)
        } else {
            try InterfaceConfigurator(netlink: container, sysctl: sysctl).configure(link, with: result)
        }
    }

    /// Best effort, in the reference's order: the IPAM lease first (a DHCP release needs the link),
    /// then the link. A missing netns or link is success; the config is not validated (no master lookup),
    /// so DEL works after the master is gone.
    public func del(_ request: Request) throws {
        var cleanup = CleanupErrors()
        let ipamType = request.config.ipamType
        // The release overlaps the ~20 ms the kernel takes to destroy the link, except for IPAM that
        // needs the link to release (dhcp), which goes strictly first.
        var release: BackgroundWork? = nil
        if ipamType != nil {
            if PendingAllocation.needsLinkFirst(ipamType) {
                cleanup.attempt("releasing IPAM") { () throws(CNIError) in try deps.ipam.del(request) }
            } else {
                release = BackgroundWork { try deps.ipam.del(request) }
            }
        }
        if !request.netns.isEmpty {
            cleanup.attempt("deleting \(request.ifName)") { () throws(CNIError) in
                guard let netns = try NetworkNamespace.openIfExists(request.netns) else { return }
                let container = try deps.container(netns)
                if let link = try container.link(named: request.ifName) { try container.deleteLink(link) }
            }
        }
        if let release { cleanup.attempt("releasing IPAM") { try release.wait() } }
        try cleanup.throwIfAny()
    }

    public func check(_ request: Request) throws {
        let config = try MacvlanConfig(request)
        guard let prev = request.config.prevResult else {
            throw CNIError(.invalidNetworkConfig, "CHECK needs prevResult: the result of the ADD")
        }
        if !config.isL2 { try deps.ipam.check(request) }
        let netns = try NetworkNamespace.open(request.netns)
        let container = try deps.container(netns)
        try MacvlanCheck(host: config.linkInContainer ? container : try deps.host(), container: container,
                         config: config, request: request).verify(prev)
    }

    /// Fails with 50 when the master (named, or the default route's interface) is missing from the
    /// host; then asks IPAM. A master inside containers (`linkInContainer`) cannot be checked here.
    public func status(_ request: Request) throws {
        let config = try MacvlanConfig(request)
        if !config.linkInContainer {
            do {
                _ = try MacvlanMaster(netlink: try deps.host(), place: MacvlanMaster.place(linkInContainer: false)).resolve(config)
            } catch where error.code == .invalidNetworkConfig {
                throw CNIError(.pluginNotAvailable, error.msg, details: error.details)
            }
        }
        if !config.isL2 { try deps.ipam.status(request) }
    }

    /// Only IPAM holds state outside containers.
    public func gc(_ request: Request) throws {
        if request.config.ipamType != nil { try deps.ipam.gc(request) }
    }
}
