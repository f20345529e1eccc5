// StampTrust: how much an unchanged directory stamp proves on the file system that holds the directory.
import CNISystem
import Glibc

/// Whether, and how, a `LeaseIndex` of a directory may be trusted, decided by its file system:
///
/// * Linux 6.13 introduced multigrain timestamps on ext4, xfs, btrfs and tmpfs: once a stat() has
///   seen an inode's times, the next change to it gets a fresh fine-grained time. The stamp of a
///   lease directory is taken by a stat() after our last change, so any later create or unlink in
///   it moves the stamp, and the stamp alone is proof (`stampAlone`).
/// * On other local file systems, and on older kernels, times are coarse (one jiffy, 1-10 ms): a
///   change in the same tick as the stamp keeps it. There the index must also hold exactly the
///   directory's lease names (one getdents pass, `withNames`), which leaves only a delete and
///   re-create of one name within that tick unseen. That pass is not free on ext4, whose hashed
///   directories sort every entry into a tree on each listing (about 0.15 ms for 500 leases, as much
///   as all the rest of the index costs an ADD), hence it runs only where timestamps are coarse.
/// * On network and unknown file systems a stat() may answer from a cache, so no index is used at
///   all (`none`): every operation scans, as before the index existed.
public enum StampTrust: Sendable, Equatable {
    case none
    case withNames
    case stampAlone

    /// The trust for `directory`, from statfs(2) and the kernel version.
    public static func of(_ directory: String) -> StampTrust {
        switch FileSystem.fileSystemType(directory) {
        case 0xEF53, 0x5846_5342, 0x9123_683E, 0x0102_1994:    // ext2/3/4, xfs, btrfs, tmpfs: multigrain since 6.13
            guard let version = kernelVersion, version >= (6, 13) else { return .withNames }
            return .stampAlone
        case 0x794C_7630, 0xF2F5_2010, 0x2FC1_2FC1:             // overlayfs, f2fs, zfs: local, coarse
            return .withNames
        default:
            return .none
        }
    }

    /// (major, minor) of the running kernel, from uname(2).
    static let kernelVersion: (Int, Int)? = {
        var u = utsname()
        guard uname(&u) == 0 else { return nil }
        let release = withUnsafeBytes(of: &u.release) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        return parseVersion(release)
    }()

    /// "6.18.0-1-amd64" → (6, 18).
    public static func parseVersion(_ release: String) -> (Int, Int)? {
        let parts = release.split(separator: ".", maxSplits: 2)
        guard parts.count >= 2, let major = Int(parts[0]),
              let minor = Int(parts[1].prefix(while: { $0.isASCII && $0.isNumber })) else { return nil }
        return (major, minor)
    }
}
