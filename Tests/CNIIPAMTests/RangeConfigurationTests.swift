// RangeConfigurationTests: parsing, defaults and validation of ranges, legacy keys and ipRanges.
import CNIIPAM
import CNIJSON
import CNISpec
import Testing

private func sets(_ ipam: String, runtime: String = "{}") throws -> [RangeSet] {
    let o = try #require(JSON.parse(Array(ipam.utf8)).objectValue)
    let r = try #require(JSON.parse(Array(runtime.utf8)).objectValue)
    return try RangeConfiguration.rangeSets(ipam: o, runtimeConfig: r)
}


@Suite struct RangeConfigurationTests {
    /// subnet -> (start, end, gateway) after defaults.
    @Test(arguments: [
        ("10.1.2.0/24", "10.1.2.1", "10.1.2.254", "10.1.2.1"),
        ("192.168.0.0/30", "192.168.0.1", "192.168.0.2", "192.168.0.1"),
        ("10.0.0.0/8", "10.0.0.1", "10.255.255.254", "10.0.0.1"),
        ("fd00::/120", "fd00::1", "fd00::ff", "fd00::1"),
        ("2001:db8::/64", "2001:db8::1", "2001:db8::ffff:ffff:ffff:ffff", "2001:db8::1"),
        ("fd00::/126", "fd00::1", "fd00::3", "fd00::1"),
    ])
    func defaults(subnet: String, start: String, end: String, gateway: String) throws {
        let r = try #require(try sets(#"{"ranges":[[{"subnet":"\#(subnet)"}]]}"#).first?.ranges.first)
        #expect(r.start == ip(start))
        #expect(r.end == ip(end))
        #expect(r.gateway == ip(gateway))
    }

    @Test func explicitKeysAreKept() throws {
        let r = try #require(try sets(#"{"ranges":[[{"subnet":"10.1.0.0/16","rangeStart":"10.1.5.10","rangeEnd":"10.1.5.20","gateway":"10.1.0.254"}]]}"#).first?.ranges.first)
        #expect(r.description == "10.1.5.10-10.1.5.20")
        #expect(r.gateway == ip("10.1.0.254"))
        #expect(r.capacity == 11)
    }

