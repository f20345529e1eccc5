// BridgeCheck: CHECK's comparison of the kernel with the ADD result (links, MACs, master, addresses, routes).
import CNINetlink
import CNIPlugin
import CNISpec

struct BridgeCheck {
    let host: any RouteNetlink
    let container: any RouteNetlink
    let config: BridgeConfig
    let request: Request

    func verify(_ prev: CNIResult) throws(CNIError) {
        guard let bridgeEntry = prev.interfaces.first(where: { $0.name == config.bridge && $0.sandbox.isEmpty }) else {
            throw fail("prevResult has no interface for bridge \(config.bridge)")
        }
        guard let bridge = try host.link(named: config.bridge), bridge.kind == "bridge" else {
            throw fail("bridge \(config.bridge) is missing or not a bridge")
        }
        try expectMAC(bridgeEntry, bridge)
        guard let entry = prev.interfaces.first(where: { $0.name == request.ifName && $0.sandbox == request.netns }) else {
            throw fail("prevResult has no interface \(request.ifName) in \(request.netns)")
        }
        guard let link = try container.link(named: request.ifName), link.kind == "veth" else {
            throw fail("\(request.ifName) in \(request.netns) is missing or not a veth")
        }
        try expectMAC(entry, link)
        let hostEnds = prev.interfaces.filter { $0.sandbox.isEmpty && $0.name != config.bridge }
        var attached = false
        for end in hostEnds {
            if let l = try host.link(named: end.name), l.kind == "veth", l.masterIndex == bridge.index { attached = true }
        }
        if !attached { throw fail("no host veth of \(request.ifName) is attached to \(config.bridge)") }
        if !config.isL2 {
            let verifier = InterfaceVerifier(netlink: container)
            try verifier.verifyAddresses(request.ifName, in: prev)
            try verifier.verifyRoutes(request.ifName, in: prev)
        }
    }

    private func expectMAC(_ entry: Interface, _ link: Link) throws(CNIError) {
        guard !entry.mac.isEmpty, let want = MACAddress(entry.mac) else { return }
        if link.mac != want {
            throw fail("\(link.name) has MAC \(link.mac?.description ?? "none"), the result says \(want)")
        }
    }

    private func fail(_ why: String) -> CNIError { CNIError(.checkFailed, why) }
}
