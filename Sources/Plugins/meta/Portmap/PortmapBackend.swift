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

/// The reference's chains, written with one iptables-restore batch per family. Reads and writes happen
/// under one lock, so concurrent ADDs never race on creating the shared chains and the conflict check
/// sees every other attachment's mappings.
///
/// With iptables-nft (`kernel` available for the family) the common cases read the kernel in-process
/// instead of running iptables-save, whose cost grows with the whole nat table: ADD reads the jumps of
/// CNI-HOSTPORT-DNAT (ports and owners, for the conflict check) and checks the shared jumps and rules,
/// then writes only its own chain and jumps; DEL deletes its jumps by handle and its chain in one
/// nfnetlink transaction. Anything unexpected (a possible conflict, a repeated ADD, a missing shared
/// chain or rule, rules this reader does not understand, a refused batch or transaction) takes the
/// full path: iptables-save, then a batch computed from the whole table.
public struct IptablesPortmap: PortmapBackend {
    let iptables: any Iptables
    let lockPath: String
    /// Whether a family's nat table may hold rules (a cheap probe that lets DEL and GC skip a save).
    let tableMayExist: (IPFamily) -> Bool
    /// In-process access to iptables-nft's nat table; nil: always the full path.
    let kernel: (any IptablesKernel)?
    /// Starts the families' iptables-restore ahead of an ADD that reads in-process, so the tool's
    /// start-up overlaps the reads (WarmIptables); nil: restores go to `iptables`.
    let warm: ((Set<IPFamily>) -> any Iptables)?

    public init(_ iptables: any Iptables = SystemIptables(), lockPath: String,
                tableMayExist: @escaping (IPFamily) -> Bool = { NetfilterProbe.iptablesTableMayExist("nat", family: $0) },
                kernel: (any IptablesKernel)? = nil, warm: ((Set<IPFamily>) -> any Iptables)? = nil) {
        self.iptables = iptables; self.lockPath = lockPath; self.tableMayExist = tableMayExist; self.kernel = kernel
        self.warm = warm
    }

    public func setup(_ owner: RuleOwner, _ config: PortmapConfig) throws(CNIError) {
        let rules = IptablesPortmapRules(owner: owner, config: config)
        let families = [IPFamily.v4, .v6].filter(rules.applies)
        guard !families.isEmpty else { return }
        try withLock(lockPath) { () throws(CNIError) in
            let inProcess = Set(families.filter { kernel?.available($0) == true })
            let writer = inProcess.count == families.count ? warm?(inProcess) ?? iptables : iptables
            // Every family is read and checked for conflicts before anything is written: a refusal changes nothing.
            var batches: [(family: IPFamily, batch: String, fast: Bool)] = []
            for family in families {
                if inProcess.contains(family), let batch = fastSetupBatch(rules, family) {
                    batches.append((family, batch, true))
                } else {
                    batches.append((family, try fullSetupBatch(rules, family), false))
                }
            }
            var applied: [IPFamily] = []
            for (family, batch, fast) in batches {
                do throws(CNIError) {
                    if !fast {
                        try writer.restore(family, batch: batch)
                    } else if (try? writer.restore(family, batch: batch)) == nil {
                        // The table changed since it was read (nothing was applied): the full path.
                        try writer.restore(family, batch: try fullSetupBatch(rules, family))
                    }
                    applied.append(family)
                } catch {
                    for f in applied { try? teardown(rules, f, configKnown: true) }
                    throw error
                }
            }
        }
    }

