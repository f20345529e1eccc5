// IptablesTable: one table of `iptables-save` output, parsed into chains and rule lines.

/// The chains and rules of one table as `iptables-save -t <table>` prints them.
///
/// Parsing works on the UTF-8 bytes and indexes the rules by chain once, so a table of a few thousand
/// rules (hundreds of pods) costs a few milliseconds however often its chains are asked for.
public struct IptablesTable: Equatable, Sendable {
    public let name: String
    /// Chain names declared in the table (built-in and user-defined), in order.
    public private(set) var chains: [String] = []
    /// Rule lines without the leading `-A `, e.g. `POSTROUTING -s 10.0.0.2/32 -j CNI-…`.
    public private(set) var rules: [String] = []
    /// The rules of each chain without the chain name, in order; and the declared chains.
    private var byChain: [String: [String]] = [:]
    private var chainSet: Set<String> = []

    public init(name: String, chains: [String] = [], rules: [String] = []) {
        self.name = name; self.chains = chains; self.rules = rules
        chainSet = Set(chains)
        for rule in rules { index(rule) }
    }

    /// Parses the `*<table>` section of iptables-save output; an absent section is an empty table.
    public init(parsing save: String, table: String) {
        name = table
        var text = save
        let wanted = Array(table.utf8)
        text.withUTF8 { bytes in
            var inside = false
            var start = 0
            while start < bytes.count {
                var end = start
                while end < bytes.count && bytes[end] != UInt8(ascii: "\n") { end += 1 }
                var last = end
                while last > start && (bytes[last - 1] == UInt8(ascii: " ") || bytes[last - 1] == UInt8(ascii: "\r")) { last -= 1 }
                let line = UnsafeBufferPointer(rebasing: bytes[start..<last])
                start = end + 1
                guard let first = line.first else { continue }
                if first == UInt8(ascii: "*") {
                    inside = line.count == wanted.count + 1 && line.dropFirst().elementsEqual(wanted)
                    continue
                }
                guard inside else { continue }
                if line.elementsEqual("COMMIT".utf8) {
                    inside = false
                } else if first == UInt8(ascii: ":") {
                    let chain = line.dropFirst().prefix { $0 != UInt8(ascii: " ") }
                    if !chain.isEmpty {
                        let name = String(decoding: chain, as: UTF8.self)
                        chains.append(name)
                        chainSet.insert(name)
                    }
                } else if line.count >= 3, line[0] == UInt8(ascii: "-"), line[1] == UInt8(ascii: "A"), line[2] == UInt8(ascii: " ") {
                    let rule = String(decoding: line.dropFirst(3), as: UTF8.self)
                    rules.append(rule)
                    index(rule)
                }
            }
        }
    }

    private mutating func index(_ rule: String) {
        guard let space = rule.utf8.firstIndex(of: UInt8(ascii: " ")) else { return }
        let chain = String(rule[..<space])
        byChain[chain, default: []].append(String(rule[rule.utf8.index(after: space)...]))
    }

    public func hasChain(_ chain: String) -> Bool { chainSet.contains(chain) }

    /// Rules appended to `chain`, without the chain name.
    public func rules(in chain: String) -> [String] { byChain[chain] ?? [] }

    /// Rules of `chain` that jump to `target` (`-j target` as a whole word).
    public func rules(in chain: String, jumpingTo target: String) -> [String] {
        let wanted = Array(target.utf8)
        return rules(in: chain).filter { rule in
            var previousIsJump = false
            for word in rule.utf8.split(separator: UInt8(ascii: " ")) {
                if previousIsJump && word.elementsEqual(wanted) { return true }
                previousIsJump = word.elementsEqual("-j".utf8)
            }
            return false
        }
    }

    public static func == (a: IptablesTable, b: IptablesTable) -> Bool {
        a.name == b.name && a.chains == b.chains && a.rules == b.rules
    }
}
