// ScratchDirectory: a temporary directory for on-disk tests, removed with everything in it afterwards.
import CNISystem
import Glibc
import Testing

/// A fresh directory under /tmp; `deinit` deletes it recursively.
final class ScratchDirectory: Sendable {
    let path: String

    init() throws {
        var template = Array("/tmp/swcni-hostlocal-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        path = String(cString: try #require(made))
    }

    deinit { Self.removeTree(path) }

    /// Mode bits (permissions only) of a path, or nil when it does not exist.
    static func mode(_ path: String) -> UInt32? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return UInt32(st.st_mode) & 0o7777
    }

    private static func removeTree(_ path: String) {
        if FileSystem.isDirectory(path) {
            for name in (try? FileSystem.list(path)) ?? [] { removeTree("\(path)/\(name)") }
            rmdir(path)
        } else {
            unlink(path)
        }
    }
}
