// DeviceConf: the net.ipv4.conf.<link> and net.ipv6.conf.<link> settings plugins set or read over netlink instead of
// /proc/sys, and a link's IPv6 address generation mode.
internal import CNetlink

/// One per-link IPv4 setting (`struct ipv4_devconf`, linux/ip.h), as `sysctl net.ipv4.conf.<link>.<name>`.
/// Read and set through netlink (add a case when another is needed): every /proc/sys/net/ipv4 lookup walks a
/// dentry hash chain that holds one `ipv4` entry per network namespace on the machine (~60 µs each with
/// 500 namespaces).
public enum IPv4DeviceConf: Sendable {
    case arpNotify
    case routeLocalnet

    /// The sysctl's name under net.ipv4.conf.<link>.
    public var name: String {
        switch self {
        case .arpNotify: "arp_notify"
        case .routeLocalnet: "route_localnet"
        }
    }

    /// IPV4_DEVCONF_* (1-based, as libnl and IFLA_INET_CONF number them).
    var id: UInt32 {
        switch self {
        case .arpNotify: UInt32(IPV4_DEVCONF_ARP_NOTIFY)
        case .routeLocalnet: UInt32(IPV4_DEVCONF_ROUTE_LOCALNET)
        }
    }
}

/// One of a link's IPv6 settings (`DEVCONF_*`, linux/ipv6.h), as `sysctl net.ipv6.conf.<link>.<name>`.
public enum IPv6DeviceConf: Sendable, Hashable {
    case acceptRA

    public var name: String { "accept_ra" }
    var index: Int { Int(DEVCONF_ACCEPT_RA) }
}

/// How the kernel makes a link's IPv6 link-local address (`ip link set dev NAME addrgenmode MODE`,
/// IN6_ADDR_GEN_MODE_*, linux/if_link.h). A new link takes `net.ipv6.conf.default.addr_gen_mode`.
public enum IPv6AddressGeneration: UInt8, Sendable, CustomStringConvertible {
    case eui64 = 0, none = 1, stablePrivacy = 2, random = 3

    public var description: String {
        switch self {
        case .eui64: "eui64"
        case .none: "none"
        case .stablePrivacy: "stable_secret"
        case .random: "random"
        }
    }
}
