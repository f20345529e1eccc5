// FakeIPAMDelegate: an in-memory IPAMDelegate returning a configured result, recording every call.
import CNIIPAM
import CNIPlugin
import CNISpec

/// Answers ADD with `result`; logs each verb as `"<VERB> <containerID> <ifName>"` in `calls` and keeps the
/// requests; `failures["ADD"]` (or DEL, CHECK, STATUS, GC) makes that verb throw.
public final class FakeIPAMDelegate: IPAMDelegate {
    public var result: CNIResult
    public var failures: [String: CNIError] = [:]
    public private(set) var calls: [String] = []
    public private(set) var requests: [Request] = []
    /// Called with the verb at each call, before it is answered (to look at other fakes' state then).
    public var onCall: ((String) -> Void)?

    public init(result: CNIResult = CNIResult()) { self.result = result }

    /// A result with the given addresses (interface unset, as IPAM plugins leave it).
    public convenience init(addresses: [String], gateways: [String?] = [], routes: [Route] = [], dns: DNS = DNS()) {
        let ips = addresses.enumerated().map { i, text in
            IPConfig(address: IPNetwork(text)!, gateway: (i < gateways.count ? gateways[i] : nil).flatMap { IPAddress($0) })
        }
        self.init(result: CNIResult(ips: ips, routes: routes, dns: dns))
    }

    /// The verbs called, in order.
    public var verbs: [String] { calls.map { String($0.prefix { $0 != " " }) } }

    private func record(_ verb: String, _ request: Request) throws(CNIError) {
        calls.append("\(verb) \(request.containerID) \(request.ifName)")
        requests.append(request)
        onCall?(verb)
        if let error = failures[verb] { throw error }
    }

    public func add(_ request: Request) throws(CNIError) -> CNIResult {
        try record("ADD", request)
        return result
    }
    public func del(_ request: Request) throws(CNIError) { try record("DEL", request) }
    public func check(_ request: Request) throws(CNIError) { try record("CHECK", request) }
    public func status(_ request: Request) throws(CNIError) { try record("STATUS", request) }
    public func gc(_ request: Request) throws(CNIError) { try record("GC", request) }
}
