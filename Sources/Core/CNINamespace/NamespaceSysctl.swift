// NamespaceSysctl: /proc/sys writes that must happen inside a network namespace, behind a protocol.
import CNISpec
import CNISystem

/// Sets sysctls of one network namespace (/proc/sys/net resolves against the writing thread's netns).
public protocol NamespaceSysctl: AnyObject {
    /// Sets `name` (dotted, or slashed when it holds an interface name) to `value` unless it already
    /// holds it. Returns false, writing nothing, when the entry does not exist (e.g. IPv6 disabled).
    @discardableResult
    func set(_ name: String, _ value: String) throws(CNIError) -> Bool
}

/// The real one: switches into the namespace (or stays put when nil) for each write.
public final class SysctlInNamespace: NamespaceSysctl {
    public let namespace: NetworkNamespace?

    public init(_ namespace: NetworkNamespace?) { self.namespace = namespace }

    @discardableResult
    public func set(_ name: String, _ value: String) throws(CNIError) -> Bool {
        let write = { () throws(CNIError) -> Bool in
            do throws(SystemError) {
                // One read answers both "does it exist" and "does it already hold the value".
                guard let current = try Sysctl.read(name) else { return false }
                if current != value { try FileSystem.write(Sysctl.path(name), contents: Array(value.utf8)) }
                return true
            } catch {
                throw CNIError(error, context: "setting sysctl \(name)=\(value)")
            }
        }
        if let namespace { return try namespace.run(write) }
        return try write()
    }
}
