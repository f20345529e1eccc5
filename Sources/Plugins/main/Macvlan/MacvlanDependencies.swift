// MacvlanDependencies: the side effects the macvlan plugin uses, injectable so tests can use fakes.
import CNIIPAM
import CNINamespace
import CNINetlink
import CNISpec

public struct MacvlanDependencies {
    /// Route netlink in the plugin's own (host) namespace.
    public var host: () throws(CNIError) -> any MacvlanNetlink
    /// Route netlink inside a container namespace.
    public var container: (NetworkNamespace) throws(CNIError) -> any MacvlanNetlink
    public var containerSysctl: (NetworkNamespace) -> any NamespaceSysctl
    public var ipam: any IPAMDelegate

    public init(host: @escaping () throws(CNIError) -> any MacvlanNetlink,
                container: @escaping (NetworkNamespace) throws(CNIError) -> any MacvlanNetlink,
                containerSysctl: @escaping (NetworkNamespace) -> any NamespaceSysctl, ipam: any IPAMDelegate) {
        self.host = host; self.container = container; self.containerSysctl = containerSysctl; self.ipam = ipam
    }

    /// The real kernel and the IPAM plugin found in CNI_PATH.
    public static func live() -> MacvlanDependencies {
        MacvlanDependencies(
            host: { () throws(CNIError) in try NetlinkSocket() },
            container: { (ns) throws(CNIError) in try NetlinkSocket(in: ns) },
            containerSysctl: { SysctlInNamespace($0) },
            ipam: ExecIPAMDelegate())
    }
}
