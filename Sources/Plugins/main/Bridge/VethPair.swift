// VethPair: the container's veth, created inside its namespace with the host end born in the host.
import CNINamespace
import CNINetlink
import CNISpec

/// Both ends of a container's veth pair.
struct VethPair {
    let container: Link
    let host: Link

    /// Creates `ifName` in the container namespace with its peer `veth<8 hex>` created directly in
    /// the host namespace (no create-then-move), retrying a few names if one is taken. Nothing is
    /// looked up first: the kernel refuses a taken name (EEXIST), and only then is it found out which.
    static func create(ifName: String, containerNetlink: any RouteNetlink, hostNetlink: any RouteNetlink,
                       hostNamespace: NetworkNamespace, mtu: Int?, mac: MACAddress?) throws(CNIError) -> VethPair {
        var lastError: CNIError?
        for _ in 0..<10 {
            let peer = randomHostName()
            let container: Link
            do {
                container = try containerNetlink.createVeth(VethOptions(
                    name: ifName, peerName: peer, peerNamespace: hostNamespace, mtu: mtu, mac: mac))
            } catch where error.code == .alreadyExists {
                // Either the peer name was taken meanwhile (retry) or ifName appeared (stop).
                if try containerNetlink.link(named: ifName) != nil {
                    throw CNIError(.alreadyExists, "container interface \(ifName) already exists")
                }
                lastError = error
                continue
            }
            do {
                return VethPair(container: container, host: try hostNetlink.requireLink(named: peer))
            } catch {
                _ = try? containerNetlink.deleteLink(container)   // the caller has no handle on it yet
                throw error
            }
        }
        throw CNIError(.systemFailure, "could not find a free host veth name in 10 tries",
                       details: lastError?.description ?? "")
    }

    /// `veth` + 8 random hex digits, as the reference names host ends (NetworkManager ignores veth*).
    static func randomHostName() -> String {
        let digits = Array("0123456789abcdef")
        var g = SystemRandomNumberGenerator()
        return "veth" + String((0..<8).map { _ in digits[Int(g.next() % 16)] })
    }
}
