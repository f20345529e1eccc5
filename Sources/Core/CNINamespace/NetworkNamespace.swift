// NetworkNamespace: an open, validated network namespace and synchronous switching into it.
import CNISpec
import CNISystem
import Glibc
internal import CCNIShims

/// A network namespace held open by its file descriptor (a CNI_NETNS bind mount or /proc/.../ns/net).
///
/// The namespace stays alive while this object does. Switching (`run`) affects only the calling
/// thread and is synchronous; see README.md in this folder for the thread rules.
public final class NetworkNamespace: Sendable, CustomStringConvertible {
    /// The path it was opened from.
    public let path: String
    /// The descriptor, e.g. for IFLA_NET_NS_FD when creating a link directly in this namespace.
    public let fileDescriptor: Int32

    public var description: String { path }

    /// Opens `path` and checks it is a network namespace: fstatfs(2) must report NSFS_MAGIC and
    /// ioctl(NS_GET_NSTYPE) must report CLONE_NEWNET.
    public init(path: String) throws(NamespaceError) {
        let fd: Int32
        do {
            fd = try syscall("open \(path)") { Glibc.open(path, O_RDONLY | O_CLOEXEC) }
        } catch where error.errno == ENOENT {
            throw .notFound(path: path)
        } catch {
            throw .system(error)
        }
        do throws(NamespaceError) {
            try Self.validate(fd, path)
        } catch {
            close(fd)
            throw error
        }
        self.path = path
        fileDescriptor = fd
    }

    private static func validate(_ fd: Int32, _ path: String) throws(NamespaceError) {
        let fsType = ccni_fs_type(fd)
        if fsType == -1 { throw .system(SystemError("fstatfs \(path)", errno: SystemError.current)) }
        if fsType != ccni_nsfs_magic() {
            throw .notANetworkNamespace(path: path, reason: "not a namespace file (nsfs)")
        }
        let kind = ccni_ns_get_type(fd)
        if kind == -1 { throw .system(SystemError("ioctl NS_GET_NSTYPE \(path)", errno: SystemError.current)) }
        if kind != ccni_clone_newnet() {
            throw .notANetworkNamespace(path: path, reason: "a namespace of another kind")
        }
    }

    deinit { close(fileDescriptor) }

    /// Opens CNI_NETNS for ADD or CHECK: every failure, a missing path included, is a CNI error.
    public static func open(_ path: String) throws(CNIError) -> NetworkNamespace {
        do { return try NetworkNamespace(path: path) } catch { throw error.cniError }
    }

    /// Opens CNI_NETNS for DEL: a path that no longer exists gives nil (the container is gone).
    public static func openIfExists(_ path: String) throws(CNIError) -> NetworkNamespace? {
        do { return try NetworkNamespace(path: path) } catch {
            if case .notFound = error { return nil }
            throw error.cniError
        }
    }

    /// The calling thread's own network namespace (/proc/thread-self, not /proc/self: threads differ).
    public static func current() throws(CNIError) -> NetworkNamespace {
        try open("/proc/thread-self/ns/net")
    }

    /// Runs `body` with the calling thread switched into this namespace (setns(2)), and always
    /// switches back before returning, whether `body` returns or throws.
    ///
    /// `body` must stay synchronous on this thread: no `async`, Dispatch or new threads inside.
    /// If switching back fails the thread is in an unknown namespace and the process stops.
    public func run<T>(_ body: () throws(CNIError) -> T) throws(CNIError) -> T {
        let home = try NetworkNamespace.current()
        try enter()
        defer {
            do { try home.enter() } catch {
                fatalError("cannot return to network namespace \(home.path): \(error)")
            }
        }
        return try body()
    }

    /// setns(2) into this namespace, for the calling thread only.
    private func enter() throws(CNIError) {
        do {
            try syscall("setns \(path)") { ccni_setns_net(fileDescriptor) }
        } catch {
            throw CNIError(error)
        }
    }

    /// The namespace's inode number: two handles with the same inode are the same namespace.
    public func inode() throws(CNIError) -> UInt64 {
        var st = stat()
        do {
            try syscall("fstat \(path)") { fstat(fileDescriptor, &st) }
        } catch {
            throw CNIError(error)
        }
        return UInt64(st.st_ino)
    }
}
