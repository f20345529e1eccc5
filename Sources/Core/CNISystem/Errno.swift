// Errno: the one place that turns a failed syscall (-1 and errno) into a Swift error.
import Glibc
internal import CCNIShims

/// A failed system call: what we were doing, and the errno it returned.
public struct SystemError: Error, Sendable, CustomStringConvertible {
    public let operation: String
    public let errno: Int32

    public init(_ operation: String, errno: Int32) {
        self.operation = operation
        self.errno = errno
    }

    /// The C library's text for the errno, e.g. "File exists".
    public var reason: String { String(cString: strerror(errno)) }
    public var description: String { "\(operation): \(reason)" }

    /// The errno of the last failed call on this thread.
    public static var current: Int32 { ccni_errno() }
}

/// Runs a syscall that returns -1 on failure, retrying on EINTR. `operation` names the object,
/// e.g. `"open /var/lib/cni/networks/net/lock"`.
@discardableResult
public func syscall<T: FixedWidthInteger>(_ operation: @autoclosure () -> String, _ body: () -> T) throws(SystemError) -> T {
    while true {
        let r = body()
        if r != -1 { return r }
        let e = ccni_errno()
        if e == EINTR { continue }
        throw SystemError(operation(), errno: e)
    }
}
