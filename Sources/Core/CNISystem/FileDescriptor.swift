// FileDescriptor: an owned file descriptor (closed exactly once) and whole-file reads and writes.
import Glibc
internal import CCNIShims

/// An open file descriptor with one owner; closed when the owner goes away.
public final class FileDescriptor {
    public let rawValue: Int32
    public let path: String

    /// open(2), retrying on EINTR; O_CLOEXEC is always added.
    public init(open path: String, flags: Int32, mode: UInt32 = 0o600) throws(SystemError) {
        self.path = path
        rawValue = try syscall("open \(path)") { Glibc.open(path, flags | O_CLOEXEC, mode) }
    }

    /// openat(2) of `relative` under the directory `directory` (nil: as open(2) would), retrying on EINTR;
    /// O_CLOEXEC is always added.
    public init(openAt directory: FileDescriptor?, _ relative: String, flags: Int32, mode: UInt32 = 0o600) throws(SystemError) {
        path = directory.map { $0.path + "/" + relative } ?? relative
        let dirfd = directory?.rawValue ?? AT_FDCWD
        rawValue = try syscall("open \(path)") { Glibc.openat(dirfd, relative, flags | O_CLOEXEC, mode) }
    }

    /// Takes ownership of an existing descriptor.
    public init(owning fd: Int32, path: String) {
        rawValue = fd
        self.path = path
    }

    deinit { Glibc.close(rawValue) }

    /// Reads until end of file.
    public func readAll() throws(SystemError) -> [UInt8] {
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = try syscall("read \(path)") {
                chunk.withUnsafeMutableBytes { Glibc.read(rawValue, $0.baseAddress, $0.count) }
            }
            if n == 0 { return out }
            out.append(contentsOf: chunk[0..<n])
        }
    }

    /// Writes every byte, looping over short writes.
    public func writeAll(_ bytes: [UInt8]) throws(SystemError) {
        var offset = 0
        while offset < bytes.count {
            let n = try syscall("write \(path)") {
                bytes.withUnsafeBytes { Glibc.write(rawValue, $0.baseAddress! + offset, $0.count - offset) }
            }
            offset += n
        }
    }

    /// flock(2) exclusive, blocking; released when the descriptor closes.
    public func lockExclusive() throws(SystemError) {
        try syscall("flock \(path)") { ccni_flock(rawValue, LOCK_EX) }
    }
}
