// PendingAllocation: the IPAM ADD, started early and waited for when its addresses are needed.
import CNIPlugin
import CNISpec
import CNISystem

/// Lets a main plugin set up its links while IPAM runs. Not for IPAM that needs the link to exist
/// during its ADD (`dhcp`): see `needsLinkFirst`.
public final class PendingAllocation: @unchecked Sendable {
    private let ipam: any IPAMDelegate
    private let request: Request
    private var allocated: CNIResult?
    private var failure: (any Error)?
    private var pending: PendingIPAMAdd?

    public init(ipam: any IPAMDelegate, request: Request) {
        self.ipam = ipam
        self.request = request
        pending = ipam.startAdd(request)
    }

    /// Waits for the ADD once; later calls see the same outcome.
    private func settle() throws {
        if let pending {
            self.pending = nil
            do { allocated = try pending.wait() } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Waits for IPAM; its error is the ADD's error. A result without addresses is an error too.
    public func result() throws -> CNIResult {
        try settle()
        guard let allocated, !allocated.ips.isEmpty else {
            throw CNIError(.invalidNetworkConfig, "IPAM plugin \(request.config.ipamType ?? "") returned no IP addresses")
        }
        return allocated
    }

    /// Undo: waits for IPAM to finish, then releases whatever it may have reserved (DEL is idempotent,
    /// and the spec asks for a DEL of the delegate after a failed ADD too).
    public func release() throws {
        try? settle()
        // "This attachment already has an address" (a repeated ADD): a DEL would free the address the
        // first ADD holds while its interface still uses it.
        if (failure as? CNIError)?.code == .alreadyExists { return }
        try ipam.del(request)
    }

    /// IPAM types that talk over the container's interface during ADD and DEL, so must not overlap
    /// with creating or deleting it.
    public static func needsLinkFirst(_ ipamType: String?) -> Bool { ipamType == "dhcp" }
}