    /// The fast ADD batch (for a family whose iptables is iptables-nft) when the table has the shared
    /// chains and jumps, nothing of this owner, and no jump of another owner on one of our protocol/port
    /// pairs; nil otherwise.
    private func fastSetupBatch(_ rules: IptablesPortmapRules, _ family: IPFamily) -> String? {
        guard let kernel, let jumps = try? kernel.rules(family, IptablesPortmapRules.dnatChain) else { return nil }
        StepTiming.mark("read \(jumps.count) jumps of \(IptablesPortmapRules.dnatChain) (IPv\(family.versionString))")
        var mapped: [PortProtocol: Set<Int>] = [:]
        let own = rules.chain
        for jump in jumps {
            guard let target = jump.target else { continue }
            if target == own { return nil }   // a repeated ADD: its old jumps go by text
            guard target.hasPrefix("CNI-") else { continue }
            guard let number = jump.proto, let proto = PortProtocol(number: number), let ports = jump.dports else { return nil }
            mapped[proto, default: []].formUnion(ports)
        }
        // Another owner maps one of our ports: only the full table tells whether the host addresses overlap.
        if rules.config.mappings(for: family).contains(where: { mapped[$0.proto]?.contains($0.hostPort) == true }) { return nil }
        // The shared jumps and rules, as the full path would find them by their text. POSTROUTING also
        // holds a jump per pod's masquerade: it is read only up to ours, which sits first.
        func has(_ chain: String, _ matching: (IptablesNftRule) -> Bool) -> Bool {
            (try? kernel.contains(family, chain, where: { $0.others == 0 && $0.proto == nil && matching($0) })) == true
        }
        for top in ["PREROUTING", "OUTPUT"] where !has(top, { $0.target == IptablesPortmapRules.dnatChain && $0.matches == ["addrtype"] }) {
            return nil
        }
        if rules.config.snat && rules.config.externalSetMarkChain == nil {
            let bit = rules.markBit
            guard has("POSTROUTING", { $0.target == IptablesPortmapRules.masqChain && $0.matches == ["comment"]
                        && $0.comment == IptablesPortmapRules.masqJumpComment }),
                  has(IptablesPortmapRules.setMarkChain, { $0.xtTarget == "MARK" && $0.setMark == [bit, bit] && $0.matches == ["comment"]
                        && $0.comment == IptablesPortmapRules.setMarkComment }),
                  has(IptablesPortmapRules.masqChain, { $0.xtTarget == "MASQUERADE" && $0.markMatch == [bit, bit] && $0.matches.isEmpty })
            else { return nil }
        }
        StepTiming.mark("shared jumps and rules checked (IPv\(family.versionString))")
        return rules.fastSetupBatch(family)
    }

    /// The ADD batch computed from the whole table (iptables-save); throws on a conflict.
    private func fullSetupBatch(_ rules: IptablesPortmapRules, _ family: IPFamily) throws(CNIError) -> String {
        let current = try iptables.save(family, table: "nat")
        let conflicts = rules.conflicts(family, current: current)
        if !conflicts.isEmpty {
            throw CNIError(.alreadyExists, "host port conflict: \(conflicts.joined(separator: "; "))")
        }
        return rules.setupBatch(family, current: current) ?? ""
    }

    /// Removes this owner's rules from every family whose table may hold some. `config`, when it is the
    /// ADD's, lets legacy iptables try the exact batch first.
    public func teardown(_ owner: RuleOwner, _ config: PortmapConfig?) throws(CNIError) {
        let rules = IptablesPortmapRules(owner: owner, config: config ?? PortmapConfig())
        try withLock(lockPath) { () throws(CNIError) in
            for family in [IPFamily.v4, .v6] where tableMayExist(family) {
                try teardown(rules, family, configKnown: config != nil)
            }
        }
    }

    private func teardown(_ rules: IptablesPortmapRules, _ family: IPFamily, configKnown: Bool) throws(CNIError) {
        if let kernel, kernel.available(family) {
            if fastTeardown(rules, family, kernel) { return }
        } else if configKnown, let batch = rules.knownTeardownBatch(family), (try? iptables.restore(family, batch: batch)) != nil {
            return
        }
        if let batch = rules.teardownBatch(current: try iptables.save(family, table: "nat")) {
            try iptables.restore(family, batch: batch)
        }
    }

    /// iptables-nft: this owner's jumps from CNI-HOSTPORT-DNAT (found by their target) and its chain go in
    /// one transaction. No chain means nothing to do: the kernel keeps no jump to a missing chain. False
    /// (the full path follows) for the legacy CNI-SN- chain, an unreadable table, or a refused
    /// transaction (e.g. a jump to the chain from elsewhere).
    private func fastTeardown(_ rules: IptablesPortmapRules, _ family: IPFamily, _ kernel: any IptablesKernel) -> Bool {
        let chain = rules.chain
        guard let own = kernel.chainExists(family, chain), kernel.chainExists(family, rules.oldChain) == false else { return false }
        guard own else { return true }
        let jumps: [IptablesNftRule]
        do { jumps = try kernel.rules(family, IptablesPortmapRules.dnatChain) ?? [] } catch { return false }
        let mine = jumps.filter { $0.target == chain }.map { (chain: IptablesPortmapRules.dnatChain, handle: $0.handle) }
        StepTiming.mark("read \(jumps.count) jumps of \(IptablesPortmapRules.dnatChain) (IPv\(family.versionString))")
        defer { StepTiming.mark("deleted \(mine.count) jumps and \(chain) (IPv\(family.versionString))") }
        return (try? kernel.delete(family, rules: mine, chains: [chain])) != nil
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
