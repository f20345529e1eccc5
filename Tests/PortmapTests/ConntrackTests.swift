// ConntrackTests: the ctnetlink UDP flush in a private namespace: the kernel-side filtered delete and the dump fallback
// remove exactly the UDP entries of the port and family, nothing else.
import CNIFirewall
import CNISpec
import CNITesting
import PortmapPlugin
import Testing

@Suite(.enabled(if: TestNamespace.isRoot, "needs root to create network namespaces"))
struct ConntrackTests {
    /// One conntrack entry, created over ctnetlink (IPCTNL_MSG_CT_NEW, as `conntrack -I` does).
    struct Entry: Hashable, CustomStringConvertible {
        var proto: UInt8, source: String, destination: String, sourcePort: Int, port: Int
        var description: String { "\(proto) \(source):\(sourcePort) -> \(destination):\(port)" }

        func create(_ socket: NfnetlinkSocket) throws {
            let v6 = source.contains(":")
            func tuple(_ a: inout NetlinkAttributes, _ src: String, _ dst: String, _ sport: Int, _ dport: Int) {
                a.nest(1) { ip in   // CTA_TUPLE_IP
                    ip.put(v6 ? 3 : 1, IPAddress(src)!.bytes)
                    ip.put(v6 ? 4 : 2, IPAddress(dst)!.bytes)
                }
                a.nest(2) { p in    // CTA_TUPLE_PROTO
                    p.put(1, [proto])
                    p.put(2, [UInt8(sport >> 8), UInt8(sport & 0xff)])
                    p.put(3, [UInt8(dport >> 8), UInt8(dport & 0xff)])
                }
            }
            var a = NetlinkAttributes()
            a.nest(1) { tuple(&$0, source, destination, sourcePort, port) }
            a.nest(2) { tuple(&$0, destination, source, port, sourcePort) }
            a.put(7, bigEndian: UInt32(120))   // CTA_TIMEOUT
            _ = try socket.request(NfnetlinkMessage(subsystem: NF.subsysConntrack, type: 0, flags: NF.create | NF.excl,
                                                    family: v6 ? NF.protoIPv6 : NF.protoIPv4, attributes: a), "creating \(self)")
        }
    }

    /// The UDP and TCP entries of the namespace, as (family, proto, destination port).
    func entries(_ socket: NfnetlinkSocket) throws -> Set<String> {
        var out: Set<String> = []
        for family in [NF.protoIPv4, NF.protoIPv6] {
            for r in try socket.dump(NfnetlinkMessage(subsystem: NF.subsysConntrack, type: 1, family: family), "dump") {
                guard let proto = r.attributes.attribute(1)?.nested.attribute(2)?.nested, let num = proto.attribute(1)?.payload.first, num == 6 || num == 17,
                      let port = proto.attribute(3)?.payload else { continue }
                out.insert("\(family == NF.protoIPv4 ? 4 : 6) \(num == 17 ? "udp" : "tcp") \(Int(port.first!) << 8 | Int(port.last!))")
            }
        }
        return out
    }

    @Test(arguments: [true, false])
    func flushDeletesOnlyTheUDPEntriesOfThePortAndFamily(_ filtered: Bool) throws {
        let ns = try TestNamespace()
        try ns.namespace.run { () throws(CNIError) in
            do {
                let socket = try NfnetlinkSocket()
                for e in [Entry(proto: 17, source: "192.0.2.10", destination: "192.0.2.1", sourcePort: 40000, port: 30010),
                          Entry(proto: 17, source: "192.0.2.11", destination: "192.0.2.1", sourcePort: 40000, port: 30010),
                          Entry(proto: 17, source: "192.0.2.10", destination: "192.0.2.1", sourcePort: 40000, port: 30012),
                          Entry(proto: 6, source: "192.0.2.10", destination: "192.0.2.1", sourcePort: 40000, port: 30010),
                          Entry(proto: 17, source: "2001:db8::10", destination: "2001:db8::1", sourcePort: 40000, port: 30010)] {
                    try e.create(socket)
                }
                #expect(try entries(socket) == ["4 udp 30010", "4 udp 30012", "4 tcp 30010", "6 udp 30010"])
                let conntrack = NetlinkConntrack(filteredDelete: filtered)
                try conntrack.flushUDP(port: 30010, family: .v4)
                #expect(try entries(socket) == ["4 udp 30012", "4 tcp 30010", "6 udp 30010"])
                try conntrack.flushUDP(port: 30010, family: .v6)
                #expect(try entries(socket) == ["4 udp 30012", "4 tcp 30010"])
                try conntrack.flushUDP(port: 30010, family: .v4)   // nothing left to delete: still success
            } catch let error as NetfilterError { throw error.cniError } catch { throw CNIError(.systemFailure, "\(error)") }
        }
    }
}
