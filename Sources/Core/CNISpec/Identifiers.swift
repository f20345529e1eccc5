// Identifiers: validation of container IDs, network names and interface names, as the spec defines them.

public enum Identifiers {
    /// `^[a-zA-Z0-9][a-zA-Z0-9_.\-]*$`: container IDs and network names.
    public static func isValidID(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, isAlnum(first) else { return false }
        return s.unicodeScalars.allSatisfy { isAlnum($0) || $0 == "_" || $0 == "." || $0 == "-" }
    }

    /// Why an interface name is unusable, or nil when it is fine: at most 15 bytes, not "." or "..",
    /// no "/", ":" or whitespace.
    public static func interfaceNameProblem(_ s: String) -> String? {
        if s.isEmpty { return "interface name is empty" }
        if s.utf8.count > 15 { return "interface name is longer than 15 characters" }
        if s == "." || s == ".." { return "interface name is . or .." }
        for c in s.unicodeScalars where c == "/" || c == ":" || c.properties.isWhitespace {
            return "interface name contains an invalid character"
        }
        return nil
    }

    private static func isAlnum(_ c: Unicode.Scalar) -> Bool {
        (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9")
    }
}
