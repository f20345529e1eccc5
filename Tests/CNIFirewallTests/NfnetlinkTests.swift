// NfnetlinkTests: netlink attributes built and parsed by hand: lengths, padding, nesting flag, lookups.
import CNIFirewall
import Testing

@Suite struct NfnetlinkTests {
    @Test func attributesArePaddedNestedAndParsedBack() {
        var a = NetlinkAttributes()
        a.put(1, string: "nat")                       // 4 + 4 bytes, no padding
        a.nest(3) { inner in
            inner.put(1, [7])                         // 5 bytes, padded to 8
            inner.put(2, bigEndian: UInt32(0x01020304))
        }
        a.put(4, bigEndian: UInt64(42))
        #expect(a.bytes.count == 8 + (4 + 8 + 8) + 12)
        #expect(Array(a.bytes[8..<12]) == withUnsafeBytes(of: UInt16(20)) { Array($0) } + withUnsafeBytes(of: UInt16(3 | 0x8000)) { Array($0) },
                "a nest carries NLA_F_NESTED")
        let parsed = NetlinkAttribute.parse(a.bytes[...])
        #expect(parsed.map(\.type) == [1, 3, 4], "flags are masked off the type")
        #expect(parsed.attribute(1)?.string == "nat")
        #expect(parsed.attribute(3)?.nested.attribute(1)?.payload.elementsEqual([7]) == true)
        #expect(parsed.attribute(3)?.nested.attribute(2)?.bigEndianU32 == 0x01020304)
        #expect(parsed.attribute(4)?.bigEndianU64 == 42)
        #expect(NetlinkAttribute.find(4, in: a.bytes[...]).map { NetlinkAttribute(type: 4, payload: $0).bigEndianU64 } == 42)
        #expect(NetlinkAttribute.find(9, in: a.bytes[...]) == nil)
    }

    @Test func aTruncatedTailIsIgnored() {
        var a = NetlinkAttributes()
        a.put(1, [1, 2, 3, 4])
        a.put(2, [5, 6, 7, 8])
        let cut = a.bytes.dropLast(2)
        #expect(NetlinkAttribute.parse(cut).map(\.type) == [1])
    }
}
