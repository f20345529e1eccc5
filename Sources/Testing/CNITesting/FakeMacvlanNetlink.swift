// FakeMacvlanNetlink: an in-memory MacvlanNetlink (a FakeRouteNetlink plus macvlans created into another fake namespace).
import CNINetlink
import CNISpec

/// Fake namespaces for macvlan tests: one `FakeMacvlanNetlink` per namespace path. A macvlan created by
/// one of them appears, with its mode and parent, in the fake registered for `MacvlanOptions.namespace.path`.
public final class FakeMacvlanKernel {
    public private(set) var byPath: [String: FakeMacvlanNetlink] = [:]

    public init() {}

    /// The fake for `path`, created (with only `lo`) the first time it is asked for.
    public func netlink(at path: String) -> FakeMacvlanNetlink {
        if let existing = byPath[path] { return existing }
        let fake = FakeMacvlanNetlink(path: path)
        fake.kernel = self
        byPath[path] = fake
        return fake
    }

    /// Every call logged by every namespace, prefixed with its path.
    public var allCalls: [String] {
        byPath.keys.sorted().flatMap { path in byPath[path]!.calls.map { "\(path): \($0)" } }
    }
}

/// A `MacvlanNetlink` over a `FakeRouteNetlink` (`base`: tables, call log, injected failures; e.g.
/// `failures["createMacvlan"]` or `failures["macvlanDetails"]`).
public final class FakeMacvlanNetlink: MacvlanNetlink, FakeRouteNetlinkWrapper {
    public let base: FakeRouteNetlink
    public let path: String
    weak var kernel: FakeMacvlanKernel?
    /// Macvlan details by link index; `bcqueuelen` as asked at creation.
    public var macvlans: [Int: (details: MacvlanDetails, broadcastQueueLength: Int?)] = [:]

    public init(base: FakeRouteNetlink = FakeRouteNetlink(), path: String) {
        self.base = base
        self.path = path
    }

    public var failures: [String: CNIError] {
        get { base.failures }
        set { base.failures = newValue }
    }
    /// Adds a link as if it already existed, up, with a random MAC.
    @discardableResult
    public func seedLink(_ name: String, kind: String? = nil, mtu: Int = 1500) -> Link {
        seed(name, kind: kind, mtu: mtu, up: true)
    }

    /// Removes a link without logging (e.g. the master vanishing).
    public func removeLink(_ name: String) {
        guard let link = linkNamed(name) else { return }
        base.linkTable.removeAll { $0.index == link.index }
        macvlans[link.index] = nil
    }

    /// Adds a route without logging.
    public func seedRoute(_ route: KernelRoute) { base.routeTable.append(route) }

    // MARK: MacvlanNetlink

    public func createMacvlan(_ options: MacvlanOptions, broadcastQueueLength: Int?) throws(CNIError) {
        try base.record("createMacvlan", "\(options.name) on #\(options.parentIndex) mode \(options.mode)"
                        + "\(broadcastQueueLength.map { " bcqueuelen \($0)" } ?? "") in \(options.namespace.path)")
        guard let parent = base.linkTable.first(where: { $0.index == options.parentIndex }) else {
            throw CNIError(.systemFailure, "creating macvlan \(options.name): No such device")
        }
        let target = kernel?.netlink(at: options.namespace.path) ?? self
        if target.linkNamed(options.name) != nil {
            throw CNIError(.alreadyExists, "creating macvlan \(options.name): Object exists")
        }
        var link = target.base.seedLink(options.name, kind: "macvlan", mtu: options.mtu ?? parent.mtu)
        link.mac = options.mac ?? randomMAC()
        target.replace(link)
        target.macvlans[link.index] = (MacvlanDetails(mode: options.mode, parentIndex: parent.index), broadcastQueueLength)
    }

    public func createMacvlan(_ options: MacvlanOptions) throws(CNIError) {
        try createMacvlan(options, broadcastQueueLength: nil)
    }

    public func macvlanDetails(of link: Link) throws(CNIError) -> MacvlanDetails? {
        try base.record("macvlanDetails", link.name)
        return macvlans[link.index]?.details
    }

    // MARK: RouteNetlink, through `base`

    @discardableResult
    public func deleteLink(_ link: Link) throws(CNIError) -> Bool {
        let existed = try base.deleteLink(link)
        if existed { macvlans[link.index] = nil }
        return existed
    }
}
