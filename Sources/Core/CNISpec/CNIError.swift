// CNIError: an error as the CNI protocol reports it, with the spec's well-known codes.

/// The error codes of the CNI spec (0-99 reserved) plus this suite's own (100 and up).
public struct ErrorCode: RawRepresentable, Hashable, Sendable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    public static let incompatibleVersion = ErrorCode(rawValue: 1)
    public static let unsupportedField = ErrorCode(rawValue: 2)
    public static let unknownContainer = ErrorCode(rawValue: 3)
    public static let invalidEnvironment = ErrorCode(rawValue: 4)
    public static let ioFailure = ErrorCode(rawValue: 5)
    public static let decodingFailure = ErrorCode(rawValue: 6)
    public static let invalidNetworkConfig = ErrorCode(rawValue: 7)
    public static let tryAgainLater = ErrorCode(rawValue: 11)
    public static let pluginNotAvailable = ErrorCode(rawValue: 50)
    public static let limitedConnectivity = ErrorCode(rawValue: 51)

    /// Suite-specific: a kernel or system call failed (netlink, files, namespaces).
    public static let systemFailure = ErrorCode(rawValue: 100)
    /// Suite-specific: an address pool has no free address.
    public static let addressesExhausted = ErrorCode(rawValue: 101)
    /// Suite-specific: the interface or resource to create already exists.
    public static let alreadyExists = ErrorCode(rawValue: 102)
    /// Suite-specific: a delegated plugin failed or could not be run.
    public static let delegateFailed = ErrorCode(rawValue: 103)
    /// Suite-specific: CHECK found state that differs from the result.
    public static let checkFailed = ErrorCode(rawValue: 104)
}

/// An error the plugin reports to the runtime: `{"cniVersion","code","msg","details"}` on stdout.
public struct CNIError: Error, Sendable, CustomStringConvertible {
    public var code: ErrorCode
    public var msg: String
    public var details: String

    public init(_ code: ErrorCode, _ msg: String, details: String = "") {
        self.code = code; self.msg = msg; self.details = details
    }

    public var description: String { details.isEmpty ? msg : "\(msg): \(details)" }

    /// Wraps a failed system call as a CNI error, with the failing operation in `msg`.
    public init(_ error: SystemErrorDescribing, code: ErrorCode = .systemFailure, context: String? = nil) {
        let text = error.description
        self.init(code, context.map { "\($0): \(text)" } ?? text)
    }

    /// Invalid config value: code 7, message naming the key and the value.
    public static func invalidConfig(_ key: String, _ value: String, _ why: String) -> CNIError {
        CNIError(.invalidNetworkConfig, "invalid \(key) \(value.isEmpty ? "\"\"" : value): \(why)")
    }
}

/// Anything whose description is a readable error text (system errors, netlink errors).
public protocol SystemErrorDescribing: Error, CustomStringConvertible {}
