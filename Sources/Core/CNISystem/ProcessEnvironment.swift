// ProcessEnvironment: the process's environment and standard streams, without Foundation.
import Glibc

public enum ProcessEnvironment {
    /// All environment variables of this process.
    public static func variables() -> [String: String] {
        var result: [String: String] = [:]
        var p = environ
        while let entry = p.pointee {
            let pair = String(cString: entry)
            if let eq = pair.firstIndex(of: "=") {
                result[String(pair[..<eq])] = String(pair[pair.index(after: eq)...])
            }
            p += 1
        }
        return result
    }

    /// Reads standard input to its end.
    public static func readStandardInput() throws(SystemError) -> [UInt8] {
        try FileDescriptor(owning: dup(0), path: "stdin").readAll()
    }

    /// Writes text to standard output.
    public static func writeStandardOutput(_ text: String) {
        try? FileDescriptor(owning: dup(1), path: "stdout").writeAll(Array(text.utf8))
    }

    /// Writes text to standard error.
    public static func writeStandardError(_ text: String) {
        try? FileDescriptor(owning: dup(2), path: "stderr").writeAll(Array(text.utf8))
    }
}
