// IptablesTable: one table of `iptables-save` output, parsed into chains and rule lines.

/// The chains and rules of one table as `iptables-save -t <table>` prints them.
public struct IptablesTable: Equatable, Sendable {
    public let name: String
    /// Chain names declared in the table (built-in and user-defined), in order.
    public private(set) var chains: [String] = []
    /// Rule lines without the leading `-A `, e.g. `POSTROUTING -s 10.0.0.2/32 -j CNI-…`.
    public private(set) var rules: [String] = []

    public init(name: String, chains: [String] = [], rules: [String] = []) {
        self.name = name; self.chains = chains; self.rules = rules
    }

    /// Parses the `*<table>` section of iptables-save output; an absent section is an empty table.
    public init(parsing save: String, table: String) {
        name = table
        var inside = false
        for raw in save.split(separator: "\n") {
            let line = raw.trimmingSuffix()
            if line.hasPrefix("*") { inside = line.dropFirst() == table; continue }
            guard inside else { continue }
            if line == "COMMIT" { inside = false; continue }
            if line.hasPrefix(":") {
                if let name = line.dropFirst().split(separator: " ").first { chains.append(String(name)) }
            } else if line.hasPrefix("-A ") {
                rules.append(String(line.dropFirst(3)))
            }
        }
    }

    public func hasChain(_ chain: String) -> Bool { chains.contains(chain) }

    /// Rules appended to `chain`, without the chain name.
    public func rules(in chain: String) -> [String] {
        rules.compactMap { r in r.hasPrefix(chain + " ") ? String(r.dropFirst(chain.count + 1)) : nil }
    }

    /// Rules of `chain` that jump to `target` (`-j target` as a whole word).
    public func rules(in chain: String, jumpingTo target: String) -> [String] {
        rules(in: chain).filter { $0.split(separator: " ").split(separator: "-j").dropFirst().contains { $0.first == Substring(target) } }
    }
}

extension Substring {
    fileprivate func trimmingSuffix() -> Substring {
        var s = self
        while let last = s.last, last == " " || last == "\r" { s = s.dropLast() }
        return s
    }
}
