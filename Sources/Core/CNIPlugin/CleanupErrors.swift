// CleanupErrors: best-effort teardown that goes on past failures and reports them all at the end.
import CNISpec

/// Runs every step of a DEL or GC, collecting failures instead of stopping at the first.
public struct CleanupErrors {
    public private(set) var errors: [String] = []
    public init() {}

    /// Runs one step; a failure is recorded, not thrown.
    public mutating func attempt(_ what: String, _ step: () throws -> Void) {
        do { try step() } catch let e as CNIError { errors.append("\(what): \(e.description)") }
        catch { errors.append("\(what): \(error)") }
    }

    /// The failures of `first`, then those of `second` (steps run on two threads, reported as one).
    public static func merged(_ first: CleanupErrors, _ second: CleanupErrors) -> CleanupErrors {
        var all = first
        all.errors += second.errors
        return all
    }

    /// Throws one CNI error naming every failed step, if any failed.
    public func throwIfAny(code: ErrorCode = .systemFailure) throws(CNIError) {
        guard !errors.isEmpty else { return }
        throw CNIError(code, errors.count == 1 ? errors[0] : "\(errors.count) cleanup steps failed",
                       details: errors.count == 1 ? "" : errors.joined(separator: "; "))
    }
}
