// Sysctl: reads and writes /proc/sys entries of the calling thread's network namespace.
import Glibc

public enum Sysctl {
    /// The /proc/sys path for a dotted or slashed name ("net.ipv4.ip_forward" or "net/ipv4/ip_forward").
    /// Interface names may contain dots, so a name with a slash is taken as already slashed.
    public static func path(_ name: String) -> String {
        "/proc/sys/" + (name.contains("/") ? name : name.replacingDots())
    }

    public static func read(_ name: String) throws(SystemError) -> String? {
        try Entry(directory: nil, relative: path(name)).read()
    }

    /// One /proc/sys entry, by absolute path (`directory` nil) or relative to an open directory.
    public struct Entry {
        let directory: FileDescriptor?
        let relative: String

        public init(directory: FileDescriptor?, relative: String) { self.directory = directory; self.relative = relative }

        /// The entry's value without surrounding whitespace; nil when it does not exist.
        public func read() throws(SystemError) -> String? {
            try FileSystem.read(relative, in: directory).map { String(decoding: $0, as: UTF8.self).trimmingWhitespace() }
        }

        public func write(_ value: String) throws(SystemError) {
            try FileDescriptor(openAt: directory, relative, flags: O_WRONLY | O_TRUNC).writeAll(Array(value.utf8))
        }
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
