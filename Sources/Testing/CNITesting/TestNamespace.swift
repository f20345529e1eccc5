// TestNamespace: a throwaway network namespace (`ip netns add swcni-t-<random>`) removed when released.
import CNINamespace
import CNISpec
import CNISystem
import Glibc

/// A named network namespace for one test. It is deleted (`ip netns del`) when the object goes away,
/// also when the test fails or throws; links inside it go with it.
public final class TestNamespace {
    public let name: String
    /// `/run/netns/<name>`, what a runtime passes as CNI_NETNS.
    public let path: String
    /// The namespace, held open.
    public let namespace: NetworkNamespace

    /// Whether kernel tests can run: creating namespaces needs root.
    public static var isRoot: Bool { geteuid() == 0 }

    public init(prefix: String = "swcni-t") throws {
        let suffix = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        name = "\(prefix)-\(suffix)"
        path = "/run/netns/\(name)"
        try Self.ip(["netns", "add", name])
        do {
            namespace = try NetworkNamespace.open(path)
        } catch {
            _ = try? Self.ip(["netns", "del", name])
            throw error
        }
    }

    deinit { _ = try? Self.ip(["netns", "del", name]) }

    /// Runs `ip -n <name> <arguments>` and returns its stdout; a non-zero exit throws.
    @discardableResult
    public func ip(_ arguments: String...) throws -> String {
        try Self.ip(["-n", name] + arguments)
    }

    /// A /proc/sys entry of this namespace (`Sysctl.read` inside it); nil when it is missing or unreadable.
    public func sysctl(_ name: String) throws(CNIError) -> String? {
        try namespace.run { () throws(CNIError) in try? Sysctl.read(name) }
    }

    /// Makes the namespace a dead end for routing (`ip route add unreachable default`, v4 and v6), so
    /// nothing a test sends can leave it.
    public func addUnreachableDefaultRoutes() throws {
        try ip("link", "set", "lo", "up")
        try ip("-4", "route", "add", "unreachable", "default")
        try ip("-6", "route", "add", "unreachable", "default")
    }

    /// Runs /usr/sbin/ip (or /sbin/ip) with `arguments`; a non-zero exit throws a CNIError with its stderr.
    @discardableResult
    public static func ip(_ arguments: [String]) throws -> String {
        let tool = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].first(where: FileSystem.isExecutable) ?? "/usr/sbin/ip"
        let out = try Subprocess.run(tool, arguments: arguments, environment: ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin"],
                                     captureStderr: true)
        guard out.succeeded else {
            let stderr = String(decoding: out.stderr, as: UTF8.self).trimmingWhitespace()
            throw CNIError(.systemFailure, "ip \(arguments.joined(separator: " ")) exited \(out.status): \(stderr)")
        }
        return String(decoding: out.stdout, as: UTF8.self)
    }
}
