// NftPortmap: the nftables backend: list the table, render, apply one `nft -f` transaction, under a lock.
import CNIFirewall
import CNIJSON
import CNINetlink
import CNISpec
import CNISystem

/// Reads a whole table and applies scripts (nft), and reads and changes single elements (nfnetlink); a
/// fake stands in for tests.
public protocol NftTableAccess {
    /// `nft -j -a list table <family> <name>`; nil when the table does not exist.
    func list(family: String, table: String) throws(CNIError) -> JSON?
    /// `nft -f -`: one transaction.
    func apply(_ script: String) throws(CNIError)
    /// Every element of one map or set of the portmap table; nil when it does not exist.
    func elements(set: String) throws(CNIError) -> [NftElement]?
    /// The stored elements of `keys` in `set`, with their data and comments; nil when any key is missing.
    func elements(set: String, keys: [String]) -> [NftElement]?
    /// Element changes as one transaction (all or nothing).
    func change(_ changes: [NftElementChange]) throws(CNIError)
    /// Whether any element or conditional rule has a comment starting with `prefix` (an owner's hash);
    /// true when that cannot be told.
    func holds(commentPrefix prefix: String) -> Bool
}

/// Execs this machine's `nft` for whole-table reads and scripts; single elements go over nfnetlink.
public struct SystemNftTable: NftTableAccess {
    let command: NftCommand
    let elementOps = NftElementNetlink(table: NftPortmapRules.table)

    public init(environment: [String: String] = ["PATH": SystemIptables.searchPath]) {
        command = NftCommand(environment: environment)
    }

    public func list(family: String, table: String) throws(CNIError) -> JSON? {
        guard let out = try command.run(["-j", "-a", "list", "table", family, table], missingIsNil: true) else { return nil }
        do { return try JSON.parse(out) } catch { throw CNIError(.systemFailure, "nft printed invalid JSON: \(error)") }
    }

    public func apply(_ script: String) throws(CNIError) { try command.apply(script) }

    public func elements(set: String) throws(CNIError) -> [NftElement]? { try elementOps.elements(set) }

    public func elements(set: String, keys: [String]) -> [NftElement]? { elementOps.elements(set, keys: keys) }

    public func change(_ changes: [NftElementChange]) throws(CNIError) { try elementOps.apply(changes) }

    public func holds(commentPrefix prefix: String) -> Bool {
        for set in ["dnat4", "dnat4any", "dnat6", "dnat6any", "masq4", "masq6"] {
            guard let elements = try? elementOps.elements(set) else { return true }
            if elements.contains(where: { $0.comment.hasPrefix(prefix) }) { return true }
        }
        guard let comments = try? elementOps.ruleComments("hostports_conditional") else { return true }
        return comments.contains { $0.hasPrefix(prefix) }
    }
}

/// Port mappings in `table inet swcni_portmap`; reads and writes happen under one lock so the conflict
/// check sees every other owner's elements.
public struct NftPortmap: PortmapBackend {
    let nft: any NftTableAccess
    let lockPath: String
    let tableMayExist: () -> Bool

    public init(_ nft: any NftTableAccess = SystemNftTable(), lockPath: String,
                tableMayExist: @escaping () -> Bool = { NetfilterProbe.tableExists(family: "inet", name: NftPortmapRules.table) }) {
        self.nft = nft; self.lockPath = lockPath; self.tableMayExist = tableMayExist
    }

    /// The whole table; `mayExist`: what the probe already said under this lock (nil: probe now).
    private func current(mayExist: Bool? = nil) throws(CNIError) -> NftPortmapState {
        guard mayExist ?? tableMayExist(), let listing = try nft.list(family: "inet", table: NftPortmapRules.table) else { return NftPortmapState() }
        return NftPortmapState(listing: listing)
    }

