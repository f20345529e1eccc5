// Sysctl: reads and writes /proc/sys entries of the calling thread's network namespace.
public enum Sysctl {
    /// The /proc/sys path for a dotted or slashed name ("net.ipv4.ip_forward" or "net/ipv4/ip_forward").
    /// Interface names may contain dots, so a name with a slash is taken as already slashed.
    public static func path(_ name: String) -> String {
        "/proc/sys/" + (name.contains("/") ? name : name.replacingDots())
    }

    public static func read(_ name: String) throws(SystemError) -> String? {
        try FileSystem.readText(path(name)).map { $0.trimmingWhitespace() }
    }

    /// Writes `value` unless the entry already holds it.
    public static func write(_ name: String, _ value: String) throws(SystemError) {
        if try read(name) == value { return }
        try FileSystem.write(path(name), contents: Array(value.utf8))
    }
}

extension String {
    fileprivate func replacingDots() -> String { String(map { $0 == "." ? "/" : $0 }) }

    /// This string without leading and trailing spaces, tabs, CRs and LFs.
    public func trimmingWhitespace() -> String {
        let ws: Set<Character> = [" ", "\t", "\r", "\n", "\r\n"]
        guard let first = firstIndex(where: { !ws.contains($0) }) else { return "" }
        let last = lastIndex(where: { !ws.contains($0) })!
        return String(self[first...last])
    }
}
