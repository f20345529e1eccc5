// FileLock: an exclusive flock(2) on a lock file, held for the lifetime of the value.
import Glibc

/// Holds an exclusive lock on `path` (created 0600 if missing) until the value is deinitialized.
public final class FileLock {
    private let fd: FileDescriptor

    /// Blocks until the lock is held.
    public init(path: String) throws(SystemError) {
        fd = try FileDescriptor(open: path, flags: O_RDWR | O_CREAT, mode: 0o600)
        try fd.lockExclusive()
    }
}
