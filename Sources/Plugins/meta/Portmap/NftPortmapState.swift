// NftPortmapState: what `nft -j -a list table inet swcni_portmap` holds: map and set elements, rules, owners.
import CNIFirewall
import CNIJSON

/// One element of a map or set: its key (and data) in nft syntax, and the owner comment.
public struct NftElement: Equatable, Sendable {
    public let set: String
    public let key: String
    public let data: String?
    public let comment: String

    public init(set: String, key: String, data: String? = nil, comment: String) {
        self.set = set; self.key = key; self.data = data; self.comment = comment
    }
}

/// The portmap table as listed; an absent table is empty.
public struct NftPortmapState: Equatable, Sendable {
    public var exists = false
    public var elements: [NftElement] = []
    public var rules: [NftRule] = []

    public init(exists: Bool = false, elements: [NftElement] = [], rules: [NftRule] = []) {
        self.exists = exists; self.elements = elements; self.rules = rules
    }

    /// Parses `nft -j -a list table …` output.
    public init(listing: JSON) {
        exists = true
        rules = NftRule.parse(listing: listing)
        for item in listing["nftables"]?.arrayValue ?? [] {
            guard let o = (item["map"] ?? item["set"])?.objectValue, let name = o["name"]?.stringValue else { continue }
            for e in o["elem"]?.arrayValue ?? [] {
                if let pair = e.arrayValue, pair.count == 2 {
                    let (key, comment) = Self.key(pair[0])
                    elements.append(NftElement(set: name, key: key, data: Self.text(pair[1]), comment: comment))
                } else {
                    let (key, comment) = Self.key(e)
                    elements.append(NftElement(set: name, key: key, comment: comment))
                }
            }
        }
    }

    /// `{"elem": {"val": …, "comment": …}}` or a bare value.
    private static func key(_ j: JSON) -> (String, String) {
        guard let elem = j["elem"]?.objectValue else { return (text(j), "") }
        return (elem["val"].map(text) ?? "", elem["comment"]?.stringValue ?? "")
    }

    /// A value in nft syntax: strings and numbers as they are, `concat` joined by " . ", prefixes as a/len.
    static func text(_ j: JSON) -> String {
        if let s = j.stringValue { return s }
        if let i = j.intValue { return String(i) }
        if let parts = j["concat"]?.arrayValue { return parts.map(text).joined(separator: " . ") }
        if let p = j["prefix"]?.objectValue { return "\(p["addr"].map(text) ?? "")/\(p["len"].map(text) ?? "")" }
        if let r = j["range"]?.arrayValue, r.count == 2 { return "\(text(r[0]))-\(text(r[1]))" }
        return j.serialized()
    }
}
