// MacvlanNetlink: macvlan creation with every attribute the plugin sets, and reading a macvlan's mode and parent.
import CNISpec

/// What the kernel reports about a macvlan beyond `Link` (`ip -d link show` fields).
public struct MacvlanDetails: Equatable, Sendable {
    /// The mode; nil for a mode this suite does not name (a newer kernel's).
    public var mode: MacvlanMode?
    /// IFLA_LINK: the parent's index, in the parent's namespace (which may not be the link's own).
    public var parentIndex: Int?

    public init(mode: MacvlanMode?, parentIndex: Int?) {
        self.mode = mode; self.parentIndex = parentIndex
    }
}

extension MacvlanMode {
    /// The mode whose MACVLAN_MODE_* bit is `value`, if it is one of ours.
    public init?(kernelValue value: UInt32) {
        guard let mode = Self.allCases.first(where: { $0.kernelValue == value }) else { return nil }
        self = mode
    }
}

/// What the macvlan plugin needs on top of `RouteNetlink`.
public protocol MacvlanNetlink: RouteNetlink {
    /// `ip link add NAME link PARENT netns NS [mtu M] [address MAC] type macvlan mode MODE [bcqueuelen N]`
    ///
    /// Created directly in `options.namespace` under its final name, in one RTM_NEWLINK with
    /// NLM_F_EXCL: a name taken there is an error (code 102), never reused.
    func createMacvlan(_ options: MacvlanOptions, broadcastQueueLength: Int?) throws(CNIError)
    /// `ip -d link show dev NAME`: the macvlan mode and parent; nil when `link` is gone or not a macvlan.
    func macvlanDetails(of link: Link) throws(CNIError) -> MacvlanDetails?
}
