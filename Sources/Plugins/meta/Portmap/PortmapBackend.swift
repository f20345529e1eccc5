// PortmapBackend: port mappings set up, torn down, checked and garbage-collected, per backend; the iptables one.
import CNIFirewall
import CNINetlink
import CNISpec
import CNISystem

/// The DNAT and hairpin masquerade of attachments, whichever tool programs them.
public protocol PortmapBackend {
    /// Maps `config.mappings` to the container addresses of `owner`, replacing what it had; refuses
    /// (nothing changed) a host port another attachment already maps.
    func setup(_ owner: RuleOwner, _ config: PortmapConfig) throws(CNIError)
    /// Removes every rule of `owner`; nothing to do is success. `config`, when it carries the mappings
    /// and container addresses of the ADD, lets a backend find the rules without reading everything.
    func teardown(_ owner: RuleOwner, _ config: PortmapConfig?) throws(CNIError)
    /// What CHECK finds missing for `owner`; empty when all is in place.
    func missing(_ owner: RuleOwner, _ config: PortmapConfig) throws(CNIError) -> [String]
    /// Removes the rules of `network` whose owner is not in `valid`.
    func gc(network: String, valid: Set<RuleOwner>) throws(CNIError)
    /// Fails when the backend's tool cannot be used.
    func status() throws(CNIError)
}

/// Runs `body` holding the exclusive lock `path` (its directory created if needed).
func withLock<T>(_ path: String, _ body: () throws(CNIError) -> T) throws(CNIError) -> T {
    let lock: FileLock
    do {
        let dir = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)])
        if !dir.isEmpty { try FileSystem.makeDirectories(dir, mode: 0o700) }
        lock = try FileLock(path: path)
    } catch { throw CNIError(error, context: "locking \(path)") }
    return try withExtendedLifetime(lock) { () throws(CNIError) -> T in try body() }
}

/// The reference's chains through iptables-save and one iptables-restore batch per family. Reads and
/// writes happen under one lock, so concurrent ADDs never race on creating the shared chains and the
/// conflict check sees every other attachment's mappings.
public struct IptablesPortmap: PortmapBackend {
    let iptables: any Iptables
    let lockPath: String
    /// Whether a family's nat table may hold rules (a cheap probe that lets DEL and GC skip a save).
    let tableMayExist: (IPFamily) -> Bool

    public init(_ iptables: any Iptables = SystemIptables(), lockPath: String,
                tableMayExist: @escaping (IPFamily) -> Bool = { NetfilterProbe.iptablesTableMayExist("nat", family: $0) }) {
        self.iptables = iptables; self.lockPath = lockPath; self.tableMayExist = tableMayExist
    }

    public func setup(_ owner: RuleOwner, _ config: PortmapConfig) throws(CNIError) {
        let rules = IptablesPortmapRules(owner: owner, config: config)
        let families = [IPFamily.v4, .v6].filter(rules.applies)
        guard !families.isEmpty else { return }
        try withLock(lockPath) { () throws(CNIError) in
            var batches: [(IPFamily, String)] = []
            for family in families {
                let current = try iptables.save(family, table: "nat")
                let conflicts = rules.conflicts(family, current: current)
                if !conflicts.isEmpty {
                    throw CNIError(.alreadyExists, "host port conflict: \(conflicts.joined(separator: "; "))")
                }
                if let batch = rules.setupBatch(family, current: current) { batches.append((family, batch)) }
            }
            for (family, batch) in batches { try iptables.restore(family, batch: batch) }
        }
    }

    public func teardown(_ owner: RuleOwner, _ config: PortmapConfig?) throws(CNIError) {
        let rules = IptablesPortmapRules(owner: owner, config: PortmapConfig())
        try withLock(lockPath) { () throws(CNIError) in
            for family in [IPFamily.v4, .v6] where tableMayExist(family) {
                if let batch = rules.teardownBatch(current: try iptables.save(family, table: "nat")) {
                    try iptables.restore(family, batch: batch)
                }
            }
        }
    }

    public func missing(_ owner: RuleOwner, _ config: PortmapConfig) throws(CNIError) -> [String] {
        let rules = IptablesPortmapRules(owner: owner, config: config)
        var problems: [String] = []
        for family in [IPFamily.v4, .v6] where rules.applies(family) {
            problems += rules.missing(family, current: try iptables.save(family, table: "nat"))
        }
        return problems
    }

    public func gc(network: String, valid: Set<RuleOwner>) throws(CNIError) {
        try withLock(lockPath) { () throws(CNIError) in
            for family in [IPFamily.v4, .v6] where tableMayExist(family) {
                let current = try iptables.save(family, table: "nat")
                if let batch = IptablesPortmapRules.gcBatch(network: network, valid: valid, current: current) {
                    try iptables.restore(family, batch: batch)
                }
            }
        }
    }

    public func status() throws(CNIError) {
        do { _ = try iptables.save(.v4, table: "nat") } catch {
            throw CNIError(.pluginNotAvailable, "iptables backend unusable: \(error.msg)", details: error.details)
        }
    }
}
