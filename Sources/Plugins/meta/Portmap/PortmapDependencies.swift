// PortmapDependencies: the side effects the portmap plugin uses, injectable so tests can use fakes.
import CNIFirewall
import CNINetlink
import CNISpec

public struct PortmapDependencies {
    /// The backend programming the mappings.
    public var backend: (PortmapBackendKind) -> any PortmapBackend
    /// Route netlink in the plugin's own (host) namespace, to find the interface for route_localnet.
    public var host: () throws(CNIError) -> any RouteNetlink
    public var conntrack: any ConntrackFlushing

    public init(backend: @escaping (PortmapBackendKind) -> any PortmapBackend,
                host: @escaping () throws(CNIError) -> any RouteNetlink, conntrack: any ConntrackFlushing) {
        self.backend = backend; self.host = host; self.conntrack = conntrack
    }

    /// The real kernel, iptables-save/restore or nft, and conntrack over netlink. Locks live in /run/swift-cni.
    public static func live() -> PortmapDependencies {
        PortmapDependencies(
            backend: { kind in
                kind == .nftables ? NftPortmap(lockPath: "/run/swift-cni/portmap-nftables.lock") as any PortmapBackend
                    : IptablesPortmap(lockPath: "/run/swift-cni/portmap-iptables.lock", kernel: SystemIptablesKernel(),
                                      warm: { WarmIptables(families: $0) })
            },
            host: { () throws(CNIError) in try NetlinkSocket() },
            conntrack: NetlinkConntrack())
    }
}
