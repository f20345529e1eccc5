// IptablesFastPathTests: the iptables backend's in-process paths on fakes: which cases skip iptables-save, that they leave
// exactly what the full path leaves, and every case that must fall back to the full path.
import CNIFirewall
import CNIJSON
import CNISpec
import PortmapPlugin
import Testing

@Suite struct IptablesFastPathTests {
    /// A harness with iptables-nft's in-process view, and pod c0 already mapped (the shared chains exist).
    func harness(first: [JSON] = [mapping(9000, 80)]) throws -> PortmapHarness {
        let h = PortmapHarness()
        h.kernel = FakeIptablesKernel(h.iptables)
        h.containerID = "c0"
        try h.ok("ADD", try pmconf(first, prev: bridgeResult(["10.250.0.9/24", "fd00::9/64"])))
        h.containerID = "c1"
        return h
    }

    /// The rules a harness without the kernel view (always the full path) ends up with after the same verbs.
    func fullPathRules(_ steps: [(String, String, String)]) throws -> [IPFamily: [String]] {
        let h = PortmapHarness()
        for (verb, cid, conf) in steps { h.containerID = cid; try h.ok(verb, conf) }
        return h.iptables.rules
    }

    @Test func addAndDelOfASecondPodReadNothingWithIptablesSaveAndLeaveWhatTheFullPathLeaves() throws {
        let first = try pmconf([mapping(9000, 80)], prev: bridgeResult(["10.250.0.9/24", "fd00::9/64"]))
        let conf = try pmconf([mapping(8080, 80), mapping(8053, 53, "udp"), mapping(8443, 443, hostIP: "192.0.2.1")])
        let h = try harness()
        let before = h.iptables.calls.count
        try h.ok("ADD", conf)
        #expect(Array(h.iptables.calls[before...]) == ["restore 4", "restore 6"])
        #expect(h.iptables.rules == (try fullPathRules([("ADD", "c0", first), ("ADD", "c1", conf)])))
        try h.ok("CHECK", conf)
        let beforeDel = h.iptables.calls.count
        try h.ok("DEL", conf)
        #expect(h.iptables.calls.count == beforeDel, "DEL ran no iptables tool")
        #expect(h.kernel!.deletes == ["delete 4 2 rules, chains [\"\(IptablesPortmapRules(owner: h.owner, config: PortmapConfig()).chain)\"]",
                                      "delete 6 2 rules, chains [\"\(IptablesPortmapRules(owner: h.owner, config: PortmapConfig()).chain)\"]"])
        #expect(h.iptables.rules == (try fullPathRules([("ADD", "c0", first)])))
        try h.ok("DEL", conf)
        #expect(h.iptables.calls.count == beforeDel && h.kernel!.deletes.count == 2, "nothing left: nothing to do")
    }

    @Test func aPortAnotherPodMapsTakesTheFullPath() throws {
        let h = try harness(first: [mapping(8080, 80, hostIP: "192.0.2.1")])
        // Same port on another host address: only the full table tells it apart from a conflict.
        try h.ok("ADD", try pmconf([mapping(8080, 80, hostIP: "192.0.2.2")]))
        #expect(h.iptables.calls.contains("save 4"))
        h.containerID = "c2"
        let (code, msg) = try h.error("ADD", try pmconf([mapping(8080, 80)], prev: bridgeResult(["10.250.0.3/24"])))
        #expect(code == 102 && msg.contains("id: \"c0\""), "\(msg)")
    }

    @Test func sharedJumpsAndRulesSomeoneRemovedAreRestoredByTheFullPath() throws {
        let h = try harness()
        h.iptables.rules[.v4]!.removeAll { $0.hasPrefix("PREROUTING ") || $0.hasPrefix("CNI-HOSTPORT-SETMARK ") }
        let before = h.iptables.calls.count
        try h.ok("ADD", try pmconf([mapping(8080, 80)]))
        #expect(Array(h.iptables.calls[before...]) == ["save 4", "restore 4", "restore 6"], "IPv6 still takes the fast path")
        #expect(h.iptables.rules(.v4, containing: "PREROUTING -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT").count == 1)
        #expect(h.iptables.rules(.v4, containing: "CNI-HOSTPORT-SETMARK -m comment").count == 1)
    }

    @Test func anotherMarkBitIsAddedByTheFullPath() throws {
        let h = try harness()
        try h.ok("ADD", try pmconf([mapping(8080, 80)], ["markMasqBit": 5]))
        #expect(h.iptables.calls.contains("save 4"))
        #expect(h.iptables.rules(.v4, containing: "CNI-HOSTPORT-SETMARK -m comment").count == 2)
        #expect(h.iptables.rules(.v4, containing: "CNI-HOSTPORT-MASQ -m mark --mark 0x20/0x20 -j MASQUERADE").count == 1)
    }

    @Test func aRepeatedAddTakesTheFullPathAndLeavesNoDuplicate() throws {
        let h = try harness()
        let conf = try pmconf([mapping(8080, 80)])
        try h.ok("ADD", conf)
        let before = h.iptables.calls.count
        try h.ok("ADD", conf)
        #expect(h.iptables.calls[before...].contains("save 4"))
        #expect(h.iptables.rules(.v4, containing: "--dports 8080").count == 1)
    }

    @Test func anAddThatReadsInProcessStartsItsIptablesRestoreAhead() throws {
        final class Starts { var families: [Set<IPFamily>] = [] }
        let fake = FakeIptables(), starts = Starts(), kernel = FakeIptablesKernel(fake)
        let lock = "/tmp/swcni-warm-\(UInt32.random(in: 0...UInt32.max)).lock"
        let owner = { (id: String) in RuleOwner(network: "mynet", containerID: id, ifName: "eth0") }
        var config = PortmapConfig()
        config.mappings = [PortMapping(hostPort: 8080, containerPort: 80)]
        config.containerV4 = IPNetwork("10.250.0.2/24")
        let backend = IptablesPortmap(fake, lockPath: lock, tableMayExist: { _ in true }, kernel: kernel,
                                      warm: { starts.families.append($0); return fake })
        try backend.setup(owner("c0"), config)
        config.mappings = [PortMapping(hostPort: 8081, containerPort: 80)]
        try backend.setup(owner("c1"), config)
        #expect(starts.families == [[.v4], [.v4]])
        kernel.isAvailable = false
        config.mappings = [PortMapping(hostPort: 8082, containerPort: 80)]
        try backend.setup(owner("c2"), config)
        #expect(starts.families.count == 2, "without the in-process reads there is nothing to overlap")
        #expect(fake.rules(.v4, containing: "-j DNAT").count == 3)
    }

    @Test func aFreshHostTakesTheFullPath() throws {
        let h = PortmapHarness()
        h.kernel = FakeIptablesKernel(h.iptables)
        try h.ok("ADD", try pmconf([mapping(8080, 80)]))
        #expect(h.iptables.calls == ["save 4", "save 6", "restore 4", "restore 6"])
    }

    @Test func delFallsBackToTheFullPathWhenTheTransactionIsRefusedOrTheLegacyChainExists() throws {
        let conf = try pmconf([mapping(8080, 80)])
        let h = try harness()
        try h.ok("ADD", conf)
        h.kernel!.failDelete = true
        try h.ok("DEL", conf)
        #expect(h.iptables.calls.suffix(4) == ["save 4", "restore 4", "save 6", "restore 6"])
        #expect(h.iptables.rules(.v4, containing: "id: \\\"c1\\\"").isEmpty)
        h.kernel!.failDelete = false
        try h.ok("ADD", conf)
        let legacy = IptablesPortmapRules(owner: h.owner, config: PortmapConfig()).chain.replacingPrefix("CNI-DN-", with: "CNI-SN-")
        try h.iptables.restore(.v4, batch: "*nat\n:\(legacy) - [0:0]\nCOMMIT\n")
        let before = h.iptables.calls.count
        try h.ok("DEL", conf)
        #expect(Array(h.iptables.calls[before...]) == ["save 4", "restore 4"], "the legacy chain needs the full path; IPv6 does not")
        #expect(!h.iptables.chains[.v4]!.contains(legacy))
    }

    @Test func legacyIptablesDeletesTheKnownRulesAndFallsBackWhenTheyDiffer() throws {
        let conf = try pmconf([mapping(8080, 80)], prev: bridgeResult(["10.250.0.2/24"]))
        let h = try harness()
        h.kernel!.isAvailable = false
        try h.ok("ADD", conf)
        let before = h.iptables.calls.count
        try h.ok("DEL", conf)
        #expect(Array(h.iptables.calls[before...]) == ["restore 4", "save 6"], "v4: the exact batch; v6 (no address): the full path")
        #expect(h.iptables.rules(.v4, containing: "c1").isEmpty)
        // Rules made with other mappings than the DEL's: the exact batch fails as a whole, the full path removes them.
        try h.ok("ADD", conf)
        try h.ok("DEL", try pmconf([mapping(8081, 80)], prev: bridgeResult(["10.250.0.2/24"])))
        #expect(h.iptables.rules(.v4, containing: "c1").isEmpty)
    }
}

extension String {
    fileprivate func replacingPrefix(_ prefix: String, with other: String) -> String {
        hasPrefix(prefix) ? other + dropFirst(prefix.count) : self
    }
}
