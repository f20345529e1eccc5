// FakeMasquerade: an in-memory MasqueradeBackend recording setup, teardown, check and GC per owner.
import CNIFirewall
import CNISpec

/// Keeps the masquerade of each owner in `active`; logs calls (`"setup <cid>/<ifname> 10.0.0.2/24"`,
/// `"teardown <cid>/<ifname>"`, `"missing <cid>/<ifname>"`, `"gc <network> <cid>/<ifname>,..."`); `failures["setup"]`
/// (or teardown, missing, gc) makes that operation throw.
public final class FakeMasquerade: MasqueradeBackend {
    /// Which backend this fake stands for, for messages.
    public let name: String
    public var active: [RuleOwner: [IPNetwork]] = [:]
    public var failures: [String: CNIError] = [:]
    public private(set) var calls: [String] = []
    /// The `valid` sets GC was called with.
    public private(set) var gcCalls: [(network: String, valid: Set<RuleOwner>)] = []
    /// Runs after a successful setup: a way to make a later step fail once the rules exist.
    public var afterSetup: (() -> Void)?

    public init(name: String = "iptables") { self.name = name }

    private func record(_ operation: String, _ detail: String) throws(CNIError) {
        calls.append("\(operation) \(detail)")
        if let error = failures[operation] { throw error }
    }

    private static func text(_ owner: RuleOwner) -> String { "\(owner.containerID)/\(owner.ifName)" }

    public func setup(_ owner: RuleOwner, addresses: [IPNetwork]) throws(CNIError) {
        try record("setup", "\(Self.text(owner)) \(addresses.map(\.description).joined(separator: ","))")
        active[owner] = addresses
        afterSetup?()
    }

    /// Logged as `"teardown <cid>/<ifname>"`, followed by the addresses when the caller knew them.
    public func teardown(_ owner: RuleOwner, addresses: [IPNetwork]?) throws(CNIError) {
        let known = addresses.map { " " + $0.map(\.description).joined(separator: ",") } ?? ""
        try record("teardown", Self.text(owner) + known)
        active[owner] = nil
    }

    /// One line per address of `addresses` without a rule for `owner`.
    public func missing(_ owner: RuleOwner, addresses: [IPNetwork]) throws(CNIError) -> [String] {
        try record("missing", Self.text(owner))
        let have = active[owner] ?? []
        return addresses.filter { !have.contains($0) }.map { "\(name) masquerade for \($0) of \(Self.text(owner))" }
    }

    public func gc(network: String, valid: Set<RuleOwner>) throws(CNIError) {
        try record("gc", "\(network) \(valid.map(Self.text).sorted().joined(separator: ","))")
        gcCalls.append((network, valid))
        for owner in active.keys where owner.network == network && !valid.contains(owner) { active[owner] = nil }
    }
}
