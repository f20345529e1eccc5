// MacvlanCheck: CHECK's comparison of the kernel with the ADD result (master, kind, mode, parent, MAC, addresses, routes).
import CNINetlink
import CNIPlugin
import CNISpec

struct MacvlanCheck {
    /// Where the master lives: the host, or the container with `linkInContainer`.
    let host: any MacvlanNetlink
    let container: any MacvlanNetlink
    let config: MacvlanConfig
    let request: Request

    func verify(_ prev: CNIResult) throws(CNIError) {
        let master = try requireMaster()
        guard let entry = prev.interfaces.first(where: { $0.name == request.ifName && $0.sandbox == request.netns }) else {
            throw fail("prevResult has no interface \(request.ifName) with sandbox \(request.netns)")
        }
        guard let link = try container.link(named: request.ifName) else {
            throw fail("interface \(request.ifName) not found in \(request.netns)")
        }
        guard link.kind == "macvlan", let details = try container.macvlanDetails(of: link) else {
            throw fail("\(request.ifName) in \(request.netns) is not a macvlan (kind \(link.kind ?? "none"))")
        }
        if details.mode != config.mode {
            throw fail("\(request.ifName) is in macvlan mode \(details.mode?.rawValue ?? "unknown"), the config says \(config.mode.rawValue)")
        }
        if let parent = details.parentIndex, parent != master.index {
            throw fail("\(request.ifName) is on link #\(parent), not on master \(master.name) (#\(master.index))")
        }
        if !entry.mac.isEmpty, let want = MACAddress(entry.mac), link.mac != want {
            throw fail("\(request.ifName) has MAC \(link.mac?.description ?? "none"), the result says \(want)")
        }
        let verifier = InterfaceVerifier(netlink: container)
        try verifier.verifyAddresses(request.ifName, in: prev)
        try verifier.verifyRoutes(request.ifName, in: prev)
    }

    /// The master must still exist; a missing one is a CHECK failure, not a config error.
    private func requireMaster() throws(CNIError) -> Link {
        do {
            return try MacvlanMaster(netlink: host, place: MacvlanMaster.place(linkInContainer: config.linkInContainer))
                .resolve(config)
        } catch where error.code == .invalidNetworkConfig && !error.msg.hasPrefix("invalid mtu") {
            throw fail(error.msg)
        }
    }

    private func fail(_ why: String) -> CNIError { CNIError(.checkFailed, why) }
}
