// MacvlanConfigTests: bad configs fail with a code and a message naming key and value, creating nothing; master, mode and MAC choices.
import CNIJSON
import CNINetlink
import CNISpec
import CNITesting
import Testing

/// A bad config, the code it must fail with, and fragments the message must contain.
struct BadConfig: Sendable, CustomTestStringConvertible {
    let label: String
    let keys: [String: JSON]
    var master: String? = "mv0"
    var cniArgs: String? = nil
    let code: Int64
    let mentions: [String]
    var testDescription: String { label }
}

let badConfigs: [BadConfig] = [
    BadConfig(label: "mode source", keys: ["mode": "source"], code: 7,
              mentions: [#"invalid mode "source""#, "bridge, private, vepa, passthru"]),
    BadConfig(label: "mode bogus", keys: ["mode": "bogus"], code: 7, mentions: [#"invalid mode "bogus""#]),
    BadConfig(label: "mode not a string", keys: ["mode": 4], code: 6, mentions: ["invalid mode 4"]),
    BadConfig(label: "mtu above the master's", keys: ["mtu": 9000], code: 7,
              mentions: ["invalid mtu 9000", "mv0", "1500"]),
    BadConfig(label: "negative mtu", keys: ["mtu": -1], code: 7, mentions: ["invalid mtu -1"]),
    BadConfig(label: "missing master", keys: [:], master: "nosuch0", code: 7,
              mentions: [#"invalid master "nosuch0""#, "no such interface", "host network namespace"]),
    BadConfig(label: "master in container missing", keys: ["linkInContainer": true], code: 7,
              mentions: [#"invalid master "mv0""#, "container network namespace"]),
    BadConfig(label: "master name too long", keys: [:], master: "a-master-name-too-long", code: 7,
              mentions: [#"invalid master "a-master-name-too-long""#]),
    BadConfig(label: "negative bcqueuelen", keys: ["bcqueuelen": -5], code: 7, mentions: ["invalid bcqueuelen -5"]),
    BadConfig(label: "linkInContainer not a boolean", keys: ["linkInContainer": "yes"], code: 6,
              mentions: [#"invalid linkInContainer "yes""#]),
    BadConfig(label: "bad mac", keys: ["mac": "zz:00"], code: 7, mentions: [#"invalid mac "zz:00""#, "unicast MAC"]),
    BadConfig(label: "bad runtimeConfig.mac", keys: ["runtimeConfig": ["mac": "01:00:5e:00:00:01"]], code: 7,
              mentions: [#"invalid runtimeConfig.mac "01:00:5e:00:00:01""#]),
    BadConfig(label: "bad CNI_ARGS MAC", keys: [:], cniArgs: "MAC=nope", code: 7, mentions: [#"invalid CNI_ARGS MAC "nope""#]),
    BadConfig(label: "unknown CNI_ARGS key", keys: [:], cniArgs: "FOO=bar", code: 2, mentions: ["FOO=bar"]),
]

@Suite struct MacvlanConfigTests {
    @Test(arguments: badConfigs)
    func badConfigFailsBeforeAnySideEffect(_ bad: BadConfig) throws {
        let h = MacvlanHarness()
        h.cniArgs = bad.cniArgs
        let error = try reportedError(h.run("ADD", mvconf(bad.keys, master: bad.master)))
        #expect(error.code == bad.code, "\(error.text)")
        for fragment in bad.mentions { #expect(error.text.contains(fragment), "\(error.text) should mention \(fragment)") }
        #expect(h.nothingCreated, "calls: \(h.kernel.allCalls) \(h.ipam.calls)")
    }

    @Test func noDefaultRouteIsAnErrorNamingMaster() throws {
        let h = MacvlanHarness()
        h.host.base.routeTable.removeAll()
        let error = try reportedError(h.run("ADD", mvconf(master: nil)))
        #expect(error.code == 7 && error.msg.contains("invalid master") && error.msg.contains("no default route"))
        #expect(h.nothingCreated)
    }

    @Test(arguments: [("bridge", MacvlanMode.bridge), ("private", .private), ("vepa", .vepa),
                      ("passthru", .passthru), ("", .bridge)])
    func everyModeIsCreatedAsAsked(_ text: String, _ mode: MacvlanMode) throws {
        let h = MacvlanHarness()
        _ = try h.add(mvconf(["mode": .string(text)]))
        let link = try #require(h.container.linkNamed("eth0"))
        #expect(h.container.macvlans[link.index]?.details.mode == mode)
    }

    @Test func modeDefaultsToBridge() throws {
        let h = MacvlanHarness()
        _ = try h.add(mvconf())
        #expect(h.host.calls.contains { $0.hasPrefix("createMacvlan eth0 on #2 mode bridge") }, "\(h.host.calls)")
    }

    @Test func defaultMasterIsTheDefaultRouteInterface() throws {
        let h = MacvlanHarness()
        let other = h.host.seedLink("uplink1", mtu: 9000)
        h.host.base.routeTable = [KernelRoute(destination: IPNetwork("10.0.0.0/8")!, linkIndex: 2, table: 254),
                                  KernelRoute(destination: IPNetwork("0.0.0.0/0")!, linkIndex: other.index, table: 100),
                                  KernelRoute(destination: IPNetwork("::/0")!, linkIndex: other.index, table: 254)]
        _ = try h.add(mvconf(["mtu": 9000], master: nil))
        let link = try #require(h.container.linkNamed("eth0"))
        #expect(h.container.macvlans[link.index]?.details.parentIndex == other.index,
                "the IPv6 default route of the main table wins over another table's IPv4 one")
        #expect(link.mtu == 9000)
    }

    @Test func linkInContainerLooksForTheMasterInTheContainer() throws {
        let h = MacvlanHarness()
        let inner = h.container.seedLink("net1")
        h.container.seedRoute(KernelRoute(destination: IPNetwork("0.0.0.0/0")!, linkIndex: inner.index, table: 254))
        _ = try h.add(mvconf(["linkInContainer": true], master: nil))
        let link = try #require(h.container.linkNamed("eth0"))
        #expect(h.container.macvlans[link.index]?.details.parentIndex == inner.index)
        #expect(!h.host.calls.contains { $0.hasPrefix("createMacvlan") })
    }

    @Test(arguments: [
        // runtimeConfig.mac, args.cni.mac, CNI_ARGS MAC, mac, expected
        ("02:00:00:00:00:01", "02:00:00:00:00:02", "02:00:00:00:00:03", "02:00:00:00:00:04", "02:00:00:00:00:01"),
        (nil, "02:00:00:00:00:02", "02:00:00:00:00:03", "02:00:00:00:00:04", "02:00:00:00:00:02"),
        (nil, nil, "02:00:00:00:00:03", "02:00:00:00:00:04", "02:00:00:00:00:03"),
        (nil, nil, nil, "02:00:00:00:00:04", "02:00:00:00:00:04"),
        ("02:00:00:00:00:01", nil, "bad", "bad", "02:00:00:00:00:01"),
    ] as [(String?, String?, String?, String?, String)])
    func macPrecedence(_ runtime: String?, _ args: String?, _ cniArgs: String?, _ mac: String?, _ expected: String) throws {
        let h = MacvlanHarness()
        var keys: [String: JSON] = [:]
        if let runtime { keys["runtimeConfig"] = ["mac": .string(runtime)] }
        if let args { keys["args"] = ["cni": ["mac": .string(args)]] }
        if let mac { keys["mac"] = .string(mac) }
        h.cniArgs = cniArgs.map { "MAC=\($0)" }
        let result = try h.add(mvconf(keys))
        #expect(h.container.linkNamed("eth0")?.mac == MACAddress(expected))
        #expect(result.interfaces.first?.mac == expected)
    }

    @Test func bcqueuelenAndMTUReachTheKernel() throws {
        let h = MacvlanHarness()
        _ = try h.add(mvconf(["bcqueuelen": 4242, "mtu": 1400]))
        let link = try #require(h.container.linkNamed("eth0"))
        #expect(h.container.macvlans[link.index]?.broadcastQueueLength == 4242)
        #expect(link.mtu == 1400)
    }

    @Test(arguments: [0, 1500])
    func mtuUpToTheMastersIsFine(_ mtu: Int) throws {
        let h = MacvlanHarness()
        _ = try h.add(mvconf(["mtu": .int(Int64(mtu))]))
        #expect(h.container.linkNamed("eth0")?.mtu == 1500)
    }
}
