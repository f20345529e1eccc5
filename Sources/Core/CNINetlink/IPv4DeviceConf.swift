// IPv4DeviceConf: the net.ipv4.conf.<link> settings plugins change over netlink instead of /proc/sys.
internal import CNetlink

/// One per-link IPv4 setting (`struct ipv4_devconf`, linux/ip.h), as `sysctl net.ipv4.conf.<link>.<name>`.
/// Set through netlink (add a case when another is needed): every /proc/sys/net/ipv4 lookup walks a
/// dentry hash chain that holds one `ipv4` entry per network namespace on the machine (~60 µs each with
/// 500 namespaces).
public enum IPv4DeviceConf: Sendable, CaseIterable {
    case arpNotify

    /// The sysctl's name under net.ipv4.conf.<link>.
    public var name: String {
        switch self {
        case .arpNotify: "arp_notify"
        }
    }

    /// IPV4_DEVCONF_* (1-based, as libnl and IFLA_INET_CONF number them).
    var id: UInt32 {
        switch self {
        case .arpNotify: UInt32(IPV4_DEVCONF_ARP_NOTIFY)
        }
    }
}
