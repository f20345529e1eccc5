// WarmIptables: iptables-restore started ahead of time, so its start-up overlaps the work that computes its batch.
import CNISpec
import CNISystem

/// An `Iptables` whose first `restore` per family goes to an `iptables-restore -w 10 --noflush` (or
/// ip6tables-restore) started when this was made; later calls, `save`, and families not started
/// ahead go to `SystemIptables`. A started tool that is never used is fed an empty batch (it applies
/// nothing) and reaped when this is deinitialised.
///
/// Why: with iptables-nft, nearly all of an iptables-restore run is its own start-up (exec, dynamic
/// loading, extension set-up, ~1.5-3 ms), not the commit. The bridge plugin starts it before IPAM
/// returns the addresses the batch needs.
public final class WarmIptables: Iptables, @unchecked Sendable {
    private let system: SystemIptables
    private var waiting: [IPFamily: RunningProcess] = [:]

    public init(families: Set<IPFamily>, environment: [String: String] = ["PATH": SystemIptables.searchPath]) {
        system = SystemIptables(environment: environment)
        for family in families.sorted(by: { $0 == .v4 && $1 == .v6 }) {
            // A tool that cannot be started here is reported by the ordinary path when it is needed.
            waiting[family] = try? system.startRestore(family)
        }
    }

    /// The process IDs of the tools started ahead and not used yet (for tests).
    public var waitingProcessIDs: [Int32] { waiting.values.map(\.pid) }

    public func save(_ family: IPFamily, table: String) throws(CNIError) -> IptablesTable {
        try system.save(family, table: table)
    }

    public func restore(_ family: IPFamily, batch: String) throws(CNIError) {
        guard let process = waiting.removeValue(forKey: family) else {
            return try system.restore(family, batch: batch)
        }
        _ = try system.check(process.finish(input: Array(batch.utf8)), path: process.path, SystemIptables.restoreArguments,
                         input: Array(batch.utf8))
    }
}
