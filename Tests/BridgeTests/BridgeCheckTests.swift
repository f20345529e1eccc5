// BridgeCheckTests: CHECK against the ADD result: prevResult required, L2 without IPAM, MAC and masquerade checked (104).
import CNIFirewall
import CNIJSON
import CNISpec
import CNITesting
import Testing

@Suite struct BridgeCheckTests {
    /// ADD with `keys`, then the CHECK config carrying its result.
    private func added(_ h: BridgeHarness, _ keys: [String: JSON] = [:], ipam: JSON? = ["type": "fake-ipam"],
                       version: String = "1.0.0") throws -> String {
        let result = try h.add(netconf(keys, ipam: ipam, version: version))
        return try netconf(keys, ipam: ipam, version: version, prevResult: result)
    }

    @Test(arguments: SpecVersion.all.filter { $0 >= .v0_4_0 })
    func checkPassesAfterAdd(_ version: SpecVersion) throws {
        let h = BridgeHarness(addresses: ["10.22.0.5/16", "fd00:22::5/64"])
        let check = try added(h, ["isDefaultGateway": true, "ipMasq": true], version: version.description)
        let out = h.run("CHECK", check)
        #expect(out.exitCode == 0, "\(out.stdout)")
        #expect(h.ipam.verbs == ["ADD", "CHECK"])
        #expect(h.iptables.calls.last == "missing c1/eth0")
    }

    @Test func missingPrevResultIsAnError() throws {
        let h = BridgeHarness()
        _ = try h.add(netconf())
        let error = try reportedError(h.run("CHECK", netconf()))
        #expect(error.code == 7 && error.msg.contains("prevResult"))
        #expect(h.ipam.verbs == ["ADD"])
    }

    @Test func l2CheckDoesNotCallIPAMOrMasquerade() throws {
        let h = BridgeHarness()
        let check = try added(h, ["ipMasq": true], ipam: l2)
        let out = h.run("CHECK", check)
        #expect(out.exitCode == 0, "\(out.stdout)")
        #expect(h.ipam.calls.isEmpty)
        #expect(h.iptables.calls.isEmpty && h.nftables.calls.isEmpty)
    }

    @Test func ipamCheckFailureIsReported() throws {
        let h = BridgeHarness()
        let check = try added(h)
        h.ipam.failures["CHECK"] = CNIError(.checkFailed, "fake-ipam: no reservation for c1")
        let error = try reportedError(h.run("CHECK", check))
        #expect(error.code == 104 && error.msg.contains("no reservation"))
    }

    @Test(arguments: ["container", "bridge"])
    func macMismatchFails(_ which: String) throws {
        let h = BridgeHarness()
        let check = try added(h)
        let other = MACAddress("02:12:34:56:78:9a")!
        if which == "container" { h.container.modifyLink("eth0") { $0.mac = other } }
        else { h.host.modifyLink("br-test") { $0.mac = other } }
        let error = try reportedError(h.run("CHECK", check))
        #expect(error.code == 104)
        #expect(error.msg.contains("02:12:34:56:78:9a"), "\(error.msg)")
    }

    @Test func detachedHostVethFails() throws {
        let h = BridgeHarness()
        let check = try added(h)
        h.host.modifyLink(h.hostVeths[0]) { $0.masterIndex = nil }
        let error = try reportedError(h.run("CHECK", check))
        #expect(error.code == 104 && error.msg.contains("attached to br-test"))
    }

    @Test func missingAddressFails() throws {
        let h = BridgeHarness()
        let check = try added(h)
        try h.container.deleteAddress(IPNetwork("10.22.0.5/16")!, from: h.container.linkNamed("eth0")!)
        let error = try reportedError(h.run("CHECK", check))
        #expect(error.code == 104 && error.msg.contains("10.22.0.5/16"))
    }

    @Test func missingMasqueradeFails() throws {
        let h = BridgeHarness()
        let check = try added(h, ["ipMasq": true])
        h.iptables.active = [:]
        let error = try reportedError(h.run("CHECK", check))
        #expect(error.code == 104)
        #expect(error.msg.contains("masquerade rules missing") && error.msg.contains("10.22.0.5/16"))
    }

    @Test func masqueradeIsCheckedOnTheConfiguredBackend() throws {
        let h = BridgeHarness()
        let check = try added(h, ["ipMasq": true, "ipMasqBackend": "nftables"])
        #expect(h.run("CHECK", check).exitCode == 0)
        #expect(h.nftables.calls.last == "missing c1/eth0" && h.iptables.calls.isEmpty)
    }

    @Test func missingContainerInterfaceFails() throws {
        let h = BridgeHarness()
        let check = try added(h)
        try h.container.deleteLink(h.container.linkNamed("eth0")!)
        let error = try reportedError(h.run("CHECK", check))
        #expect(error.code == 104 && error.msg.contains("eth0"))
    }
}
