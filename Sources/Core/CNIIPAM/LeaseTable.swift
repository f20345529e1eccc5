// LeaseTable: the leases of an index, kept as the very lines the index file stores, with a lookup by file name.
import CNISpec
import CNISystem
import Glibc

/// Each lease is one line `lease <n>:<name> <n>:<containerID> <n>:<ifname>\n` (`-` instead of
/// `<n>:<ifname>` for a legacy, ID-only lease; `<n>:` is the byte length of what follows, so a field
/// may hold any byte). The table keeps the bytes those lines came in (the whole index file, or lines
/// it built) and where each lease's fields are, so that loading, querying and storing an index of
/// hundreds of leases copies and compares bytes instead of building strings or hash tables: an
/// ADD or DEL looks up one or two names, and a linear pass over a few hundred short names is cheaper
/// than hashing them all.
struct LeaseTable: Sendable {
    private var bytes: [UInt8] = []
    private var entries: [Entry] = []
    /// Number of leases (live entries).
    private(set) var count = 0

    /// Where one lease's line and fields are in `bytes` (32-bit offsets: a few hundred entries stay
    /// within a couple of pages, and every page a short-lived process touches costs a fault).
    private struct Entry: Sendable {
        private var lineStart: Int32, lineEnd: Int32, nameStart: Int32, nameEnd: Int32
        private var idStart: Int32, idEnd: Int32, ifStart: Int32, ifEnd: Int32
        var live = true

        init(line: Range<Int>, name: Range<Int>, containerID: Range<Int>, ifName: Range<Int>?) {
            lineStart = Int32(line.lowerBound); lineEnd = Int32(line.upperBound)
            nameStart = Int32(name.lowerBound); nameEnd = Int32(name.upperBound)
            idStart = Int32(containerID.lowerBound); idEnd = Int32(containerID.upperBound)
            ifStart = Int32(ifName?.lowerBound ?? -1); ifEnd = Int32(ifName?.upperBound ?? -1)
        }

        var line: Range<Int> { Int(lineStart)..<Int(lineEnd) }
        var name: Range<Int> { Int(nameStart)..<Int(nameEnd) }
        var containerID: Range<Int> { Int(idStart)..<Int(idEnd) }
        /// nil for a legacy, ID-only lease.
        var ifName: Range<Int>? { ifStart < 0 ? nil : Int(ifStart)..<Int(ifEnd) }
    }

    init() {}

    /// Reads consecutive lease lines of `bytes` from `offset`, leaving `offset` after the last one;
    /// nil when a line is malformed. (A name listed twice is not looked for: only a broken writer
    /// could produce one, and the checksum guards against everything else.)
    init?(parsing bytes: [UInt8], from offset: inout Int) {
        guard bytes.count < Int32.max else { return nil }
        self.bytes = bytes
        entries.reserveCapacity(bytes.count / 32)
        var r = ByteReader(bytes: bytes, offset: offset)
        while r.literal(Self.tag) {
            let start = r.offset - Self.tag.count
            guard let name = r.field(), r.byte(UInt8(ascii: " ")), let id = r.field(), r.byte(UInt8(ascii: " ")) else { return nil }
            let ifName: Range<Int>?
            if r.byte(UInt8(ascii: "-")) { ifName = nil } else if let f = r.field() { ifName = f } else { return nil }
            guard r.byte(UInt8(ascii: "\n")) else { return nil }
            entries.append(Entry(line: start..<r.offset, name: name, containerID: id, ifName: ifName))
        }
        count = entries.count
        offset = r.offset
    }

    /// Whether lease file `name` is in the table.
    func contains(_ name: String) -> Bool { find(name) != nil }

    /// Adds a lease; false (changing nothing) when `name` is already there.
    @discardableResult
    mutating func insert(_ name: String, _ owner: LeaseOwner) -> Bool {
        guard find(name) == nil else { return false }
        append(name, owner)
        return true
    }

    /// Adds a lease whose name is known not to be in the table (the names of one directory listing,
    /// or the keys of a dictionary, are unique), without looking.
    mutating func append(_ name: String, _ owner: LeaseOwner) {
        let start = bytes.count
        bytes += Self.tag
        let nameRange = appendField(name, to: &bytes)
        bytes.append(UInt8(ascii: " "))
        let idRange = appendField(owner.containerID, to: &bytes)
        bytes.append(UInt8(ascii: " "))
        var ifRange: Range<Int>?
        if let ifName = owner.ifName { ifRange = appendField(ifName, to: &bytes) } else { bytes.append(UInt8(ascii: "-")) }
        bytes.append(UInt8(ascii: "\n"))
        entries.append(Entry(line: start..<bytes.count, name: nameRange, containerID: idRange, ifName: ifRange))
        count += 1
    }

