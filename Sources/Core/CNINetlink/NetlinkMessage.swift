// NetlinkMessage: attribute helpers for the few messages built by hand (where libnl 3.7 has no setter).
import CNISpec
internal import CNetlink

enum NetlinkMessage {
    /// Opens a nested attribute of `type`, lets `body` fill it, and closes it.
    static func nest(_ msg: OpaquePointer, _ type: Int32, _ body: () throws(CNIError) -> Void) throws(CNIError) {
        guard let start = nla_nest_start(msg, type) else { throw CNIError(.systemFailure, "netlink message too large") }
        try body()
        try put(nla_nest_end(msg, start))
    }

    /// Checks the return code of an nla_put*/nlmsg_append call.
    static func put(_ rc: Int32) throws(CNIError) {
        if rc < 0 { throw CNIError(.systemFailure, "building netlink message: \(String(cString: nl_geterror(rc)))") }
    }
}
