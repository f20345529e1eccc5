// IPAMDelegate: how a main plugin reaches its IPAM plugin, behind a protocol so tests can fake it.
import CNIPlugin
import CNISpec
import CNISystem

/// The IPAM verbs a main plugin needs. The real one execs `ipam.type`; tests use a fake.
public protocol IPAMDelegate {
    func add(_ request: Request) throws(CNIError) -> CNIResult
    func del(_ request: Request) throws(CNIError)
    func check(_ request: Request) throws(CNIError)
    func status(_ request: Request) throws(CNIError)
    func gc(_ request: Request) throws(CNIError)
    /// Starts an ADD that runs while the caller goes on; the returned function waits for its result.
    /// Default: `add` on a second thread.
    func startAdd(_ request: Request) -> PendingIPAMAdd
}

/// An IPAM ADD under way; `wait` returns its result (or throws its error), once.
public struct PendingIPAMAdd: @unchecked Sendable {
    public let wait: () throws -> CNIResult
    public init(wait: @escaping () throws -> CNIResult) { self.wait = wait }
}

extension IPAMDelegate {
    public func startAdd(_ request: Request) -> PendingIPAMAdd {
        var result: CNIResult?
        let work = BackgroundWork { result = try self.add(request) }
        return PendingIPAMAdd {
            try work.wait()
            return result!   // set whenever wait() returns without throwing
        }
    }
}
