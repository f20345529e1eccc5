// NetlinkError: the one checker that turns libnl return codes into CNI errors naming the object.
import CNISpec
internal import CNetlink

/// A failed libnl call: what we were doing ("adding 10.22.0.5/16 to veth3f2a") and libnl's own code.
///
/// libnl returns negative `NLE_*` codes (its own number space, not errno); `nl_geterror` gives the text.
struct NetlinkError: Error, CustomStringConvertible {
    let operation: String
    let code: Int32

    var reason: String { String(cString: nl_geterror(code)) }
    var description: String { "\(operation): \(reason)" }

    /// The object does not exist (no such link, address or route).
    var isNotFound: Bool { code == NLE_OBJ_NOTFOUND || code == NLE_NODEV }
    var isExists: Bool { code == NLE_EXIST }

    /// Exists is code 102 (`alreadyExists`); everything else is 100 (`systemFailure`).
    var cniError: CNIError { CNIError(isExists ? .alreadyExists : .systemFailure, description) }
}

enum Netlink {
    /// Throws when a libnl call returned a negative code.
    static func check(_ rc: Int32, _ operation: @autoclosure () -> String) throws(NetlinkError) {
        if rc < 0 { throw NetlinkError(operation: operation(), code: -rc) }
    }

    /// As `check`, but reported straight as a CNI error.
    static func require(_ rc: Int32, _ operation: @autoclosure () -> String) throws(CNIError) {
        if rc < 0 { throw NetlinkError(operation: operation(), code: -rc).cniError }
    }

    /// A dump interrupted by a concurrent change (NLE_DUMP_INTR) is retried this many times.
    static let dumpAttempts = 5
}