    /// Fast path, in-process over nfnetlink (no nft exec, no table read): only the maps of mappings with
    /// a host address are read (for an "any address" mapping of ours, a host-address one of someone else
    /// conflicts), then one transaction creates our elements; the kernel refuses an existing key
    /// (`create`), and a probe element refuses our host-address mapping when someone maps that port on
    /// any address. Any refusal (a conflict, a repeated ADD, a damaged table) takes the slow path with
    /// nft: read the whole table, report conflicts by owner, rewrite the skeleton and replace our elements.
    public func setup(_ owner: RuleOwner, _ config: PortmapConfig) throws(CNIError) {
        let rules = NftPortmapRules(owner: owner, config: config)
        guard rules.applies(.v4) || rules.applies(.v6) else { return }
        try withLock(lockPath) { () throws(CNIError) in
            let mayExist = tableMayExist()
            if mayExist, let fast = rules.fastChanges() {
                var specific = NftPortmapState(exists: true)
                if config.mappings.contains(where: { $0.hostIP == nil }) {
                    for family in [IPFamily.v4, .v6] where rules.applies(family) {
                        specific.elements += try nft.elements(set: "dnat\(family.versionString)") ?? []
                    }
                }
                let conflicts = rules.conflicts(current: specific)
                if !conflicts.isEmpty { throw CNIError(.alreadyExists, "host port conflict: \(conflicts.joined(separator: "; "))") }
                if (try? nft.change(fast)) != nil { return }
            }
            let state = try current(mayExist: mayExist)
            let conflicts = rules.conflicts(current: state)
            if !conflicts.isEmpty { throw CNIError(.alreadyExists, "host port conflict: \(conflicts.joined(separator: "; "))") }
            try nft.apply(rules.setupScript(current: state))
        }
    }

    /// Fast path when the ADD's mappings and addresses are known, in-process over nfnetlink: read just
    /// this owner's map elements, and when each is there with this owner's comment and data, delete
    /// them and the masquerade elements in one transaction (nft itself would read the whole set for a
    /// delete). Otherwise, when an in-process scan finds any element or rule of this owner, the whole
    /// table is read with nft and everything of the owner deleted (with the table, when nothing of
    /// anyone else is left).
    public func teardown(_ owner: RuleOwner, _ config: PortmapConfig?) throws(CNIError) {
        guard tableMayExist() else { return }
        try withLock(lockPath) { () throws(CNIError) in
            if let config {
                let rules = NftPortmapRules(owner: owner, config: config)
                if let changes = rules.fastTeardownChanges(), owns(rules), (try? nft.change(changes)) != nil { return }
            }
            // A repeated DEL, or one of the other backend's config: a scan of the elements in-process
            // (nft lists the whole table) finds nothing of this owner, and nothing is done.
            let everything = NftPortmapRules(owner: owner, config: PortmapConfig())
            guard nft.holds(commentPrefix: everything.instanceHash) else { return }
            if let script = everything.teardownScript(current: try current(mayExist: true)) {
                try nft.apply(script)
            }
        }
    }

    /// Whether every map element this owner would have is there, with its comment and data.
    private func owns(_ rules: NftPortmapRules) -> Bool {
        let own = rules.allElements.filter { $0.set.hasPrefix("dnat") }
        for set in Set(own.map(\.set)) {
            let mine = own.filter { $0.set == set }
            guard let stored = nft.elements(set: set, keys: mine.map(\.key)) else { return false }
            for e in mine where !stored.contains(where: { $0.key == e.key && $0.comment == e.comment && $0.data == e.data }) {
                return false
            }
        }
        return true
    }

    public func missing(_ owner: RuleOwner, _ config: PortmapConfig) throws(CNIError) -> [String] {
        NftPortmapRules(owner: owner, config: config).missing(current: try current())
    }

    public func gc(network: String, valid: Set<RuleOwner>) throws(CNIError) {
        guard tableMayExist() else { return }
        try withLock(lockPath) { () throws(CNIError) in
            if let script = NftPortmapRules.gcScript(network: network, valid: valid, current: try current(mayExist: true)) { try nft.apply(script) }
        }
    }

    public func status() throws(CNIError) {
        do { _ = try nft.list(family: "inet", table: NftPortmapRules.table) } catch {
            throw CNIError(.pluginNotAvailable, "nftables backend unusable: \(error.msg)", details: error.details)
        }
    }
}
