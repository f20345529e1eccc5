// ReportedError: the CNI error a failed invocation printed, decoded for assertions.
import CNIJSON
import CNIPlugin

/// The error object of a failed `Skeleton.run`: its code, message and details.
public struct ReportedError {
    public let code: Int64
    public let msg: String
    public let details: String
    /// The message with the details appended.
    public var text: String { details.isEmpty ? msg : "\(msg): \(details)" }

    /// Nil unless the invocation failed and printed an error object with a code.
    public init?(_ out: Outcome) {
        guard out.exitCode != 0, let json = try? JSON.parse(out.stdout), let code = json["code"]?.intValue else { return nil }
        self.code = code
        msg = json["msg"]?.stringValue ?? ""
        details = json["details"]?.stringValue ?? ""
    }
}
