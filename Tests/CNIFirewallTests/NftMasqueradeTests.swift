// NftMasqueradeTests: comments, hashes, setup/teardown/GC scripts of the nftables ipMasq backend.
import CNIFirewall
import CNIJSON
import CNISpec
import Testing

@Suite struct NftMasqueradeTests {
    let owner = RuleOwner(network: "mynet", containerID: "c1", ifName: "eth0")

    @Test func commentCarriesBothHashesAndIsCapped() {
        let c = NftMasqueradeRules.comment(owner)
        let netHash = String(SHA512.hex(Array("mynet".utf8)).prefix(16))
        let instHash = String(SHA512.hex(Array("eth0:c1".utf8)).prefix(16))
        #expect(c == "\(netHash)-\(instHash), net: mynet, if: eth0, id: c1")
        let long = RuleOwner(network: "n", containerID: String(repeating: "x", count: 200), ifName: "eth0")
        #expect(NftMasqueradeRules.comment(long).utf8.count == 128)
    }

    @Test func setupReplacesStaleRulesOfTheSameOwnerOnly() {
        let rules = NftMasqueradeRules(owner: owner, addresses: [IPNetwork("10.22.0.5/16")!, IPNetwork("2001:db8::5/64")!])
        let mine = NftRule(family: "inet", table: "cni_plugins_masquerade", chain: "masq_checks", handle: 7,
                           comment: NftMasqueradeRules.comment(owner))
        let other = NftRule(family: "inet", table: "cni_plugins_masquerade", chain: "masq_checks", handle: 8,
                            comment: NftMasqueradeRules.comment(RuleOwner(network: "mynet", containerID: "c2", ifName: "eth0")))
        let script = rules.setupScript(current: [mine, other])
        #expect(script.contains("delete rule inet cni_plugins_masquerade masq_checks handle 7"))
        #expect(!script.contains("handle 8"))
        #expect(script.contains("ip saddr 10.22.0.5 ip daddr != 10.22.0.0/16 masquerade comment"))
        #expect(script.contains("ip6 saddr 2001:db8::5 ip6 daddr != 2001:db8::/64 masquerade comment"))
        #expect(script.contains("flush chain inet cni_plugins_masquerade postrouting"))
        #expect(rules.teardownScript(current: [other]) == nil)
        #expect(rules.teardownScript(current: [mine, other]) == "delete rule inet cni_plugins_masquerade masq_checks handle 7\n")
    }

    @Test func gcKeepsValidOwnersAndOtherNetworks() {
        let valid = RuleOwner(network: "mynet", containerID: "c1", ifName: "eth0")
        let stale = RuleOwner(network: "mynet", containerID: "gone", ifName: "eth0")
        let foreign = RuleOwner(network: "othernet", containerID: "gone", ifName: "eth0")
        let current = [(1, valid), (2, stale), (3, foreign)].map {
            NftRule(family: "inet", table: "t", chain: "c", handle: $0.0, comment: NftMasqueradeRules.comment($0.1))
        }
        #expect(NftMasqueradeRules.gcScript(network: "mynet", valid: [valid], current: current)
                == "delete rule inet cni_plugins_masquerade masq_checks handle 2\n")
        #expect(NftMasqueradeRules.gcScript(network: "mynet", valid: [valid, stale], current: current) == nil)
    }

    @Test func parsesNftJSONListing() throws {
        let listing = try JSON.parse(#"{"nftables":[{"metainfo":{"version":"1.0.6"}},{"chain":{"name":"masq_checks"}},{"rule":{"family":"inet","table":"cni_plugins_masquerade","chain":"masq_checks","handle":6,"comment":"abc","expr":[]}}]}"#)
        #expect(NftRule.parse(listing: listing) == [NftRule(family: "inet", table: "cni_plugins_masquerade", chain: "masq_checks", handle: 6, comment: "abc")])
    }
}
