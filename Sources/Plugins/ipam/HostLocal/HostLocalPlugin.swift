// HostLocalPlugin: the host-local IPAM plugin: addresses from local range sets, leases kept on disk.
//
// Beyond the reference: CHECK also verifies that the held addresses match the configured range sets,
// GC removes reservations of attachments the runtime no longer knows, and STATUS reports code 50 when
// the data directory is unusable or a range set is exhausted (an ADD needs one address from every set).
import CNIIPAM
import CNIPlugin
import CNISpec
import CNISystem
import Glibc

public struct HostLocalPlugin: Plugin {
    /// Where lease indexes are kept (see `LeaseIndexFile`); nil: none, every operation scans.
    public let index: LeaseIndexFile?

    public init(index: LeaseIndexFile? = LeaseIndexFile()) { self.index = index }
    public var about: String { "CNI host-local IPAM plugin (swift-cni)" }

    /// Validates the whole config, then reserves one address per range set under the network's lock.
    public func add(_ request: Request) throws -> CNIResult {
        let config = try HostLocalConfig(request)
        let store = try DiskAddressStore(dataDir: config.dataDir, network: request.config.name, index: index)
        let allocator = AddressAllocator(rangeSets: config.rangeSets, store: store)
        try allocator.validate(requested: config.requested)
        try store.create()
        let ips = try allocator.allocate(containerID: request.containerID, ifName: request.ifName, requested: config.requested)
        return CNIResult(ips: ips, routes: config.routes, dns: config.dns)
    }

    /// Releases whatever (container ID, ifname) holds; nothing held, or no directory, is success.
    public func del(_ request: Request) throws {
        let store = try DiskAddressStore(dataDir: try HostLocalConfig.dataDir(request.config), network: request.config.name, index: index)
        guard store.exists else { return }
        try AddressAllocator(rangeSets: [], store: store).release(containerID: request.containerID, ifName: request.ifName)
    }

    /// The attachment must hold an address, every held address must lie in a configured range set,
    /// and every range set must have given it one.
    public func check(_ request: Request) throws {
        let config = try HostLocalConfig(request)
        let store = try DiskAddressStore(dataDir: config.dataDir, network: request.config.name, index: index)
        let id = request.containerID, ifName = request.ifName
        let held = store.exists ? try store.withLock { () throws(CNIError) in try store.find(containerID: id, ifName: ifName) } : []
        if held.isEmpty {
            throw CNIError(.checkFailed, "host-local: failed to find address added by container \(id) (interface \(ifName))")
        }
        for ip in held where !config.rangeSets.contains(where: { $0.contains(ip) }) {
            throw CNIError(.checkFailed, "host-local: address \(ip) held by container \(id) is in no configured range set")
        }
        for (index, set) in config.rangeSets.enumerated() where !held.contains(where: set.contains) {
            throw CNIError(.checkFailed, "host-local: container \(id) (interface \(ifName)) holds no address from range set \(index) (\(set))")
        }
    }

    /// Code 50 when the data directory cannot be created or written, or when a range set has no free
    /// address. Needs no CNI_ARGS and tolerates a config whose ranges come only from `ipRanges`.
    public func status(_ request: Request) throws {
        let rangeSets = try HostLocalConfig.rangeSetsIfAny(request.config)
        let store = try DiskAddressStore(dataDir: try HostLocalConfig.dataDir(request.config), network: request.config.name, index: index)
        do throws(CNIError) {
            try store.create()
            try store.withLock { () throws(CNIError) in try probeWrite(store.directory) }
        } catch {
            throw CNIError(.pluginNotAvailable, "host-local data directory \(store.directory) is not usable: \(error.msg)")
        }
        for usage in try store.usage(of: rangeSets) where usage.isExhausted {
            throw CNIError(.pluginNotAvailable, "no IP addresses available in range set: \(usage.rangeSet)",
                           details: "range set \(usage.index): \(usage.used) of \(usage.capacity) addresses in use")
        }
    }

    /// Removes every reservation whose (container ID, ifname) is not among the valid attachments.
    /// Without a valid-attachments list, nothing is removed.
    public func gc(_ request: Request) throws {
        guard let valid = request.config.validAttachments else { return }
        let store = try DiskAddressStore(dataDir: try HostLocalConfig.dataDir(request.config), network: request.config.name, index: index)
        guard store.exists else { return }
        let failures = try store.collectGarbage(keeping: valid).failures
        if !failures.isEmpty {
            throw CNIError(.systemFailure, "host-local GC could not release \(failures.count) reservation(s)",
                           details: failures.joined(separator: "; "))
        }
    }

    /// Creates and removes a scratch file, proving the directory is writable.
    private func probeWrite(_ directory: String) throws(CNIError) {
        let probe = "\(directory)/.status-probe.\(getpid())"
        do {
            _ = try FileSystem.createExclusive(probe, contents: [])
            try FileSystem.remove(probe)
        } catch {
            throw CNIError(error, context: "writing \(directory)")
        }
    }
}
