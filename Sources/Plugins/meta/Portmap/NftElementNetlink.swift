// NftElementNetlink: the portmap table's map and set elements read and changed over nfnetlink, without nft.
import CNIFirewall
import CNISpec

/// One element change of a transaction, in the element syntax of NftPortmapRules.
public enum NftElementChange: Equatable, Sendable, CustomStringConvertible {
    /// Added; the kernel refuses the whole transaction if the key exists (`nft create element`).
    case create(NftElement)
    /// Added; an identical element already there is kept (`nft add element`).
    case add(NftElement)
    /// Deleted; the kernel refuses the whole transaction if the key is missing (`nft delete element`).
    case delete(set: String, key: String)

    /// The same change as an nft command.
    public var description: String {
        let t = "inet \(NftPortmapRules.table)"
        switch self {
        case .create(let e): return "create element \(t) \(e.set) { \(Self.body(e)) }"
        case .add(let e): return "add element \(t) \(e.set) { \(Self.body(e)) }"
        case .delete(let set, let key): return "delete element \(t) \(set) { \(key) }"
        }
    }

    static func body(_ e: NftElement) -> String {
        e.key + (e.comment.isEmpty ? "" : " comment \"\(e.comment)\"") + (e.data.map { " : \($0)" } ?? "")
    }
}

/// nft values of the portmap maps and sets as the kernel stores them: a concatenation is its parts one
/// after the other, each padded to 4 bytes (nft's 32-bit registers); addresses and ports in network
/// order, a protocol as its number. A prefix (`10.0.0.0/24`) is a range: the key holds its first
/// address and the key end its last, as nft sends elements of interval sets.
enum NftElementCodec {
    enum Part { case ipv4, ipv6, proto, port }

    /// The key and data layouts of the portmap table's maps and sets, by name (NftPortmapRules.skeleton).
    static func layout(_ set: String) -> (key: [Part], data: [Part]?)? {
        switch set {
        case "dnat4": return ([.ipv4, .proto, .port], [.ipv4, .port])
        case "dnat6": return ([.ipv6, .proto, .port], [.ipv6, .port])
        case "dnat4any": return ([.proto, .port], [.ipv4, .port])
        case "dnat6any": return ([.proto, .port], [.ipv6, .port])
        case "masq4": return ([.ipv4, .ipv4], nil)
        case "masq6": return ([.ipv6, .ipv6], nil)
        default: return nil
        }
    }

    /// Whether the set holds ranges (`flags interval`).
    static func isInterval(_ set: String) -> Bool { set.hasPrefix("masq") }

    /// The bytes of `text` (`tcp . 8080`, `10.0.0.0/24 . 10.0.0.2`) laid out as `parts`: the start, and
    /// the end when a part is a prefix. Nil when the text does not fit the layout.
    static func encode(_ text: String, _ parts: [Part]) -> (start: [UInt8], end: [UInt8]?)? {
        let words = text.split(separator: " . ", omittingEmptySubsequences: false).map(String.init)
        guard words.count == parts.count else { return nil }
        var start: [UInt8] = [], end: [UInt8] = [], ranged = false
        for (word, part) in zip(words, parts) {
            switch part {
            case .ipv4, .ipv6:
                let family: IPFamily = part == .ipv4 ? .v4 : .v6
                if word.contains("/") {
                    guard let net = IPNetwork(word), net.family == family else { return nil }
                    start += net.network.bytes; end += net.last.bytes; ranged = true
                } else {
                    guard let ip = IPAddress(word), ip.family == family else { return nil }
                    start += ip.bytes; end += ip.bytes
                }
            case .proto:
                guard let number = PortProtocol(rawValue: word)?.number ?? UInt8(word) else { return nil }
                start += [number, 0, 0, 0]; end += [number, 0, 0, 0]
            case .port:
                guard let port = UInt16(word) else { return nil }
                let bytes: [UInt8] = [UInt8(port >> 8), UInt8(port & 0xff), 0, 0]
                start += bytes; end += bytes
            }
        }
        return (start, ranged ? end : nil)
    }

