// NftPortmap: the nftables backend: list the table, render, apply one `nft -f` transaction, under a lock.
import CNIFirewall
import CNIJSON
import CNINetlink
import CNISpec
import CNISystem

/// Reads a whole table and applies scripts; a fake stands in for tests.
public protocol NftTableAccess {
    /// `nft -j -a list table <family> <name>`; nil when the table does not exist.
    func list(family: String, table: String) throws(CNIError) -> JSON?
    /// `nft -j list map <family> <table> <name>`; nil when it does not exist.
    func listMap(family: String, table: String, name: String) throws(CNIError) -> JSON?
    /// `nft get element <family> <table> <set> { keys }` as text; nil when any key is missing.
    func getElements(family: String, table: String, set: String, keys: [String]) throws(CNIError) -> String?
    /// `nft -f -`: one transaction.
    func apply(_ script: String) throws(CNIError)
}

/// Execs this machine's `nft`.
public struct SystemNftTable: NftTableAccess {
    let command: NftCommand
    public init(environment: [String: String] = ["PATH": SystemIptables.searchPath]) {
        command = NftCommand(environment: environment)
    }

    public func list(family: String, table: String) throws(CNIError) -> JSON? {
        try json(command.run(["-j", "-a", "list", "table", family, table], missingIsNil: true))
    }

    public func listMap(family: String, table: String, name: String) throws(CNIError) -> JSON? {
        try json(command.run(["-j", "list", "map", family, table, name], missingIsNil: true))
    }

    public func getElements(family: String, table: String, set: String, keys: [String]) throws(CNIError) -> String? {
        let out = try? command.run(["get", "element", family, table, set, "{ \(keys.joined(separator: ", ")) }"], missingIsNil: true)
        return out.flatMap { $0 }.map { String(decoding: $0, as: UTF8.self) }
    }

    public func apply(_ script: String) throws(CNIError) { try command.apply(script) }

    private func json(_ out: [UInt8]?) throws(CNIError) -> JSON? {
        guard let out else { return nil }
        do { return try JSON.parse(out) } catch { throw CNIError(.systemFailure, "nft printed invalid JSON: \(error)") }
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

    private func current() throws(CNIError) -> NftPortmapState {
        guard tableMayExist(), let listing = try nft.list(family: "inet", table: NftPortmapRules.table) else { return NftPortmapState() }
        return NftPortmapState(listing: listing)
    }

    /// Fast path, whose cost does not grow with the number of mappings: only the maps of mappings with a
    /// host address are read (for an "any address" mapping of ours, a host-address one of someone else
    /// conflicts), then one transaction creates our elements; the kernel refuses an existing key
    /// (`create`), and a probe element refuses our host-address mapping when someone maps that port on
    /// any address. Any refusal (a conflict, a repeated ADD, a damaged table) takes the slow path: read
    /// the whole table, report conflicts by owner, rewrite the skeleton and replace our elements.
    public func setup(_ owner: RuleOwner, _ config: PortmapConfig) throws(CNIError) {
        let rules = NftPortmapRules(owner: owner, config: config)
        guard rules.applies(.v4) || rules.applies(.v6) else { return }
        try withLock(lockPath) { () throws(CNIError) in
            if tableMayExist(), let fast = rules.fastScript() {
                var specific = NftPortmapState(exists: true)
                if config.mappings.contains(where: { $0.hostIP == nil }) {
                    for name in ["dnat4", "dnat6"] {
                        if let j = try nft.listMap(family: "inet", table: NftPortmapRules.table, name: name) {
                            specific.elements += NftPortmapState(listing: j).elements
                        }
                    }
                }
                let conflicts = rules.conflicts(current: specific)
                if !conflicts.isEmpty { throw CNIError(.alreadyExists, "host port conflict: \(conflicts.joined(separator: "; "))") }
                if (try? nft.apply(fast)) != nil { return }
            }
            let state = try current()
            let conflicts = rules.conflicts(current: state)
            if !conflicts.isEmpty { throw CNIError(.alreadyExists, "host port conflict: \(conflicts.joined(separator: "; "))") }
            try nft.apply(rules.setupScript(current: state))
        }
    }

    /// Fast path when the ADD's mappings and addresses are known: read just this owner's map elements
    /// (`nft get element`), and when each is there with this owner's comment, delete them and the
    /// masquerade elements in one transaction. Anything else reads the whole table and deletes by owner.
    public func teardown(_ owner: RuleOwner, _ config: PortmapConfig?) throws(CNIError) {
        guard tableMayExist() else { return }
        try withLock(lockPath) { () throws(CNIError) in
            if let config, let script = NftPortmapRules(owner: owner, config: config).fastTeardownScript(),
               owns(NftPortmapRules(owner: owner, config: config)), (try? nft.apply(script)) != nil {
                return
            }
            if let script = NftPortmapRules(owner: owner, config: PortmapConfig()).teardownScript(current: try current()) {
                try nft.apply(script)
            }
        }
    }

    /// Whether every map element this owner would have is there, with its comment and data.
    private func owns(_ rules: NftPortmapRules) -> Bool {
        let own = rules.allElements.filter { $0.set.hasPrefix("dnat") }
        for set in Set(own.map(\.set)) {
            let mine = own.filter { $0.set == set }
            guard let text = try? nft.getElements(family: "inet", table: NftPortmapRules.table, set: set, keys: mine.map(\.key)) else {
                return false
            }
            for e in mine where !text.contains("\(e.key) comment \"\(e.comment)\" : \(e.data ?? "")") { return false }
        }
        return true
    }

    public func missing(_ owner: RuleOwner, _ config: PortmapConfig) throws(CNIError) -> [String] {
        NftPortmapRules(owner: owner, config: config).missing(current: try current())
    }

    public func gc(network: String, valid: Set<RuleOwner>) throws(CNIError) {
        guard tableMayExist() else { return }
        try withLock(lockPath) { () throws(CNIError) in
            if let script = NftPortmapRules.gcScript(network: network, valid: valid, current: try current()) { try nft.apply(script) }
        }
    }

    public func status() throws(CNIError) {
        do { _ = try nft.list(family: "inet", table: NftPortmapRules.table) } catch {
            throw CNIError(.pluginNotAvailable, "nftables backend unusable: \(error.msg)", details: error.details)
        }
    }
}
