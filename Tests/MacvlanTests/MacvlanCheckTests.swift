// MacvlanCheckTests: CHECK passes on an intact attachment and fails with 104 on each kind of drift.
import CNIJSON
import CNISpec
import CNITesting
import Testing

/// A way to break an attachment after ADD, and what the CHECK error must mention.
struct Drift: Sendable, CustomTestStringConvertible {
    let label: String
    let mentions: String
    let apply: @Sendable (MacvlanHarness, inout CNIResult) -> Void
    var testDescription: String { label }
}

let drifts: [Drift] = [
    Drift(label: "master gone", mentions: #"master "mv0""#) { h, _ in h.host.removeLink("mv0") },
    Drift(label: "link gone", mentions: "eth0 not found") { h, _ in h.container.removeLink("eth0") },
    Drift(label: "not a macvlan", mentions: "not a macvlan") { h, _ in h.container.modifyLink("eth0") { $0.kind = "veth" } },
    Drift(label: "other mode", mentions: "mode private") { h, _ in
        let index = h.container.linkNamed("eth0")!.index
        h.container.macvlans[index]!.details.mode = .private
    },
    Drift(label: "other parent", mentions: "not on master mv0") { h, _ in
        let index = h.container.linkNamed("eth0")!.index
        h.container.macvlans[index]!.details.parentIndex = 77
    },
    Drift(label: "other MAC", mentions: "has MAC 02:11:22:33:44:55") { h, _ in
        h.container.modifyLink("eth0") { $0.mac = MACAddress("02:11:22:33:44:55") }
    },
    Drift(label: "address gone", mentions: "address 10.33.0.5/24 not found") { h, _ in h.container.base.addressTable.removeAll() },
    Drift(label: "route gone", mentions: "route 10.99.0.0/16") { h, _ in h.container.base.routeTable.removeAll() },
    Drift(label: "other sandbox", mentions: "prevResult has no interface eth0") { _, prev in prev.interfaces[0].sandbox = "/run/netns/x" },
    Drift(label: "other interface name", mentions: "prevResult has no interface eth0") { _, prev in prev.interfaces[0].name = "eth1" },
]

@Suite struct MacvlanCheckTests {
    @Test(arguments: SpecVersion.all.filter { $0 >= .v0_4_0 })
    func checkPassesAfterAdd(_ version: SpecVersion) throws {
        let h = MacvlanHarness(routes: [Route(dst: IPNetwork("10.99.0.0/16")!)])
        let result = try h.add(mvconf(["mode": "vepa"], version: version.description))
        let out = h.run("CHECK", try mvconf(["mode": "vepa"], version: version.description, prevResult: result))
        #expect(out.exitCode == 0, "\(out.stdout)")
        #expect(h.ipam.verbs == ["ADD", "CHECK"])
    }

    @Test(arguments: drifts)
    func driftFailsWith104(_ drift: Drift) throws {
        let h = MacvlanHarness(routes: [Route(dst: IPNetwork("10.99.0.0/16")!)])
        var result = try h.add(mvconf())
        drift.apply(h, &result)
        let error = try reportedError(h.run("CHECK", try mvconf(prevResult: result)))
        #expect(error.code == 104, "\(error.text)")
        #expect(error.text.contains(drift.mentions), "\(error.text) should mention \(drift.mentions)")
    }

    @Test func configModeDifferentFromTheLinkFails() throws {
        let h = MacvlanHarness()
        let result = try h.add(mvconf())
        let error = try reportedError(h.run("CHECK", try mvconf(["mode": "passthru"], prevResult: result)))
        #expect(error.code == 104 && error.msg.contains("mode bridge, the config says passthru"))
    }

    @Test func checkWithoutPrevResultIsAConfigError() throws {
        let h = MacvlanHarness()
        _ = try h.add(mvconf())
        let error = try reportedError(h.run("CHECK", mvconf()))
        #expect(error.code == 7 && error.msg.contains("prevResult"))
    }

    @Test func l2CheckSkipsIPAM() throws {
        let h = MacvlanHarness()
        let result = try h.add(mvconf(ipam: l2))
        #expect(h.run("CHECK", try mvconf(ipam: l2, prevResult: result)).exitCode == 0)
        #expect(h.ipam.calls.isEmpty)
    }

    @Test func ipamCheckFailureIsReported() throws {
        let h = MacvlanHarness()
        let result = try h.add(mvconf())
        h.ipam.failures["CHECK"] = CNIError(.checkFailed, "lease missing")
        let error = try reportedError(h.run("CHECK", try mvconf(prevResult: result)))
        #expect(error.code == 104 && error.msg.contains("lease missing"))
    }
}