    /// The nft text of `bytes` laid out as `parts` (single values only); nil when the length does not fit.
    static func decode(_ bytes: ArraySlice<UInt8>, _ parts: [Part]) -> String? {
        var words: [String] = []
        var at = bytes.startIndex
        for part in parts {
            let size = part == .ipv6 ? 16 : 4
            guard at + size <= bytes.endIndex else { return nil }
            let chunk = Array(bytes[at..<(at + size)])
            switch part {
            case .ipv4, .ipv6:
                let value = chunk.reduce(UInt128(0)) { $0 << 8 | UInt128($1) }
                words.append(IPAddress(family: part == .ipv4 ? .v4 : .v6, value: value).description)
            case .proto:
                words.append(PortProtocol(number: chunk[0])?.rawValue ?? String(chunk[0]))
            case .port:
                words.append(String(Int(chunk[0]) << 8 | Int(chunk[1])))
            }
            at += size
        }
        return at == bytes.endIndex ? words.joined(separator: " . ") : nil
    }

    /// nft's element user data: TLVs of (type, length, value); type 0 is the comment, NUL-terminated.
    static func userdata(comment: String) -> [UInt8] {
        let value = Array(comment.utf8.prefix(254)) + [0]
        return [0, UInt8(value.count)] + value
    }

    static func comment(userdata: ArraySlice<UInt8>) -> String {
        var at = userdata.startIndex
        while at + 2 <= userdata.endIndex {
            let type = userdata[at], length = Int(userdata[at + 1])
            guard at + 2 + length <= userdata.endIndex else { break }
            if type == 0 { return String(decoding: userdata[(at + 2)..<(at + 2 + length)].prefix { $0 != 0 }, as: UTF8.self) }
            at += 2 + length
        }
        return ""
    }
}

/// The element operations of the nftables backend over nfnetlink, in the calling thread's namespace.
struct NftElementNetlink {

    let table: String

    /// Every element of `set`; nil when the table or the set does not exist.
    func elements(_ set: String) throws(CNIError) -> [NftElement]? {
        guard let layout = NftElementCodec.layout(set) else { return nil }
        do {
            let replies = try NfnetlinkSocket().dump(message(NftABI.getSetElem, set: set, elements: []), "listing \(set)")
            return replies.flatMap { decode($0, set: set, layout: layout) }
        } catch where error.isNotFound { return nil } catch { throw error.cniError }
    }

    /// The stored elements of `keys` in `set` (data and comment as they are); nil when any is missing.
    func elements(_ set: String, keys: [String]) -> [NftElement]? {
        guard let layout = NftElementCodec.layout(set) else { return nil }
        var wanted: [NftElement] = []
        for key in keys {
            guard NftElementCodec.encode(key, layout.key) != nil else { return nil }
            wanted.append(NftElement(set: set, key: key, comment: ""))
        }
        guard let replies = try? NfnetlinkSocket().request(message(NftABI.getSetElem, set: set, elements: wanted, keysOnly: true), "") else {
            return nil
        }
        let found = replies.flatMap { decode($0, set: set, layout: layout) }
        return found.count == keys.count ? found : nil
    }

    /// The comments of the rules of `chain` (nft keeps a rule's comment in its user data, type 0); nil
    /// when the chain does not exist.
    func ruleComments(_ chain: String) throws(CNIError) -> [String]? {
        do {
            let replies = try NfnetlinkSocket().dump(NfnetlinkMessage(subsystem: NF.subsysNftables, type: NftABI.getRule, family: NF.protoInet,
                                                                      attributes: NftABI.rules(table: table, chain: chain)), "listing \(chain)")
            return replies.map { r in
                NetlinkAttribute.find(NftABI.ruleUserdata, in: r.body[...]).map { NftElementCodec.comment(userdata: $0) } ?? ""
            }
        } catch where error.isNotFound { return nil } catch { throw error.cniError }
    }

