// FakeNamespaces: fake netlinks keyed by namespace path, so a veth made in one puts its peer in another.
import CNISpec

/// A pretend kernel with one `FakeBridgeNetlink` per namespace path. A veth created by one of them with
/// `peerNamespace.path` naming another (or itself) gets its peer there; deleting either end of a pair
/// removes the other, as the kernel does.
///
///     let kernel = FakeNamespaces()
///     let host = kernel.netlink(at: "/proc/thread-self/ns/net")
///     let container = kernel.netlink(at: "/proc/self/ns/net")
public final class FakeNamespaces {
    public private(set) var byPath: [String: FakeBridgeNetlink] = [:]
    private var pairs: [(a: String, aPath: String, b: String, bPath: String)] = []

    public init() {}

    /// The fake for `path`, created (with only `lo`) the first time it is asked for.
    public func netlink(at path: String) -> FakeBridgeNetlink {
        if let existing = byPath[path] { return existing }
        let fake = FakeBridgeNetlink(path: path)
        fake.namespaces = self
        byPath[path] = fake
        return fake
    }

    /// The fake for `path` if one was created.
    public func netlink(registeredAt path: String) -> FakeBridgeNetlink? { byPath[path] }

    /// Every call logged by every namespace, prefixed with its path.
    public var allCalls: [String] {
        byPath.keys.sorted().flatMap { path in byPath[path]!.calls.map { "\(path): \($0)" } }
    }

    /// The veth pairs alive, as (end, its namespace path, peer, its namespace path).
    public var vethPairs: [(a: String, aPath: String, b: String, bPath: String)] { pairs }

    func pair(_ a: String, in aFake: FakeBridgeNetlink, with b: String, in bFake: FakeBridgeNetlink) {
        guard let aPath = aFake.path, let bPath = bFake.path else { return }
        pairs.append((a, aPath, b, bPath))
    }

    func linkDeleted(_ name: String, in fake: FakeBridgeNetlink) {
        guard let path = fake.path else { return }
        var keep: [(a: String, aPath: String, b: String, bPath: String)] = []
        for p in pairs {
            if p.a == name && p.aPath == path {
                byPath[p.bPath]?.removeSilently(p.b)
            } else if p.b == name && p.bPath == path {
                byPath[p.aPath]?.removeSilently(p.a)
            } else {
                keep.append(p)
            }
        }
        pairs = keep
    }
}
