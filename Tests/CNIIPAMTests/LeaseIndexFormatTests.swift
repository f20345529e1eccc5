// LeaseIndexFormatTests: the index file round-trips any owner bytes and refuses anything it did not write.
import CNIIPAM
import Testing

@Suite struct LeaseIndexFormatTests {
    private let stamp = DirectoryStamp(device: 65024, inode: 1_234_567,
                                       mtime: .init(seconds: 1_763_850_000, nanoseconds: 123_456_789),
                                       ctime: .init(seconds: -5, nanoseconds: 999_999_999))

    private var awkward: [String: LeaseOwner] {
        [
            "10.1.2.2": LeaseOwner(containerID: "c1", ifName: "eth0"),
            "10.1.2.3": LeaseOwner(containerID: "legacy", ifName: nil),
            "fd00::2": LeaseOwner(containerID: "with space\r\nand 12:colon", ifName: "e\nth 1"),
            "2001:db8::a:0:0:1": LeaseOwner(containerID: "", ifName: "\u{FFFD}é"),
            "10.1.2.4": LeaseOwner(containerID: "lease 3:x 1:y -", ifName: "-"),
        ]
    }

    @Test func roundTripsAnyOwnerBytesAndEveryStampField() throws {
        let index = LeaseIndex(directory: "/var/lib/cni/networks/a b\nc", stamp: stamp, leases: awkward)
        let bytes = index.encoded()
        #expect(bytes.starts(with: Array("swift-cni host-local lease index 1\ndirectory 27:/var/lib/cni/networks/a b\nc\nstamp 65024 1234567 1763850000 123456789 -5 999999999\n".utf8)))
        let decoded = try #require(LeaseIndex(decoding: bytes))
        #expect(decoded == index)
        #expect(decoded.leases == awkward)
        #expect(LeaseIndex(decoding: decoded.encoded()) == index)
    }

    @Test func anEmptyIndexRoundTrips() throws {
        let index = LeaseIndex(directory: "/d", stamp: stamp, leases: [:])
        #expect(String(decoding: index.encoded(), as: UTF8.self).contains("\nend 0 "))
        #expect(LeaseIndex(decoding: index.encoded()) == index)
    }

    /// Cut anywhere, or with any single byte changed, the file is refused as a whole.
    @Test func everyTruncationAndEverySingleByteChangeIsRefused() throws {
        let bytes = LeaseIndex(directory: "/d", stamp: stamp, leases: awkward).encoded()
        for length in 0..<bytes.count {
            #expect(LeaseIndex(decoding: Array(bytes[..<length])) == nil, "cut at \(length)")
        }
        for offset in bytes.indices {
            var bad = bytes
            bad[offset] ^= 0x20
            #expect(LeaseIndex(decoding: bad) == nil, "byte \(offset) changed")
        }
        #expect(LeaseIndex(decoding: bytes + [10]) == nil)
    }

    @Test(arguments: [
        ("6.18.0-1-amd64", 6, 18), ("6.13", 6, 13), ("5.15.0-91-generic", 5, 15), ("6.1.0-27-cloud-amd64", 6, 1),
    ])
    func kernelVersionsAreReadFromTheRelease(release: String, major: Int, minor: Int) {
        let v = StampTrust.parseVersion(release)
        #expect(v?.0 == major && v?.1 == minor)
    }

    @Test func procfsIsNoPlaceForAnIndex() {
        #expect(StampTrust.of("/proc") == .none)
        #expect(StampTrust.of("/does/not/exist") == .none)
    }
}
