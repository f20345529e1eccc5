// NetfilterProbe: asks the kernel whether an nftables table exists, over nfnetlink, without running nft.
import CNISpec
import Glibc
internal import CNetlink

/// Cheap existence checks that let DEL skip a firewall backend that has nothing to remove.
public enum NetfilterProbe {
    /// Whether nftables table `name` of `family` ("ip", "ip6", "inet", "bridge") exists in the calling
    /// thread's network namespace. Errors other than "no such table" count as "maybe" (true).
    public static func tableExists(family: String, name: String) -> Bool {
        let proto: UInt8
        switch family {
        case "ip": proto = UInt8(NFPROTO_IPV4)
        case "ip6": proto = UInt8(NFPROTO_IPV6)
        case "inet": proto = UInt8(NFPROTO_INET)
        case "bridge": proto = UInt8(NFPROTO_BRIDGE)
        default: return true
        }
        guard let sock = nl_socket_alloc() else { return true }
        defer { nl_socket_free(sock) }
        guard nl_connect(sock, NETLINK_NETFILTER) == 0 else { return true }
        let type = Int32((NFNL_SUBSYS_NFTABLES << 8) | Int32(NFT_MSG_GETTABLE.rawValue))
        guard let msg = nlmsg_alloc_simple(type, NLM_F_REQUEST | NLM_F_ACK) else { return true }
        var header = nfgenmsg(nfgen_family: proto, version: UInt8(NFNETLINK_V0), res_id: 0)
        guard nlmsg_append(msg, &header, MemoryLayout<nfgenmsg>.size, Int32(NLMSG_ALIGNTO)) == 0,
              nla_put_string(msg, Int32(NFTA_TABLE_NAME.rawValue), name) == 0 else {
            nlmsg_free(msg)
            return true
        }
        let rc = nl_send_sync(sock, msg)   // frees msg
        return !(rc == -NLE_OBJ_NOTFOUND || rc == -NLE_NOADDR || rc == -NLE_NODEV)
    }

    /// Whether iptables may hold rules in `table` for `family`: the nft-backed iptables keeps them in
    /// nftables table `ip <table>` / `ip6 <table>`; legacy iptables lists its tables in /proc/net.
    public static func iptablesTableMayExist(_ table: String, family: IPFamily) -> Bool {
        if tableExists(family: family == .v4 ? "ip" : "ip6", name: table) { return true }
        let names = family == .v4 ? "/proc/net/ip_tables_names" : "/proc/net/ip6_tables_names"
        guard let fd = Optional(open(names, O_RDONLY)), fd >= 0 else { return false }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 256)
        let n = read(fd, &buffer, buffer.count)
        guard n > 0 else { return false }
        return String(decoding: buffer[0..<n], as: UTF8.self).split(separator: "\n").contains(Substring(table))
    }
}
