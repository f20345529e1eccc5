// IptablesPortmapRulesTests: golden iptables-restore batches (as the reference lays them out), teardown, CHECK, conflicts, GC.
import CNIFirewall
import CNISpec
import PortmapPlugin
import Testing

@Suite struct IptablesPortmapRulesTests {
    let owner = RuleOwner(network: "mynet", containerID: "abc", ifName: "eth0")

    func config(snat: Bool = true, masqAll: Bool = false, conditions: [String] = []) -> PortmapConfig {
        var c = PortmapConfig()
        c.snat = snat; c.masqAll = masqAll; c.conditionsV4 = conditions
        c.mappings = [PortMapping(hostPort: 8080, containerPort: 80),
                      PortMapping(hostPort: 5353, containerPort: 53, proto: .udp, hostIP: IPAddress("192.0.2.1"))]
        c.containerV4 = IPNetwork("10.250.0.2/24"); c.containerV6 = IPNetwork("fd00::2/64")
        return c
    }

    /// The same lines `iptables-save` printed for the reference portmap 1.1.1 with this config.
    @Test func setupOnAnEmptyTableMatchesTheReference() throws {
        let r = IptablesPortmapRules(owner: owner, config: config())
        let dn = "CNI-DN-e88f49d94512ff752ebe6"
        #expect(r.chain == dn)
        let batch = try #require(r.setupBatch(.v4, current: IptablesTable(name: "nat")))
        #expect(batch == """
        *nat
        :CNI-HOSTPORT-SETMARK - [0:0]
        -A CNI-HOSTPORT-SETMARK -m comment --comment "CNI portfwd masquerade mark" -j MARK --set-xmark 0x2000/0x2000
        :CNI-HOSTPORT-MASQ - [0:0]
        -A CNI-HOSTPORT-MASQ -m mark --mark 0x2000/0x2000 -j MASQUERADE
        -I POSTROUTING 1 -m comment --comment "CNI portfwd requiring masquerade" -j CNI-HOSTPORT-MASQ
        :CNI-HOSTPORT-DNAT - [0:0]
        -A PREROUTING -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT
        -A OUTPUT -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT
        :\(dn) - [0:0]
        -A \(dn) -s 10.250.0.0/24 -p tcp -m tcp --dport 8080 -j CNI-HOSTPORT-SETMARK
        -A \(dn) -s 127.0.0.1/32 -p tcp -m tcp --dport 8080 -j CNI-HOSTPORT-SETMARK
        -A \(dn) -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.250.0.2:80
        -A \(dn) -s 10.250.0.0/24 -d 192.0.2.1/32 -p udp -m udp --dport 5353 -j CNI-HOSTPORT-SETMARK
        -A \(dn) -s 127.0.0.1/32 -d 192.0.2.1/32 -p udp -m udp --dport 5353 -j CNI-HOSTPORT-SETMARK
        -A \(dn) -d 192.0.2.1/32 -p udp -m udp --dport 5353 -j DNAT --to-destination 10.250.0.2:53
        -A CNI-HOSTPORT-DNAT -p tcp -m comment --comment "dnat name: \\"mynet\\" id: \\"abc\\"" -m multiport --dports 8080 -j \(dn)
        -A CNI-HOSTPORT-DNAT -p udp -m comment --comment "dnat name: \\"mynet\\" id: \\"abc\\"" -m multiport --dports 5353 -j \(dn)
        COMMIT

        """)
    }

    @Test func ipv6SkipsLocalhostAndMappingsOfAnIPv4HostIP() {
        let r = IptablesPortmapRules(owner: owner, config: config())
        #expect(r.chainRules(.v6) == [
            "-s fd00::/64 -p tcp -m tcp --dport 8080 -j CNI-HOSTPORT-SETMARK",
            "-p tcp -m tcp --dport 8080 -j DNAT --to-destination [fd00::2]:80",
        ])
        #expect(r.entryRules(.v6).count == 1)
    }

    @Test func masqAllSnatOffMarkBitAndExternalChain() {
        #expect(IptablesPortmapRules(owner: owner, config: config(masqAll: true)).chainRules(.v4).prefix(2)
                == ["-p tcp -m tcp --dport 8080 -j CNI-HOSTPORT-SETMARK", "-p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.250.0.2:80"])
        #expect(IptablesPortmapRules(owner: owner, config: config(snat: false)).chainRules(.v4).allSatisfy { $0.contains("-j DNAT") })
        var c = config(); c.markMasqBit = 0
        #expect(IptablesPortmapRules(owner: owner, config: c).setupBatch(.v4, current: IptablesTable(name: "nat"))!.contains("--set-xmark 0x1/0x1"))
        c.externalSetMarkChain = "KUBE-MARK-MASQ"
        let batch = IptablesPortmapRules(owner: owner, config: c).setupBatch(.v4, current: IptablesTable(name: "nat"))!
        #expect(!batch.contains("CNI-HOSTPORT-SETMARK") && batch.contains("-j KUBE-MARK-MASQ"))
    }

    @Test func multiportTakesAtMost15PortsAndConditionsFollowThem() {
        var c = config(conditions: ["!", "-s", "10.0.0.0/8"])
        c.mappings = (1...16).map { PortMapping(hostPort: 9000 + $0, containerPort: 80) }
        let entries = IptablesPortmapRules(owner: owner, config: c).entryRules(.v4)
        #expect(entries.count == 2)
        #expect(entries[0].contains("--dports 9001,9002,9003,9004,9005,9006,9007,9008,9009,9010,9011,9012,9013,9014,9015 ! -s 10.0.0.0/8 -j"))
        #expect(entries[1].contains("--dports 9016 ! -s"))
    }

    @Test func existingSharedChainsAreNotRedeclaredAndOldJumpsGo() throws {
        let r = IptablesPortmapRules(owner: owner, config: config())
        let fake = FakeIptables()
        try fake.restore(.v4, batch: r.setupBatch(.v4, current: IptablesTable(name: "nat"))!)
        let again = try #require(r.setupBatch(.v4, current: try fake.save(.v4, table: "nat")))
        #expect(!again.contains(":CNI-HOSTPORT-DNAT") && !again.contains("-A PREROUTING") && !again.contains("POSTROUTING"))
        #expect(again.contains("-D CNI-HOSTPORT-DNAT -p tcp"))
        try fake.restore(.v4, batch: again)
        #expect(fake.rules(.v4, containing: "-j \(r.chain)").count == 2, "no duplicated jumps after a repeated ADD")
        #expect(r.missing(.v4, current: try fake.save(.v4, table: "nat")).isEmpty)
        let down = try #require(r.teardownBatch(current: try fake.save(.v4, table: "nat")))
        #expect(down.hasSuffix("-F \(r.chain)\n-X \(r.chain)\nCOMMIT\n"))
        try fake.restore(.v4, batch: down)
        #expect(fake.rules(.v4, containing: "CNI-DN-").isEmpty)
        #expect(r.teardownBatch(current: try fake.save(.v4, table: "nat")) == nil)
    }

    @Test func conflictsNameTheOtherOwnerAndRespectHostIP() throws {
        let fake = FakeIptables()
        let other = IptablesPortmapRules(owner: RuleOwner(network: "mynet", containerID: "old", ifName: "eth0"), config: config())
        try fake.restore(.v4, batch: other.setupBatch(.v4, current: IptablesTable(name: "nat"))!)
        let mine = IptablesPortmapRules(owner: owner, config: config())
        let found = mine.conflicts(.v4, current: try fake.save(.v4, table: "nat"))
        #expect(found.count == 2 && found[0].contains("id: \"old\""))
        var c = config()
        c.mappings = [PortMapping(hostPort: 5353, containerPort: 53, proto: .udp, hostIP: IPAddress("192.0.2.2")),
                      PortMapping(hostPort: 8080, containerPort: 80, proto: .udp)]
        #expect(IptablesPortmapRules(owner: owner, config: c).conflicts(.v4, current: try fake.save(.v4, table: "nat")).isEmpty)
        #expect(mine.conflicts(.v6, current: try fake.save(.v6, table: "nat")).isEmpty, "the other family is separate")
    }

    @Test func gcRemovesOnlyStaleChainsOfTheNetwork() throws {
        let fake = FakeIptables()
        for (net, id) in [("mynet", "keep"), ("mynet", "gone"), ("other", "gone")] {
            let r = IptablesPortmapRules(owner: RuleOwner(network: net, containerID: id, ifName: "eth0"), config: config())
            try fake.restore(.v4, batch: r.setupBatch(.v4, current: try fake.save(.v4, table: "nat"))!)
        }
        let valid: Set = [RuleOwner(network: "mynet", containerID: "keep", ifName: "eth0")]
        try fake.restore(.v4, batch: try #require(IptablesPortmapRules.gcBatch(network: "mynet", valid: valid, current: try fake.save(.v4, table: "nat"))))
        #expect(fake.rules(.v4, containing: "id: \\\"keep\\\"").count == 2)
        #expect(fake.rules(.v4, containing: "name: \\\"mynet\\\" id: \\\"gone\\\"").isEmpty)
        #expect(fake.rules(.v4, containing: "name: \\\"other\\\" id: \\\"gone\\\"").count == 2)
        #expect(IptablesPortmapRules.gcBatch(network: "mynet", valid: valid, current: try fake.save(.v4, table: "nat")) == nil)
    }
}
