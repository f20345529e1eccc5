// BridgeConfigTests: bad bridge configs fail with code and a message naming key and value, touching nothing; MAC precedence.
import CNIJSON
import CNISpec
import CNITesting
import Testing

/// A bad config, the code it must fail with, and fragments the message must contain.
struct BadConfig: Sendable, CustomTestStringConvertible {
    let label: String
    let keys: [String: JSON]
    var ipam: JSON? = ["type": "fake-ipam"]
    var cniArgs: String? = nil
    let code: Int64
    let mentions: [String]

    var testDescription: String { label }
}

let badConfigs: [BadConfig] = [
    BadConfig(label: "hairpin with promisc", keys: ["hairpinMode": true, "promiscMode": true], code: 7,
              mentions: ["hairpinMode true", "promiscMode true"]),
    BadConfig(label: "vlan 4095", keys: ["vlan": 4095], code: 7, mentions: ["invalid vlan 4095", "0 and 4094"]),
    BadConfig(label: "vlan -1", keys: ["vlan": -1], code: 7, mentions: ["invalid vlan -1"]),
    BadConfig(label: "vlan not a number", keys: ["vlan": "ten"], code: 6, mentions: [#"invalid vlan "ten""#]),
    BadConfig(label: "trunk id 0", keys: ["vlanTrunk": [["id": 0]]], code: 7,
              mentions: [#"invalid vlanTrunk {"id":0}"#, "between 1 and 4094"]),
    BadConfig(label: "trunk id 4095", keys: ["vlanTrunk": [["id": 4095]]], code: 7, mentions: [#"{"id":4095}"#]),
    BadConfig(label: "trunk maxID 5000", keys: ["vlanTrunk": [["minID": 10, "maxID": 5000]]], code: 7,
              mentions: [#"{"minID":10,"maxID":5000}"#, "between 1 and 4094"]),
    BadConfig(label: "trunk minID > maxID", keys: ["vlanTrunk": [["minID": 20, "maxID": 10]]], code: 7,
              mentions: [#"invalid vlanTrunk {"minID":20,"maxID":10}"#, "minID <= maxID"]),
    BadConfig(label: "trunk minID only", keys: ["vlanTrunk": [["minID": 20]]], code: 7, mentions: [#"{"minID":20}"#]),
    BadConfig(label: "trunk id and range", keys: ["vlanTrunk": [["id": 5, "minID": 1, "maxID": 9]]], code: 7,
              mentions: ["vlanTrunk", #""id":5"#]),
    BadConfig(label: "trunk entry not an object", keys: ["vlanTrunk": [7]], code: 7,
              mentions: ["invalid vlanTrunk 7", "object"]),
    BadConfig(label: "trunk id a string", keys: ["vlanTrunk": [["id": "7"]]], code: 6, mentions: [#"invalid vlanTrunk.id "7""#]),
    BadConfig(label: "disableContainerInterface with IPAM", keys: ["disableContainerInterface": true], code: 7,
              mentions: ["disableContainerInterface true", #"ipam.type "fake-ipam""#]),
    BadConfig(label: "ipMasqBackend pf", keys: ["ipMasqBackend": "pf"], code: 7,
              mentions: [#"invalid ipMasqBackend "pf""#, "iptables", "nftables"]),
    BadConfig(label: "mtu 20", keys: ["mtu": 20], code: 7, mentions: ["invalid mtu 20"]),
    BadConfig(label: "bridge name too long", keys: ["bridge": "a-bridge-name-too-long"], code: 7,
              mentions: [#"invalid bridge "a-bridge-name-too-long""#, "15 characters"]),
    BadConfig(label: "bridge name with slash", keys: ["bridge": "br/0"], code: 7, mentions: [#"invalid bridge "br/0""#]),
    BadConfig(label: "bridge name empty", keys: ["bridge": ""], code: 7, mentions: [#"invalid bridge """#]),
    BadConfig(label: "bridge name not a string", keys: ["bridge": 5], code: 6, mentions: ["invalid bridge 5"]),
    BadConfig(label: "isGateway not a boolean", keys: ["isGateway": "yes"], code: 6, mentions: [#"invalid isGateway "yes""#]),
    BadConfig(label: "bad runtimeConfig.mac", keys: ["runtimeConfig": ["mac": "zz:00"]], code: 7,
              mentions: [#"invalid runtimeConfig.mac "zz:00""#, "unicast MAC"]),
    BadConfig(label: "multicast args.cni.mac", keys: ["args": ["cni": ["mac": "01:00:5e:00:00:01"]]], code: 7,
              mentions: [#"invalid args.cni.mac "01:00:5e:00:00:01""#]),
    BadConfig(label: "bad CNI_ARGS MAC", keys: [:], cniArgs: "MAC=not-a-mac", code: 7,
              mentions: [#"invalid CNI_ARGS MAC "not-a-mac""#]),
    BadConfig(label: "unknown CNI_ARGS key", keys: [:], cniArgs: "FOO=bar", code: 2, mentions: ["FOO=bar", "IgnoreUnknown"]),
]

@Suite struct BridgeConfigTests {
    @Test(arguments: badConfigs)
    func badConfigFailsBeforeAnySideEffect(_ bad: BadConfig) throws {
        let h = BridgeHarness()
        h.cniArgs = bad.cniArgs
        let error = try reportedError(h.run("ADD", netconf(bad.keys, ipam: bad.ipam)))
        #expect(error.code == bad.code, "\(error.text)")
        for fragment in bad.mentions { #expect(error.text.contains(fragment), "\(error.text) should mention \(fragment)") }
        #expect(h.untouched, "calls: \(h.kernel.allCalls) \(h.ipam.calls)")
    }

    @Test(arguments: ["DEL", "CHECK"])
    func otherVerbsRejectTheSameConfigs(_ command: String) throws {
        let h = BridgeHarness()
        let error = try reportedError(h.run(command, netconf(["vlan": 5000])))
        #expect(error.code == 7 && error.msg.contains("invalid vlan 5000"))
        #expect(h.untouched)
    }

    @Test func disableContainerInterfaceIsFineWithoutIPAM() throws {
        let h = BridgeHarness()
        #expect(h.run("ADD", netconf(["disableContainerInterface": true], ipam: l2)).exitCode == 0)
    }

    @Test(arguments: [
        // runtimeConfig.mac, args.cni.mac, CNI_ARGS MAC, expected
        ("02:00:00:00:00:01", "02:00:00:00:00:02", "02:00:00:00:00:03", "02:00:00:00:00:01"),
        (nil, "02:00:00:00:00:02", "02:00:00:00:00:03", "02:00:00:00:00:02"),
        (nil, nil, "02:00:00:00:00:03", "02:00:00:00:00:03"),
        ("02:00:00:00:00:01", "bad", "also-bad", "02:00:00:00:00:01"),
        ("", "02:00:00:00:00:02", nil, "02:00:00:00:00:02"),
    ] as [(String?, String?, String?, String)])
    func macPrecedence(_ runtime: String?, _ args: String?, _ cniArgs: String?, _ expected: String) throws {
        let h = BridgeHarness()
        var keys: [String: JSON] = [:]
        if let runtime { keys["runtimeConfig"] = ["mac": .string(runtime)] }
        if let args { keys["args"] = ["cni": ["mac": .string(args)]] }
        h.cniArgs = cniArgs.map { "IgnoreUnknown=1;MAC=\($0)" }
        let result = try h.add(netconf(keys))
        #expect(h.container.linkNamed("eth0")?.mac == MACAddress(expected))
        #expect(result.interfaces.last?.mac == expected)
    }
}
