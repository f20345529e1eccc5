// BridgeDependencies: the side effects the bridge plugin uses, injectable so tests can use fakes.
import CNIFirewall
import CNIIPAM
import CNINamespace
import CNINetlink
import CNISpec

public struct BridgeDependencies {
    /// Route netlink in the plugin's own (host) namespace.
    public var host: () throws(CNIError) -> any BridgeNetlink
    /// Route netlink inside a container namespace.
    public var container: (NetworkNamespace) throws(CNIError) -> any RouteNetlink
    public var hostSysctl: any NamespaceSysctl
    public var containerSysctl: (NetworkNamespace) -> any NamespaceSysctl
    public var ipam: any IPAMDelegate
    public var masquerade: (MasqueradeBackendKind) -> any MasqueradeBackend
    /// Where the per-bridge lock files live.
    public var lockDirectory: String
    /// The `macspoofchk` rules of one attachment.
    public var macSpoofCheck: (RuleOwner) -> any MacSpoofChecking
    /// The backend an ADD will use, made as the ADD starts for the address families it expects, so
    /// that it can start its tool early (live: iptables-restore, see WarmIptables). Default: `masquerade`.
    public var preparedMasquerade: (MasqueradeBackendKind, Set<IPFamily>) -> any MasqueradeBackend

    public init(host: @escaping () throws(CNIError) -> any BridgeNetlink,
                container: @escaping (NetworkNamespace) throws(CNIError) -> any RouteNetlink,
                hostSysctl: any NamespaceSysctl, containerSysctl: @escaping (NetworkNamespace) -> any NamespaceSysctl,
                ipam: any IPAMDelegate, masquerade: @escaping (MasqueradeBackendKind) -> any MasqueradeBackend,
                lockDirectory: String,
                macSpoofCheck: @escaping (RuleOwner) -> any MacSpoofChecking = { MacSpoofCheck(owner: $0) },
                preparedMasquerade: ((MasqueradeBackendKind, Set<IPFamily>) -> any MasqueradeBackend)? = nil) {
        self.host = host; self.container = container; self.hostSysctl = hostSysctl
        self.containerSysctl = containerSysctl; self.ipam = ipam; self.masquerade = masquerade
        self.lockDirectory = lockDirectory
        self.macSpoofCheck = macSpoofCheck
        self.preparedMasquerade = preparedMasquerade ?? { kind, _ in masquerade(kind) }
    }

    /// The real kernel, iptables/nft and the IPAM plugin found in CNI_PATH.
    public static func live() -> BridgeDependencies {
        // With families (an ADD), rules go in-process where iptables is iptables-nft (IptablesNftMasquerade), and
        // iptables-restore is started ahead of its batch (WarmIptables) for the other families.
        let masquerade = { (kind: MasqueradeBackendKind, families: Set<IPFamily>) -> any MasqueradeBackend in
            if kind == .nftables { return NftMasquerade() }
            let nft = Set(families.filter { SystemIptables().isNftVariant($0) })
            let warm = families.subtracting(nft)
            return IptablesMasquerade(warm.isEmpty ? SystemIptables() : WarmIptables(families: warm), inProcess: nft)
        }
        return BridgeDependencies(
            host: { () throws(CNIError) in try NetlinkSocket() },
            container: { (ns) throws(CNIError) in try NetlinkSocket(in: ns) },
            hostSysctl: SysctlInNamespace(nil),
            containerSysctl: { SysctlInNamespace($0) },
            ipam: ExecIPAMDelegate(),
            masquerade: { masquerade($0, []) },
            lockDirectory: "/run/swift-cni",
            preparedMasquerade: masquerade)
    }
}