    /// Removes a lease; false when `name` was not there.
    @discardableResult
    mutating func remove(_ name: String) -> Bool {
        guard let index = find(name) else { return false }
        entries[index].live = false
        count -= 1
        return true
    }

    /// The leases whose container ID equals `containerID` as a String does (what a scan compares).
    /// ASCII IDs, the only ones CNI allows, are compared as bytes without decoding anything else;
    /// otherwise as Strings, since canonically equivalent Unicode (the Kelvin sign and "K") is equal.
    func reservations(of containerID: String) -> [Reservation] {
        var id = containerID
        return id.withUTF8 { wanted in
            let wantedIsASCII = Self.isASCII(wanted)
            return bytes.withUnsafeBufferPointer { all in
                entries.compactMap { e in
                    guard e.live else { return nil }
                    let field = UnsafeBufferPointer(rebasing: all[e.containerID])
                    if Self.same(field, wanted) { return reservation(e) }
                    if wantedIsASCII && Self.isASCII(field) { return nil }
                    return string(e.containerID) == containerID ? reservation(e) : nil
                }
            }
        }
    }

    /// Every lease.
    func reservations() -> [Reservation] { entries.compactMap { $0.live ? reservation($0) : nil } }

    /// Every lease by file name.
    var owners: [String: LeaseOwner] {
        var out: [String: LeaseOwner] = [:]
        for e in entries where e.live { out[string(e.name)] = owner(e) }
        return out
    }

    /// Whether the lease files of `directory` (one getdents pass, no file opened) are exactly this
    /// table's leases; false when it cannot be listed. Names the table does not hold are checked with
    /// `LeaseIndex.isLeaseName`, so `lock`, `last_reserved_ip.*` and other files are ignored as a scan ignores them.
    func matchesNames(in directory: String) -> Bool {
        var names = Set<LeaseName>(minimumCapacity: count)
        bytes.withUnsafeBufferPointer { all in
            for e in entries where e.live { if let key = LeaseName(UnsafeBufferPointer(rebasing: all[e.name])) { names.insert(key) } }
        }
        guard names.count == count else { return false }
        var matched = 0
        let complete: Bool
        do {
            complete = try FileSystem.forEachName(in: directory) { name in
                if let key = LeaseName(name), names.contains(key) { matched += 1; return true }
                return !LeaseIndex.isLeaseName(String(decoding: name, as: UTF8.self))
            }
        } catch {
            return false
        }
        return complete && matched == count
    }

    /// Bytes of all lease lines (what `appendLines` adds at most).
    var byteCount: Int { bytes.count }

    /// Appends every live lease line, as stored, to `out`.
    func appendLines(to out: inout [UInt8]) {
        bytes.withUnsafeBufferPointer { all in
            for e in entries where e.live { out.append(contentsOf: UnsafeBufferPointer(rebasing: all[e.line])) }
        }
    }

    /// The entry of live lease `name`, comparing bytes.
    private func find(_ name: String) -> Int? {
        var text = name
        return text.withUTF8 { wanted in
            bytes.withUnsafeBufferPointer { all in
                entries.indices.first { entries[$0].live && Self.same(UnsafeBufferPointer(rebasing: all[entries[$0].name]), wanted) }
            }
        }
    }

    private static func isASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool { bytes.allSatisfy { $0 < 0x80 } }

    private static func same(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        a.count == b.count && (a.isEmpty || memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0)
    }

    private func reservation(_ e: Entry) -> Reservation? {
        guard let ip = IPAddress(string(e.name)) else { return nil }
        let o = owner(e)
        return Reservation(ip: ip, containerID: o.containerID, ifName: o.ifName)
    }

    private func owner(_ e: Entry) -> LeaseOwner {
        LeaseOwner(containerID: string(e.containerID), ifName: e.ifName.map(string))
    }

    private func string(_ range: Range<Int>) -> String { String(decoding: bytes[range], as: UTF8.self) }

    static let tag = Array("lease ".utf8)
}

/// A lease file name (an address, at most 39 bytes of text) packed into five words, so that a set of
/// them hashes no heap string. Longer names are not leases.
struct LeaseName: Hashable, Sendable {
    private var w0: UInt64 = 0, w1: UInt64 = 0, w2: UInt64 = 0, w3: UInt64 = 0, w4: UInt64 = 0

    init?(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard bytes.count <= 39 else { return nil }
        withUnsafeMutableBytes(of: &self) { raw in
            raw.copyMemory(from: UnsafeRawBufferPointer(bytes))
            raw[39] = UInt8(bytes.count)
        }
    }
}
