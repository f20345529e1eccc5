// ResultConversionTests: every (from, to) pair of spec versions, plus golden outputs for each shape.
import CNIJSON
import CNISpec
import Testing

/// A dual-stack result with two IPv4 addresses, 1.1 interface and route fields, and DNS.
let richResult = CNIResult(
    interfaces: [Interface(name: "cni0", mac: "0a:58:0a:16:00:01", mtu: 1400),
                 Interface(name: "eth0", mac: "0a:58:0a:16:00:05", mtu: 1400, sandbox: "/var/run/netns/p1")],
    ips: [IPConfig(address: IPNetwork("10.22.0.5/16")!, gateway: IPAddress("10.22.0.1"), interface: 1),
          IPConfig(address: IPNetwork("2001:db8::5/64")!, gateway: IPAddress("2001:db8::1"), interface: 1),
          IPConfig(address: IPNetwork("10.23.0.5/16")!, interface: 1)],
    routes: [Route(dst: IPNetwork("0.0.0.0/0")!, gw: IPAddress("10.22.0.1"), mtu: 1300, advmss: 1260, priority: 5),
             Route(dst: IPNetwork("::/0")!, table: 100, scope: 0)],
    dns: DNS(nameservers: ["10.22.0.1"], domain: "cluster.local", search: ["a.b"], options: ["ndots:5"]))

let allPairs = SpecVersion.all.flatMap { from in SpecVersion.all.map { (from.description, $0.description) } }

@Suite struct ResultConversionTests {
    @Test(arguments: allPairs)
    func convertsBetweenEveryPair(_ fromText: String, _ toText: String) throws {
        let from = SpecVersion(fromText)!, to = SpecVersion(toText)!
        let wire = try richResult.json(version: from)
        let decoded = try CNIResult(json: try JSON.parse(wire.serialized()), assumedVersion: .v0_1_0)
        let out = try decoded.json(version: to)
        #expect(out["cniVersion"] == .string(toText))
        #expect(out["dns"]?["domain"] == "cluster.local")

        if to.usesLegacyResult {
            #expect(out["ip4"]?["ip"] == "10.22.0.5/16")
            #expect(out["ip4"]?["gateway"] == "10.22.0.1")
            #expect(out["ip6"]?["ip"] == "2001:db8::5/64")
            #expect(out["ip4"]?["routes"] == [["dst": "0.0.0.0/0", "gw": "10.22.0.1"]])
            #expect(out["ip6"]?["routes"] == [["dst": "::/0"]])
            #expect(out["interfaces"] == nil && out["ips"] == nil)
            return
        }
        let ips = try #require(out["ips"]?.arrayValue)
        #expect(ips.count == (from.usesLegacyResult ? 2 : 3))
        for ip in ips {
            #expect((ip["version"] != nil) == to.hasIPVersionField)
        }
        if to.hasIPVersionField { #expect(ips[1]["version"] == "6") }
        if from.usesLegacyResult {
            #expect(out["interfaces"] == nil)
            #expect(ips[0]["interface"] == nil)
        } else {
            let interfaces = try #require(out["interfaces"]?.arrayValue)
            #expect(interfaces[1]["sandbox"] == "/var/run/netns/p1")
            // mtu survives only between 1.x versions; 0.3.x/0.4.0 drop it.
            let keepsMTU = from >= .v1_0_0 && to >= .v1_0_0
            #expect((interfaces[0]["mtu"] == .int(1400)) == keepsMTU)
            #expect(ips[0]["interface"] == 1)
        }
        let routes = try #require(out["routes"]?.arrayValue)
        #expect(routes[0]["gw"] == "10.22.0.1")
        // Route attributes survive whenever neither side is 0.1.0/0.2.0.
        #expect((routes[0]["mtu"] == .int(1300)) == !from.usesLegacyResult)
    }

    @Test(arguments: ["0.1.0", "0.2.0"])
    func addressLessResultCannotBeLegacy(_ version: String) {
        let l2 = CNIResult(interfaces: [Interface(name: "eth0", sandbox: "/x")])
        #expect(throws: CNIError.self) { try l2.json(version: SpecVersion(version)!) }
    }

    @Test func goldenV040() throws {
        let r = CNIResult(interfaces: [Interface(name: "eth0", mac: "aa:bb:cc:dd:ee:ff", sandbox: "/ns")],
                          ips: [IPConfig(address: IPNetwork("10.1.0.2/24")!, gateway: IPAddress("10.1.0.1"), interface: 0)],
                          routes: [Route(dst: IPNetwork("0.0.0.0/0")!)])
        #expect(try r.json(version: .v0_4_0).serialized() ==
            #"{"cniVersion":"0.4.0","interfaces":[{"name":"eth0","mac":"aa:bb:cc:dd:ee:ff","sandbox":"/ns"}],"ips":[{"interface":0,"version":"4","address":"10.1.0.2/24","gateway":"10.1.0.1"}],"routes":[{"dst":"0.0.0.0/0"}]}"#)
    }

    @Test func goldenV020() throws {
        let r = CNIResult(ips: [IPConfig(address: IPNetwork("10.1.0.2/24")!, gateway: IPAddress("10.1.0.1"))])
        #expect(try r.json(version: .v0_2_0).serialized() ==
            #"{"cniVersion":"0.2.0","ip4":{"ip":"10.1.0.2/24","gateway":"10.1.0.1"}}"#)
    }

    @Test func prevResultWithoutVersionUsesAssumedVersion() throws {
        let legacy: JSON = ["ip4": ["ip": "10.0.0.2/8"]]
        let r = try CNIResult(json: legacy, assumedVersion: .v0_2_0)
        #expect(r.ips.first?.address.description == "10.0.0.2/8")
        let current: JSON = ["ips": [["address": "10.0.0.3/8", "version": "4"]]]
        #expect(try CNIResult(json: current, assumedVersion: .v1_0_0).ips.count == 1)
    }

    @Test(arguments: [#"{"ips":[{"address":"10.0.0.300/8"}]}"#, #"{"ips":[{}]}"#, #"{"routes":[{"gw":"1.2.3.4"}]}"#,
                      #"{"interfaces":"x"}"#, #"{"cniVersion":"x.y"}"#, "[]"])
    func rejectsMalformedResults(_ text: String) throws {
        let json = try JSON.parse(text)
        #expect(throws: CNIError.self) { try CNIResult(json: json, assumedVersion: .v1_0_0) }
    }
}
