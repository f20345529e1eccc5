// DirectoryStamp: which directory, and when its list of names last changed (device, inode, mtime, ctime).
import Glibc

/// The identity and change times of a directory, from one stat(2). Creating, removing or renaming a
/// name in a directory sets its mtime and ctime, so an unchanged stamp means an unchanged name list,
/// as far as the file system's timestamp granularity goes: exactly with multigrain timestamps (Linux
/// >= 6.13 on ext4, xfs, btrfs, tmpfs), else except for changes within one coarse tick of the stamp
/// (see `StampTrust`, which decides whether a `LeaseIndex` also compares names).
/// ctime is part of the stamp because nobody can set it back (utimensat can set mtime to anything).
public struct DirectoryStamp: Hashable, Sendable {
    public let device: UInt64
    public let inode: UInt64
    public let mtime: Timestamp
    public let ctime: Timestamp

    /// Seconds and nanoseconds, as stat(2) gives them.
    public struct Timestamp: Hashable, Sendable {
        public let seconds: Int
        public let nanoseconds: Int
        public init(seconds: Int, nanoseconds: Int) { self.seconds = seconds; self.nanoseconds = nanoseconds }
    }

    public init(device: UInt64, inode: UInt64, mtime: Timestamp, ctime: Timestamp) {
        self.device = device; self.inode = inode; self.mtime = mtime; self.ctime = ctime
    }

    /// The stamp of `path` now; nil when it cannot be stat()ed or is not a directory.
    public init?(of path: String) {
        var st = stat()
        guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else { return nil }
        self.init(device: UInt64(st.st_dev), inode: UInt64(st.st_ino),
                  mtime: Timestamp(seconds: st.st_mtim.tv_sec, nanoseconds: st.st_mtim.tv_nsec),
                  ctime: Timestamp(seconds: st.st_ctim.tv_sec, nanoseconds: st.st_ctim.tv_nsec))
    }
}
