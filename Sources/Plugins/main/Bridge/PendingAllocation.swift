// PendingAllocation: the IPAM ADD, started on a second thread and joined when its addresses are needed.
import CNIIPAM
import CNIPlugin
import CNISpec
import CNISystem

final class PendingAllocation: @unchecked Sendable {
    private let ipam: any IPAMDelegate
    private let request: Request
    private var allocated: CNIResult?
    private var work: BackgroundWork?

    init(ipam: any IPAMDelegate, request: Request) {
        self.ipam = ipam
        self.request = request
        work = BackgroundWork { [unowned self] in self.allocated = try self.ipam.add(self.request) }
    }

    /// Waits for IPAM; its error is the ADD's error. A result without addresses is an error too.
    func result() throws -> CNIResult {
        try work?.wait()
        work = nil
        guard let allocated, !allocated.ips.isEmpty else {
            throw CNIError(.invalidNetworkConfig, "IPAM plugin \(request.config.ipamType ?? "") returned no IP addresses")
        }
        return allocated
    }

    /// Undo: waits for IPAM to finish, then releases whatever it may have reserved (DEL is idempotent,
    /// and the spec asks for a DEL of the delegate after a failed ADD too).
    func release() throws {
        try? work?.wait()
        work = nil
        try ipam.del(request)
    }
}
