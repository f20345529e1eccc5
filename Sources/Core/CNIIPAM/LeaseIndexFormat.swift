// LeaseIndexFormat: the bytes of a lease index file, length-prefixed and checksummed, and their strict parser.
//
//     swift-cni host-local lease index 1
//     directory <n>:<path>
//     stamp <st_dev> <st_ino> <mtime s> <mtime ns> <ctime s> <ctime ns>
//     lease <n>:<file name> <n>:<container ID> <n>:<ifname>      ("-" instead of <n>:<ifname>: legacy, ID only)
//     …
//     end <number of lease lines> <checksum of every byte before this line, 16 hex digits>
//
// `<n>:` is the byte length of what follows, so a field may hold any byte (a container ID read from a
// foreign file may hold spaces, CR or LF). Leases are in no particular order. Anything that does not
// parse exactly, including a wrong count or checksum, makes the whole file unusable.

extension LeaseIndex {
    private static let header = Array("swift-cni host-local lease index 1\n".utf8)
    private static let directoryTag = Array("directory ".utf8), stampTag = Array("stamp ".utf8)
    private static let endTag = Array("end ".utf8)
    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// The file's bytes.
    public func encoded() -> [UInt8] {
        var out = Self.header
        out.reserveCapacity(256 + directory.utf8.count + table.byteCount)
        out += Self.directoryTag
        appendField(directory, to: &out)
        out.append(UInt8(ascii: "\n"))
        out += Self.stampTag
        appendDecimal(stamp.device, to: &out)
        out.append(UInt8(ascii: " "))
        appendDecimal(stamp.inode, to: &out)
        for n in [stamp.mtime.seconds, stamp.mtime.nanoseconds, stamp.ctime.seconds, stamp.ctime.nanoseconds] {
            out.append(UInt8(ascii: " "))
            appendDecimal(n, to: &out)
        }
        out.append(UInt8(ascii: "\n"))
        table.appendLines(to: &out)
        let sum = Self.checksum(out)
        out += Self.endTag
        appendDecimal(table.count, to: &out)
        out.append(UInt8(ascii: " "))
        for shift in stride(from: 60, through: 0, by: -4) {
            out.append(Self.hexDigits[Int(sum >> UInt64(shift) & 0xf)])
        }
        out.append(UInt8(ascii: "\n"))
        return out
    }

    /// Parses a whole file; nil unless it is exactly what `encoded()` writes.
    public init?(decoding bytes: [UInt8]) {
        var r = ByteReader(bytes: bytes, offset: 0)
        guard r.literal(Self.header), r.literal(Self.directoryTag), let path = r.field(), r.byte(UInt8(ascii: "\n")),
              r.literal(Self.stampTag), let device = r.number(UInt64.self), r.byte(UInt8(ascii: " ")),
              let inode = r.number(UInt64.self), r.byte(UInt8(ascii: " ")), let ms = r.number(Int.self),
              r.byte(UInt8(ascii: " ")), let mns = r.number(Int.self), r.byte(UInt8(ascii: " ")),
              let cs = r.number(Int.self), r.byte(UInt8(ascii: " ")), let cns = r.number(Int.self), r.byte(UInt8(ascii: "\n"))
        else { return nil }
        var offset = r.offset
        guard let table = LeaseTable(parsing: bytes, from: &offset) else { return nil }
        r.offset = offset
        let sum = Self.checksum(bytes[..<offset])
        guard r.literal(Self.endTag), let count = r.number(Int.self), count == table.count, r.byte(UInt8(ascii: " ")),
              r.hex16() == sum, r.byte(UInt8(ascii: "\n")), r.atEnd else { return nil }
        let stamp = DirectoryStamp(device: device, inode: inode,
                                   mtime: .init(seconds: ms, nanoseconds: mns), ctime: .init(seconds: cs, nanoseconds: cns))
        self.init(directory: String(decoding: bytes[path], as: UTF8.self), stamp: stamp, table: table)
    }

