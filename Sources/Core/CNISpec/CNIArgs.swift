// CNIArgs: the CNI_ARGS variable, "K=V;K2=V2", with the IgnoreUnknown convention.

/// Parsed CNI_ARGS. Keys keep their case; lookups are exact, as the reference's are.
public struct CNIArgs: Sendable, Equatable {
    public private(set) var pairs: [(key: String, value: String)]

    public static func == (a: CNIArgs, b: CNIArgs) -> Bool {
        a.pairs.map(\.key) == b.pairs.map(\.key) && a.pairs.map(\.value) == b.pairs.map(\.value)
    }

    public init(pairs: [(String, String)] = []) { self.pairs = pairs.map { (key: $0.0, value: $0.1) } }

    /// Parses "K=V;K2=V2". An empty string gives no pairs; a part without "=" is an error.
    public init(parsing text: String) throws(CNIError) {
        pairs = []
        for part in text.split(separator: ";", omittingEmptySubsequences: true) {
            guard let eq = part.firstIndex(of: "=") else {
                throw CNIError(.invalidEnvironment, "invalid CNI_ARGS pair \"\(part)\": expected KEY=VALUE")
            }
            pairs.append((key: String(part[..<eq]), value: String(part[part.index(after: eq)...])))
        }
    }

    public subscript(key: String) -> String? { pairs.last(where: { $0.key == key })?.value }

    /// `IgnoreUnknown=1` or `true` (any case).
    public var ignoreUnknown: Bool {
        guard let v = self["IgnoreUnknown"]?.lowercased() else { return false }
        return v == "1" || v == "true"
    }

    /// Rejects keys outside `known` (plus IgnoreUnknown and the K8S_* keys runtimes send) unless
    /// IgnoreUnknown is set, as the reference's LoadArgs does.
    public func validate(known: Set<String>) throws(CNIError) {
        if ignoreUnknown { return }
        let always: Set<String> = ["IgnoreUnknown", "K8S_POD_NAMESPACE", "K8S_POD_NAME",
                                   "K8S_POD_INFRA_CONTAINER_ID", "K8S_POD_UID"]
        for (key, value) in pairs where !known.contains(key) && !always.contains(key) {
            throw CNIError(.unsupportedField, "unknown CNI_ARGS key \(key)=\(value) (set IgnoreUnknown=1 to allow it)")
        }
    }
}
