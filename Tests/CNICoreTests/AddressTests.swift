// AddressTests: IP, CIDR and MAC parsing, printing and arithmetic.
import CNISpec
import Testing

@Suite struct AddressTests {
    @Test(arguments: [("10.1.2.3", "10.1.2.3"), ("::1", "::1"), ("2001:DB8::0:1", "2001:db8::1"),
                      ("::ffff:10.0.0.1", "10.0.0.1"), ("fe80::1:2", "fe80::1:2"), ("::1:2", "::1:2"),
                      ("1:0:0:2:0:0:0:3", "1:0:0:2::3"), ("1:0:2:3:4:5:6:7", "1:0:2:3:4:5:6:7"), ("::", "::"),
                      ("2001:db8::", "2001:db8::"), ("1:2:3:4:5:6:7:0", "1:2:3:4:5:6:7:0")])
    func parsesAndPrintsAddresses(_ text: String, _ printed: String) throws {
        let ip = try #require(IPAddress(text))
        #expect(ip.description == printed)
    }

    @Test(arguments: ["", "10.1.2", "10.1.2.256", "1.2.3.4/24", "::g", "abc"])
    func rejectsBadAddresses(_ text: String) { #expect(IPAddress(text) == nil) }

    @Test func networkArithmetic() throws {
        let n = try #require(IPNetwork("10.22.7.9/16"))
        #expect(n.network.description == "10.22.0.0")
        #expect(n.last.description == "10.22.255.255")
        #expect(n.maskAddress.description == "255.255.0.0")
        #expect(n.contains(IPAddress("10.22.200.1")!))
        #expect(!n.contains(IPAddress("10.23.0.1")!))
        let v6 = try #require(IPNetwork("2001:db8::5/64"))
        #expect(v6.network.description == "2001:db8::")
        #expect(v6.last.description == "2001:db8::ffff:ffff:ffff:ffff")
        #expect(IPNetwork("0.0.0.0/0")!.contains(IPAddress("8.8.8.8")!))
    }

    @Test(arguments: ["10.0.0.0", "10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/-1", "x/8"])
    func rejectsBadNetworks(_ text: String) { #expect(IPNetwork(text) == nil) }

    @Test func overlapDetection() {
        #expect(IPNetwork("10.0.0.0/8")!.overlaps(IPNetwork("10.1.0.0/16")!))
        #expect(!IPNetwork("10.0.0.0/16")!.overlaps(IPNetwork("10.1.0.0/16")!))
        #expect(!IPNetwork("10.0.0.0/8")!.overlaps(IPNetwork("::/0")!))
    }

    @Test func nextAndPreviousWrap() {
        #expect(IPAddress("10.0.0.255")!.next.description == "10.0.1.0")
        #expect(IPAddress("255.255.255.255")!.next.description == "0.0.0.0")
        #expect(IPAddress("::")!.previous.description == "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")
        #expect(IPAddress("10.0.0.1")! < IPAddress("10.0.0.2")!)
        #expect(IPAddress("255.0.0.0")! < IPAddress("::1")!)
    }

    @Test func macAddresses() {
        #expect(MACAddress("0A:1b:2c:3d:4e:5f")?.description == "0a:1b:2c:3d:4e:5f")
        #expect(MACAddress("0a-1b-2c-3d-4e-5f") != nil)
        #expect(MACAddress("0a:1b:2c:3d:4e") == nil)
        #expect(MACAddress("0a:1b:2c:3d:4e:zz") == nil)
        #expect(MACAddress("01:00:5e:00:00:01")!.isMulticast)
    }

    @Test func eui64LinkLocalFlipsTheUniversalBitAndInsertsFFFE() {
        #expect(MACAddress("52:54:00:12:34:56")!.eui64LinkLocal.description == "fe80::5054:ff:fe12:3456/64")
        #expect(MACAddress("00:00:00:00:00:00")!.eui64LinkLocal.description == "fe80::200:ff:fe00:0/64")
        #expect(MACAddress("ff:ff:ff:ff:ff:ff")!.eui64LinkLocal.description == "fe80::fdff:ffff:feff:ffff/64")
    }
}
