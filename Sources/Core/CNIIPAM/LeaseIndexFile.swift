// LeaseIndexFile: where a network directory's lease index is kept (outside it) and how it is read and replaced.
import CNISystem
import Glibc

/// The index of the network directory with device `d` and inode `i` is `<root>/<d>-<i>.index`.
/// It lives outside the lease directory so that writing it never changes that directory's mtime and
/// never shows the reference host-local (which reads every file there) a file it does not know.
/// The root is created 0700 and files 0600. A new index overwrites the old one in place (then
/// truncates it to its length): replacing it by rename would free the old file's blocks on every
/// ADD and DEL, which costs a few hundred microseconds where /run is not a tmpfs. Callers hold the
/// lease directory's lock, so one directory's index has one writer and no reader meanwhile; a write
/// cut short leaves a file whose checksum or `end` line does not match, which reads as corrupt.
/// Every failure here is quiet: without an index the store scans, as it always did.
public struct LeaseIndexFile: Sendable {
    public static let defaultRoot = "/run/swift-cni/host-local"

    public let root: String
    /// Compare an index's names with the directory's even where the stamp alone is proof
    /// (`StampTrust.stampAlone`): for tests of that comparison.
    public let alwaysCompareNames: Bool

    public init(root: String = defaultRoot, alwaysCompareNames: Bool = false) {
        self.root = root; self.alwaysCompareNames = alwaysCompareNames
    }

    public func path(for stamp: DirectoryStamp) -> String { "\(root)/\(stamp.device)-\(stamp.inode).index" }

    /// What is stored for the directory with `stamp`'s device and inode.
    public enum Contents: Sendable {
        case missing
        /// Unreadable, not exactly what `LeaseIndex.encoded()` writes, or not trustworthy: owned by
        /// another user or writable by group or others.
        case corrupt
        case index(LeaseIndex)
    }

    public func read(for stamp: DirectoryStamp) -> Contents {
        let fd: FileDescriptor
        do { fd = try FileDescriptor(open: path(for: stamp), flags: O_RDONLY) } catch {
            return error.errno == ENOENT ? .missing : .corrupt
        }
        var st = stat()
        guard fstat(fd.rawValue, &st) == 0, st.st_uid == geteuid(), st.st_mode & 0o022 == 0 else {
            remove(for: stamp)    // so that the next write creates it afresh, 0600
            return .corrupt
        }
        guard let bytes = Self.readAll(fd, expecting: Int(st.st_size)) else { return .corrupt }
        return LeaseIndex(decoding: bytes).map(Contents.index) ?? .corrupt
    }

    /// Replaces the stored index; on failure removes it, so that a stale one is not left to be trusted.
    public func write(_ index: LeaseIndex) {
        let target = path(for: index.stamp)
        let bytes = index.encoded()
        do throws(SystemError) {
            do {
                try FileSystem.overwrite(target, contents: bytes, create: false)
            } catch where error.errno == ENOENT {
                // The first index of this directory: a rare moment, when stale ones are swept too.
                try FileSystem.makeDirectories(root, mode: 0o700)
                try FileSystem.overwrite(target, contents: bytes)
                pruneStale(except: target)
            }
        } catch {
            remove(for: index.stamp)
        }
    }

    /// The whole file, read into one buffer of the size fstat gave (with room for the lease line an
    /// ADD appends), not through a 64 KiB scratch buffer: every fresh page costs this short-lived
    /// process a fault. nil on a read error, or when the file is larger than fstat said.
    private static func readAll(_ fd: FileDescriptor, expecting size: Int) -> [UInt8]? {
        var complete = true
        let bytes = [UInt8](unsafeUninitializedCapacity: size + 256) { buffer, count in
            count = 0
            while count < buffer.count {
                let n = Glibc.read(fd.rawValue, buffer.baseAddress! + count, buffer.count - count)
                if n > 0 { count += n; continue }
                if n < 0 && SystemError.current == EINTR { continue }
                complete = n == 0
                return
            }
            complete = false
        }
        return complete ? bytes : nil
    }

    /// Removes the indexes of directories that are gone: the directory an index names no longer
    /// exists, or is another one now (its device and inode differ from the file's name). No host-local
    /// can be using such a file: one working on a directory uses the file of its current device and
    /// inode. Quiet on every error.
    func pruneStale(except keep: String) {
        guard let names = try? FileSystem.list(root) else { return }
        for name in names where name.hasSuffix(".index") {
            let file = "\(root)/\(name)"
            guard file != keep, let bytes = try? FileSystem.read(file),
                  let index = LeaseIndex(decoding: bytes) else { continue }
            if DirectoryStamp(of: index.directory).map(path(for:)) != file { unlink(file) }
        }
    }

    /// Forgets the index of the directory with `stamp`'s device and inode.
    public func remove(for stamp: DirectoryStamp) {
        unlink(path(for: stamp))
    }
}
