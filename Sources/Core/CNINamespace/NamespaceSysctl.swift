// NamespaceSysctl: /proc/sys writes that must happen inside a network namespace, behind a protocol.
import CNISpec
import CNISystem
import Glibc

/// Sets sysctls of one network namespace (/proc/sys/net resolves against the writing thread's netns).
public protocol NamespaceSysctl: AnyObject {
    /// Sets `name` (dotted, or slashed when it holds an interface name) to `value` unless it already
    /// holds it. Returns false, writing nothing, when the entry does not exist (e.g. IPv6 disabled).
    @discardableResult
    func set(_ name: String, _ value: String) throws(CNIError) -> Bool
}

/// The real one: switches into the namespace (or stays put when nil) for each write.
///
/// Entries under net/ipv4 and net/ipv6 are opened relative to those two directories, each opened once
/// per namespace: the kernel finds `ipv4` and `ipv6` on a dentry hash chain that holds one of each per
/// network namespace on the machine (0.1-1 ms a lookup with 1000 namespaces, the most in a namespace
/// that never looked it up), while what lies below them hangs off this namespace's own directory (a few
/// µs). (Doing those lookups ahead on a second thread was measured: slower at few pods, as a thread costs
/// more than the lookup there, and ~1 ms faster at 500.) Not for concurrent use.
public final class SysctlInNamespace: NamespaceSysctl {
    public let namespace: NetworkNamespace?
    /// "/proc/sys/net/ipv4" / "/proc/sys/net/ipv6" → that directory in `namespace`, opened from inside it.
    private var directories: [String: FileDescriptor] = [:]

    public init(_ namespace: NetworkNamespace?) { self.namespace = namespace }

    @discardableResult
    public func set(_ name: String, _ value: String) throws(CNIError) -> Bool {
        let write = { () throws(CNIError) -> Bool in
            do throws(SystemError) {
                let entry = try self.entry(name)
                // One read answers both "does it exist" and "does it already hold the value".
                guard let current = try entry.read() else { return false }
                if current != value { try entry.write(value) }
                return true
            } catch {
                throw CNIError(error, context: "setting sysctl \(name)=\(value)")
            }
        }
        if let namespace { return try namespace.run(write) }
        return try write()
    }

    /// Where `name` is: under its family's directory when it has one, else by absolute path. Called inside the namespace.
    private func entry(_ name: String) throws(SystemError) -> Sysctl.Entry {
        let path = Sysctl.path(name)
        for prefix in ["/proc/sys/net/ipv4", "/proc/sys/net/ipv6"] where path.hasPrefix(prefix + "/") {
            let directory: FileDescriptor
            if let open = directories[prefix] {
                directory = open
            } else {
                do {
                    directory = try FileDescriptor(open: prefix, flags: O_RDONLY | O_DIRECTORY)
                } catch where error.errno == ENOENT {
                    break   // no IPv6 in this kernel: the entry is missing, as the plain path will find
                }
                directories[prefix] = directory
            }
            return Sysctl.Entry(directory: directory, relative: String(path.dropFirst(prefix.count + 1)))
        }
        return Sysctl.Entry(directory: nil, relative: path)
    }
}
