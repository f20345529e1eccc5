// LoopbackPluginTests: the loopback plugin through Skeleton.run in a fresh namespace, and on the fake.
import CNIJSON
import CNINetlink
import CNIPlugin
import CNISpec
import CNITesting
import LoopbackPlugin
import Testing

private func invoke(_ command: String, netns: String, config: String? = nil) -> Outcome {
    let env = ["CNI_COMMAND": command, "CNI_CONTAINERID": "loopback-test", "CNI_NETNS": netns,
               "CNI_IFNAME": "eth0", "CNI_PATH": "/nonexistent"]
    let stdin = config ?? #"{"cniVersion":"1.1.0","name":"lo-net","type":"loopback"}"#
    return Skeleton.run(LoopbackPlugin(), environment: env, stdin: { Array(stdin.utf8) })
}

private func errorCode(_ outcome: Outcome) -> Int64? {
    (try? JSON.parse(outcome.stdout))?["code"]?.intValue
}

@Suite(.serialized, .enabled(if: TestNamespace.isRoot, "needs root to create network namespaces"))
struct LoopbackPluginKernelTests {
    @Test func addCheckDel() throws {
        let test = try TestNamespace()
        let add = invoke("ADD", netns: test.path)
        #expect(add.exitCode == 0, "\(add.stdout)")
        let result = try CNIResult(json: JSON.parse(add.stdout), assumedVersion: .v1_1_0)
        #expect(result.interfaces == [Interface(name: "lo", mac: "00:00:00:00:00:00", sandbox: test.path)])
        #expect(result.ips.first == IPConfig(address: IPNetwork("127.0.0.1/8")!, interface: 0))
        #expect(result.ips.count == 2 && result.ips.last?.address == IPNetwork("::1/128"))
        #expect(try test.ip("link", "show", "lo").contains("UP"))

        #expect(invoke("CHECK", netns: test.path).exitCode == 0)
        #expect(invoke("DEL", netns: test.path).exitCode == 0)
        #expect(try !test.ip("link", "show", "lo").contains(",UP"))
        let check = invoke("CHECK", netns: test.path)
        #expect(check.exitCode != 0 && errorCode(check) == 104)
        #expect(invoke("STATUS", netns: test.path).exitCode == 0)
    }

    @Test func prevResultIsPassedThrough() throws {
        let test = try TestNamespace()
        let config = #"{"cniVersion":"1.0.0","name":"n","type":"loopback","prevResult":{"cniVersion":"1.0.0","#
            + #""interfaces":[{"name":"eth0","sandbox":"/x"}],"ips":[{"address":"10.1.0.2/24","interface":0}]}}"#
        let add = invoke("ADD", netns: test.path, config: config)
        #expect(add.exitCode == 0, "\(add.stdout)")
        let result = try CNIResult(json: JSON.parse(add.stdout), assumedVersion: .v1_0_0)
        #expect(result.interfaces.map(\.name) == ["eth0"])
        #expect(result.ips.map(\.address) == [IPNetwork("10.1.0.2/24")!])
        #expect(try test.ip("link", "show", "lo").contains("UP"))
    }

    @Test func delWithoutNetnsOrWithAVanishedOneSucceeds() throws {
        #expect(invoke("DEL", netns: "").exitCode == 0)
        #expect(invoke("DEL", netns: "/run/netns/swcni-gone-\(UInt32.random(in: 0...UInt32.max))").exitCode == 0)
    }

    @Test func badNetnsPathsAreCode4() throws {
        let missing = invoke("ADD", netns: "/run/netns/swcni-missing")
        #expect(errorCode(missing) == 4)
        let notNetns = invoke("ADD", netns: "/proc/self/status")
        #expect(errorCode(notNetns) == 4)
        #expect(notNetns.stdout.contains("/proc/self/status"))
        #expect(errorCode(invoke("DEL", netns: "/proc/self/status")) == 4)
    }
}

struct LoopbackDeviceFakeTests {
    @Test func strayAddressOnLoIsAnError() throws {
        let nl = FakeRouteNetlink()
        nl.addressTable = [LinkAddress(linkIndex: 1, address: IPNetwork("127.0.0.1/8")!),
                           LinkAddress(linkIndex: 1, address: IPNetwork("10.0.0.1/8")!)]
        let error = #expect(throws: CNIError.self) { try LoopbackDevice(netlink: nl).bringUp() }
        #expect(error?.msg.contains("10.0.0.1/8") == true)
    }

    @Test func resultHasFirstAddressOfEachFamily() throws {
        let nl = FakeRouteNetlink()
        nl.addressTable = [LinkAddress(linkIndex: 1, address: IPNetwork("127.0.0.1/8")!),
                           LinkAddress(linkIndex: 1, address: IPNetwork("127.0.0.2/8")!)]
        let found = try LoopbackDevice(netlink: nl).bringUp()
        #expect(found == LoopbackDevice.Addresses(ipv4: IPNetwork("127.0.0.1/8"), ipv6: nil))
        #expect(found.result(sandbox: "/ns").ips == [IPConfig(address: IPNetwork("127.0.0.1/8")!, interface: 0)])
        #expect(nl.linkTable[0].isUp)
        try LoopbackDevice(netlink: nl).verifyUp()
        try LoopbackDevice(netlink: nl).bringDown()
        let error = #expect(throws: CNIError.self) { try LoopbackDevice(netlink: nl).verifyUp() }
        #expect(error?.code == .checkFailed)
    }
}
