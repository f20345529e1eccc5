// LoopbackPlugin: the CNI `loopback` plugin's verbs: open CNI_NETNS, then act on its `lo`.
import CNINamespace
import CNINetlink
import CNIPlugin
import CNISpec

/// Brings `lo` up in the container's network namespace. CNI_IFNAME is ignored. No config keys
/// beyond the shared ones; see README.md.
public struct LoopbackPlugin: Plugin {
    public init() {}

    public var about: String { "CNI loopback plugin (swift-cni)" }

    /// `lo` up; the result describes it unless a previous plugin's result is passed through.
    public func add(_ request: Request) throws -> CNIResult {
        let netns = try NetworkNamespace.open(request.netns)
        let addresses = try LoopbackDevice(netlink: NetlinkSocket(in: netns)).bringUp()
        return request.config.prevResult ?? addresses.result(sandbox: request.netns)
    }

    /// `lo` down; no netns, or one already gone, is success.
    public func del(_ request: Request) throws {
        guard !request.netns.isEmpty, let netns = try NetworkNamespace.openIfExists(request.netns) else { return }
        try LoopbackDevice(netlink: NetlinkSocket(in: netns)).bringDown()
    }

    /// `lo` must be up.
    public func check(_ request: Request) throws {
        let netns = try NetworkNamespace.open(request.netns)
        try LoopbackDevice(netlink: NetlinkSocket(in: netns)).verifyUp()
    }
}
