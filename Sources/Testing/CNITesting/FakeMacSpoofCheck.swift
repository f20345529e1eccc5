// FakeMacSpoofCheck: records macspoofchk setup and teardown per attachment instead of running nft.
import CNIFirewall
import CNISpec

/// Shared by every attachment's fake: `rules` holds the owners with rules in place.
public final class FakeMacSpoofRules: @unchecked Sendable {
    public private(set) var rules: [RuleOwner: (hostVeth: String, mac: MACAddress)] = [:]
    public private(set) var calls: [String] = []
    /// Makes setup or teardown throw when set ("setup", "teardown").
    public var failures: [String: CNIError] = [:]

    public init() {}

    /// A `BridgeDependencies.macSpoofCheck` factory backed by this fake.
    public func factory() -> (RuleOwner) -> any MacSpoofChecking { { FakeMacSpoofCheck(owner: $0, rules: self) } }

    func record(_ call: String, _ owner: RuleOwner, _ change: () -> Void) throws(CNIError) {
        calls.append("\(call) \(owner.containerID)/\(owner.ifName)")
        if let failure = failures[call] { throw failure }
        change()
    }

    func set(_ owner: RuleOwner, _ value: (hostVeth: String, mac: MACAddress)?) { rules[owner] = value }
}

struct FakeMacSpoofCheck: MacSpoofChecking {
    let owner: RuleOwner
    let rules: FakeMacSpoofRules

    func setup(hostVeth: String, mac: MACAddress) throws(CNIError) {
        try rules.record("setup", owner) { rules.set(owner, (hostVeth, mac)) }
    }

    func teardown() throws(CNIError) {
        try rules.record("teardown", owner) { rules.set(owner, nil) }
    }
}