    /// One transaction: all the changes, or none.
    func apply(_ changes: [NftElementChange]) throws(CNIError) {
        var messages: [NfnetlinkMessage] = []
        for change in changes {
            switch change {
            case .create(let e): messages.append(message(NftABI.newSetElem, flags: NF.create | NF.excl, set: e.set, elements: [e]))
            case .add(let e): messages.append(message(NftABI.newSetElem, flags: NF.create, set: e.set, elements: [e]))
            case .delete(let set, let key):
                messages.append(message(NftABI.delSetElem, set: set, elements: [NftElement(set: set, key: key, comment: "")], keysOnly: true))
            }
        }
        do { try NfnetlinkSocket().batch(messages, "changing elements of inet \(table)") } catch {
            throw CNIError(.systemFailure, "\(error.description) (\(changes.map(\.description).joined(separator: "; ")))")
        }
    }

    /// A GET/NEW/DELSETELEM message for `elements` of `set`: keys (and key ends), and unless
    /// `keysOnly` their data and comment. Adds to interval sets always carry a key end (the key for a
    /// single value), deletes only for ranges, as nft sends them.
    func message(_ type: UInt8, flags: UInt16 = 0, set: String, elements: [NftElement], keysOnly: Bool = false) -> NfnetlinkMessage {
        let layout = NftElementCodec.layout(set)
        var a = NetlinkAttributes()
        a.put(NftABI.listTable, string: table)
        a.put(NftABI.listSet, string: set)
        if !elements.isEmpty, let layout {
            a.nest(NftABI.listElements) { list in
                for e in elements {
                    guard let key = NftElementCodec.encode(e.key, layout.key) else { continue }
                    list.nest(NftABI.listElem) { el in
                        el.nest(NftABI.elemKey) { $0.put(NftABI.dataValue, key.start) }
                        if let end = key.end ?? (NftElementCodec.isInterval(set) && type == NftABI.newSetElem ? key.start : nil) {
                            el.nest(NftABI.elemKeyEnd) { $0.put(NftABI.dataValue, end) }
                        }
                        guard !keysOnly else { return }
                        if let data = e.data, let dataLayout = layout.data, let bytes = NftElementCodec.encode(data, dataLayout)?.start {
                            el.nest(NftABI.elemData) { $0.put(NftABI.dataValue, bytes) }
                        }
                        if !e.comment.isEmpty { el.put(NftABI.elemUserdata, NftElementCodec.userdata(comment: e.comment)) }
                    }
                }
            }
        }
        return NfnetlinkMessage(subsystem: NF.subsysNftables, type: type, flags: flags, family: NF.protoInet, attributes: a)
    }

    /// The elements in one NEWSETELEM reply (single values; a range key is shown as start-end).
    func decode(_ reply: NfnetlinkReply, set: String, layout: (key: [NftElementCodec.Part], data: [NftElementCodec.Part]?)) -> [NftElement] {
        guard let list = reply.attributes.attribute(NftABI.listElements) else { return [] }
        return list.nested.compactMap { item -> NftElement? in
            guard item.type == NftABI.listElem else { return nil }
            let fields = item.nested
            guard let keyBytes = fields.attribute(NftABI.elemKey)?.nested.attribute(NftABI.dataValue)?.payload,
                  var key = NftElementCodec.decode(keyBytes, layout.key) else { return nil }
            if let endBytes = fields.attribute(NftABI.elemKeyEnd)?.nested.attribute(NftABI.dataValue)?.payload, endBytes != keyBytes,
               let end = NftElementCodec.decode(endBytes, layout.key) {
                key += "-" + end
            }
            var data: String?
            if let bytes = fields.attribute(NftABI.elemData)?.nested.attribute(NftABI.dataValue)?.payload, let dataLayout = layout.data {
                data = NftElementCodec.decode(bytes, dataLayout)
            }
            let comment = fields.attribute(NftABI.elemUserdata).map { NftElementCodec.comment(userdata: $0.payload) } ?? ""
            return NftElement(set: set, key: key, data: data, comment: comment)
        }
    }
}
