// Conntrack: forgets the UDP flows of a mapped host port over ctnetlink, so a recreated container gets new packets.
import CNIFirewall
import CNISpec

/// Deletes conntrack entries; a fake stands in for tests.
public protocol ConntrackFlushing {
    /// Deletes the UDP entries of `family` whose original destination port is `port`.
    func flushUDP(port: Int, family: IPFamily) throws(CNIError)
}

/// Deletes the entries in-process over nfnetlink (ctnetlink), in the calling thread's network namespace.
///
/// First one IPCTNL_MSG_CT_DELETE carrying a CTA_FILTER on the original tuple's protocol and
/// destination port: the kernel (6.12 and later) deletes the matching entries itself, walking only
/// the non-empty buckets of the conntrack hash (~0.1 ms; `conntrack -D` dumps the whole table, which
/// locks every bucket of the host-wide hash: ~9 ms with 262144 buckets, plus its exec). An older
/// kernel refuses that message (EINVAL or EOPNOTSUPP, nothing deleted): then the entries of the
/// family are dumped and the matching ones deleted one by one by their tuple, as `conntrack -D` does.
public struct NetlinkConntrack: ConntrackFlushing {
    /// Whether to try the kernel-side filtered delete first; false always takes the dump (for tests).
    let filteredDelete: Bool

    public init(filteredDelete: Bool = true) { self.filteredDelete = filteredDelete }

    // linux/netfilter/nfnetlink_conntrack.h
    static let msgGet: UInt8 = 1, msgDelete: UInt8 = 2                         // IPCTNL_MSG_CT_*
    static let tupleOrig: UInt16 = 1, zone: UInt16 = 18, filter: UInt16 = 25  // CTA_*
    static let tupleProto: UInt16 = 2                                         // CTA_TUPLE_PROTO
    static let protoNum: UInt16 = 1, protoDstPort: UInt16 = 3                 // CTA_PROTO_*
    static let filterOrigFlags: UInt16 = 1, filterReplyFlags: UInt16 = 2     // CTA_FILTER_*
    static let filterOnProtoNum: UInt32 = 1 << 3, filterOnDstPort: UInt32 = 1 << 5   // CTA_FILTER_F_CTA_PROTO_*
    static let udp = PortProtocol.udp.number

    public func flushUDP(port: Int, family: IPFamily) throws(CNIError) {
        let nfFamily = NF.family(family)
        do {
            let socket = try NfnetlinkSocket()
            if filteredDelete, (try? socket.request(Self.filteredDelete(port: port, family: nfFamily), "")) != nil { return }
            let entries = try socket.dump(NfnetlinkMessage(subsystem: NF.subsysConntrack, type: Self.msgGet, family: nfFamily),
                                          "listing conntrack entries")
            for entry in entries {
                guard let tuple = entry.attributes.attribute(Self.tupleOrig), Self.isUDP(tuple, toPort: port) else { continue }
                var attributes = NetlinkAttributes()
                attributes.put(Self.tupleOrig | NF.nested, Array(tuple.payload))
                if let zone = entry.attributes.attribute(Self.zone) { attributes.put(Self.zone, Array(zone.payload)) }
                do {
                    _ = try socket.request(NfnetlinkMessage(subsystem: NF.subsysConntrack, type: Self.msgDelete, family: nfFamily,
                                                            attributes: attributes), "deleting a conntrack entry")
                } catch where error.isNotFound {}   // expired meanwhile
            }
        } catch { throw CNIError(.systemFailure, "flushing UDP port \(port) from conntrack: \(error.description)") }
    }

    /// CT_DELETE of every entry whose original tuple is UDP to `port` (a flush with a filter).
    static func filteredDelete(port: Int, family: UInt8) -> NfnetlinkMessage {
        var a = NetlinkAttributes()
        a.nest(tupleOrig) { t in
            t.nest(tupleProto) { p in
                p.put(protoNum, [udp])
                p.put(protoDstPort, [UInt8(port >> 8 & 0xff), UInt8(port & 0xff)])
            }
        }
        a.nest(filter) { f in
            f.put(filterOrigFlags, hostOrder: filterOnProtoNum | filterOnDstPort)
            f.put(filterReplyFlags, hostOrder: 0)
        }
        return NfnetlinkMessage(subsystem: NF.subsysConntrack, type: msgDelete, family: family, attributes: a)
    }

    /// Whether a CTA_TUPLE_ORIG is UDP with destination port `port`.
    static func isUDP(_ tuple: NetlinkAttribute, toPort port: Int) -> Bool {
        guard let proto = tuple.nested.attribute(tupleProto)?.nested, proto.attribute(protoNum)?.payload.first == udp,
              let dst = proto.attribute(protoDstPort)?.payload, dst.count == 2 else { return false }
        return Int(dst[dst.startIndex]) << 8 | Int(dst[dst.startIndex + 1]) == port
    }
}