    /// Bad configs: the error is code 7 and names the key and the value.
    @Test(arguments: [
        (#"{"ranges":[[{"subnet":"10.1.2.5/24"}]]}"#, ["ipam.ranges[0][0].subnet", "10.1.2.5/24", "host bits", "10.1.2.0/24"]),
        (#"{"ranges":[[{"subnet":"10.1.2.0/31"}]]}"#, ["10.1.2.0/31", "too small"]),
        (#"{"ranges":[[{"subnet":"10.1.2.1/32"}]]}"#, ["10.1.2.1/32"]),
        (#"{"ranges":[[{"subnet":"fd00::/127"}]]}"#, ["fd00::/127", "too small"]),
        (#"{"ranges":[[{"subnet":"fd00::1/128"}]]}"#, ["fd00::1/128"]),
        (#"{"ranges":[[{"subnet":"nonsense"}]]}"#, ["ipam.ranges[0][0].subnet", "nonsense"]),
        (#"{"ranges":[[{"subnet":"10.1.2.0/24","rangeStart":"10.1.3.1"}]]}"#, ["ipam.ranges[0][0].rangeStart", "10.1.3.1", "not in subnet"]),
        (#"{"ranges":[[{"subnet":"10.1.2.0/24","rangeEnd":"10.9.9.9"}]]}"#, ["ipam.ranges[0][0].rangeEnd", "10.9.9.9"]),
        (#"{"ranges":[[{"subnet":"10.1.2.0/24","rangeStart":"10.1.2.9","rangeEnd":"10.1.2.3"}]]}"#, ["rangeStart", "10.1.2.9", "after rangeEnd"]),
        (#"{"ranges":[[{"subnet":"10.1.2.0/24","gateway":"fd00::1"}]]}"#, ["ipam.ranges[0][0].gateway", "fd00::1"]),
        (#"{"ranges":[[{"subnet":"10.1.2.0/24","rangeStart":"x"}]]}"#, ["rangeStart", "x", "not an IP"]),
        (#"{"ranges":[[{"subnet":"10.1.2.0/24"},{"subnet":"10.1.2.0/25"}]]}"#, ["ipam.ranges[0]", "10.1.2.0/24", "10.1.2.0/25", "overlap"]),
        (#"{"ranges":[[{"subnet":"10.1.2.0/24"},{"subnet":"fd00::/64"}]]}"#, ["ipam.ranges[0]", "mixed", "10.1.2.0/24", "fd00::/64"]),
        (#"{"ranges":[[{"subnet":"10.1.2.0/24"}],[{"subnet":"10.1.0.0/16"}]]}"#, ["range set 0", "range set 1", "10.1.2.1-10.1.2.254"]),
        (#"{"ranges":[[]]}"#, ["ipam.ranges[0]", "empty"]),
        (#"{"ranges":[{"subnet":"10.1.2.0/24"}]}"#, ["ipam.ranges[0]", "array of ranges"]),
        (#"{"ranges":[[{"rangeStart":"10.1.2.3"}]]}"#, ["missing ipam.ranges[0][0].subnet"]),
        (#"{}"#, ["no IP ranges"]),
        (#"{"subnet":"10.1.2.0/24","rangeEnd":"10.2.0.0"}"#, ["ipam.rangeEnd", "10.2.0.0"]),
    ])
    func rejects(ipam: String, mentions: [String]) throws {
        do {
            _ = try sets(ipam)
            Issue.record("accepted \(ipam)")
        } catch let e as CNIError {
            #expect(e.code == .invalidNetworkConfig)
            for word in mentions { #expect(e.description.contains(word), "\(e.description) lacks \(word)") }
        }
    }

    @Test func twoRangesOfOneSubnetThatDoNotOverlapAreFine() throws {
        let s = try sets(#"{"ranges":[[{"subnet":"10.1.2.0/24","rangeEnd":"10.1.2.100"},{"subnet":"10.1.2.0/24","rangeStart":"10.1.2.101"}]]}"#)
        #expect(s[0].description == "10.1.2.1-10.1.2.100,10.1.2.101-10.1.2.254")
    }

    @Test func orderIsIpRangesThenLegacyThenRanges() throws {
        let s = try sets(#"{"subnet":"10.2.0.0/24","gateway":"10.2.0.254","ranges":[[{"subnet":"10.3.0.0/24"}]]}"#,
                         runtime: #"{"ipRanges":[[{"subnet":"10.1.0.0/24"}],[{"subnet":"fd01::/64"}]]}"#)
        #expect(s.map { $0.ranges[0].subnet.description } == ["10.1.0.0/24", "fd01::/64", "10.2.0.0/24", "10.3.0.0/24"])
        #expect(s[2].ranges[0].gateway == ip("10.2.0.254"))
    }

    @Test func ipRangesAreValidatedLikeRanges() throws {
        #expect { try sets(#"{"ranges":[[{"subnet":"10.3.0.0/24"}]]}"#, runtime: #"{"ipRanges":[[{"subnet":"10.3.0.0/16"}]]}"#) }
            throws: { ($0 as? CNIError)?.msg.contains("range set 0") == true }
        #expect { try sets(#"{}"#, runtime: #"{"ipRanges":[[{"subnet":"10.3.0.7/24"}]]}"#) }
            throws: { ($0 as? CNIError)?.msg.contains("runtimeConfig.ipRanges[0][0].subnet") == true }
    }

    @Test(arguments: SpecVersion.all)
    func severalAddressesPerFamilyNeedV030(version: SpecVersion) throws {
        let twoV4 = try sets(#"{"ranges":[[{"subnet":"10.1.0.0/24"}],[{"subnet":"10.2.0.0/24"}]]}"#)
        let dual = try sets(#"{"ranges":[[{"subnet":"10.1.0.0/24"}],[{"subnet":"fd00::/64"}]]}"#)
        try RangeConfiguration.checkVersion(dual, version)
        if version < .v0_3_0 {
            #expect(throws: CNIError.self) { try RangeConfiguration.checkVersion(twoV4, version) }
        } else {
            try RangeConfiguration.checkVersion(twoV4, version)
        }
    }
}
