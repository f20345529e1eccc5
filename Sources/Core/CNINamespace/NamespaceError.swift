// NamespaceError: why a network namespace path could not be used, and its CNI error.
import CNISpec
import CNISystem

/// Opening or switching to a network namespace failed.
public enum NamespaceError: Error, Sendable, CustomStringConvertible, SystemErrorDescribing {
    /// The path does not exist: DEL treats a vanished netns as success.
    case notFound(path: String)
    /// The path exists but is not a network namespace (a plain file, a mount namespace, ...).
    case notANetworkNamespace(path: String, reason: String)
    /// A system call on the namespace failed.
    case system(SystemError)

    public var description: String {
        switch self {
        case .notFound(let path): return "network namespace \(path) does not exist"
        case .notANetworkNamespace(let path, let reason): return "\(path) is not a network namespace: \(reason)"
        case .system(let error): return error.description
        }
    }

    /// The CNI error: a bad CNI_NETNS path is code 4 (invalid environment), a failed syscall 100.
    public var cniError: CNIError {
        switch self {
        case .notFound, .notANetworkNamespace: return CNIError(.invalidEnvironment, description)
        case .system(let error): return CNIError(error)
        }
    }
}