    /// A 64-bit multiply-xorshift hash over 8-byte words: catches truncation and stray bytes, cheaply.
    static func checksum<C: Collection<UInt8>>(_ bytes: C) -> UInt64 {
        let prime: UInt64 = 0x9e37_79b9_7f4a_7c15
        let hash = bytes.withContiguousStorageIfAvailable { buffer -> UInt64 in
            let raw = UnsafeRawBufferPointer(buffer)
            var h: UInt64 = 0x6a09_e667_f3bc_c908 ^ UInt64(raw.count)
            var i = 0
            while i + 8 <= raw.count {
                h = (h ^ UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))) &* prime
                h ^= h >> 29
                i += 8
            }
            while i < raw.count {
                h = (h ^ UInt64(raw[i])) &* prime
                h ^= h >> 29
                i += 1
            }
            return h
        }
        return hash ?? checksum(Array(bytes))
    }
}

/// Appends `value` in decimal.
func appendDecimal<T: BinaryInteger>(_ value: T, to out: inout [UInt8]) {
    if value < 0 {
        out.append(UInt8(ascii: "-"))
        appendDecimal(value.magnitude, to: &out)
        return
    }
    if value >= 10 { appendDecimal(value / 10, to: &out) }
    out.append(UInt8(ascii: "0") + UInt8(value % 10))
}

/// Appends `text` as a field, `<n>:` and then its n bytes; returns where those bytes are.
@discardableResult
func appendField(_ text: String, to out: inout [UInt8]) -> Range<Int> {
    var text = text
    return text.withUTF8 { utf8 in
        appendDecimal(utf8.count, to: &out)
        out.append(UInt8(ascii: ":"))
        out.append(contentsOf: utf8)
        return out.count - utf8.count..<out.count
    }
}

/// A forward-only cursor over an index file's bytes.
struct ByteReader {
    let bytes: [UInt8]
    var offset: Int

    var atEnd: Bool { offset == bytes.count }

    mutating func byte(_ expected: UInt8) -> Bool {
        guard offset < bytes.count, bytes[offset] == expected else { return false }
        offset += 1
        return true
    }

    mutating func literal(_ expected: [UInt8]) -> Bool {
        guard bytes.count - offset >= expected.count, bytes[offset..<offset + expected.count].elementsEqual(expected) else {
            return false
        }
        offset += expected.count
        return true
    }

    /// `<n>:` and then n bytes; returns where those bytes are.
    mutating func field() -> Range<Int>? {
        guard let n = number(Int.self), byte(UInt8(ascii: ":")), n <= bytes.count - offset else { return nil }
        offset += n
        return offset - n..<offset
    }

    /// A decimal number of 1 to 20 digits; signed types may start with "-" (times before 1970).
    mutating func number<T: FixedWidthInteger>(_: T.Type) -> T? {
        let start = offset
        let negative = T.isSigned && byte(UInt8(ascii: "-"))
        let digits = offset
        var value: T = 0
        while offset < bytes.count, bytes[offset] >= UInt8(ascii: "0"), bytes[offset] <= UInt8(ascii: "9") {
            let digit = T(bytes[offset] - UInt8(ascii: "0"))
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (s, o2) = negative ? m.subtractingReportingOverflow(digit) : m.addingReportingOverflow(digit)
            guard !o1, !o2 else { offset = start; return nil }
            value = s
            offset += 1
        }
        guard offset > digits, offset - digits <= 20 else { offset = start; return nil }
        return value
    }

    /// Exactly 16 lowercase hex digits.
    mutating func hex16() -> UInt64? {
        guard bytes.count - offset >= 16 else { return nil }
        var value: UInt64 = 0
        for b in bytes[offset..<offset + 16] {
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = value << 4 | UInt64(b - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): value = value << 4 | UInt64(b - UInt8(ascii: "a") + 10)
            default: return nil
            }
        }
        offset += 16
        return value
    }
}
