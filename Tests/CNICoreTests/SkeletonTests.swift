// SkeletonTests: the protocol skeleton end to end with a recording fake plugin.
import CNIJSON
import CNIPlugin
import CNISpec
import Testing

/// A plugin that returns a fixed result and remembers the last request.
final class RecordingPlugin: Plugin, @unchecked Sendable {
    var about: String { "recording test plugin" }
    var lastRequest: Request?
    var failWith: (any Error)?
    var result = CNIResult(interfaces: [Interface(name: "eth0", sandbox: "/ns")],
                           ips: [IPConfig(address: IPNetwork("10.0.0.2/24")!, gateway: IPAddress("10.0.0.1"), interface: 0)])

    func add(_ request: Request) throws -> CNIResult { try record(request); return result }
    func del(_ request: Request) throws { try record(request) }
    func check(_ request: Request) throws { try record(request) }
    func gc(_ request: Request) throws { try record(request) }
    private func record(_ request: Request) throws {
        lastRequest = request
        if let failWith { throw failWith }
    }
}

func run(_ plugin: RecordingPlugin, _ command: String, _ config: String, _ extra: [String: String] = [:]) -> Outcome {
    Skeleton.run(plugin, environment: env(command, extra), stdin: { Array(config.utf8) })
}

func config(_ version: String, _ more: String = "") -> String {
    #"{"cniVersion":"\#(version)","name":"net1","type":"fake"\#(more)}"#
}

@Suite struct SkeletonTests {
    @Test(arguments: SpecVersion.all.filter { !$0.usesLegacyResult })
    func addPrintsResultInRequestVersion(_ version: SpecVersion) throws {
        let out = run(RecordingPlugin(), "ADD", config(version.description))
        #expect(out.exitCode == 0)
        let json = try JSON.parse(out.stdout)
        #expect(json["cniVersion"] == .string(version.description))
        #expect(json["ips"]?.arrayValue?.first?["address"] == "10.0.0.2/24")
    }

    @Test func addPrintsLegacyShapeFor020() throws {
        let json = try JSON.parse(run(RecordingPlugin(), "ADD", config("0.2.0")).stdout)
        #expect(json["ip4"]?["ip"] == "10.0.0.2/24")
    }

    @Test(arguments: [
        ("ADD", config("9.9.9"), 1), ("ADD", config("1.0"), 1), ("CHECK", config("0.3.1"), 1), ("GC", config("1.0.0"), 1),
        ("STATUS", config("0.4.0"), 1), ("ADD", "{bad json", 6), ("ADD", "[1]", 6),
        ("ADD", #"{"cniVersion":"1.0.0","type":"x"}"#, 7), ("ADD", #"{"cniVersion":"1.0.0","name":"a/b","type":"x"}"#, 7),
        ("ADD", #"{"cniVersion":"1.0.0","name":"..","type":"x"}"#, 7),
        ("ADD", config("1.0.0", #","prevResult":{"ips":[{"address":"bad"}]}"#), 6),
        ("ADD", config("1.0.0", #","ipam":"host-local""#), 6),
    ])
    func rejectsBadInput(_ command: String, _ stdin: String, _ code: Int) throws {
        let plugin = RecordingPlugin()
        let out = run(plugin, command, stdin)
        #expect(out.exitCode != 0)
        let json = try JSON.parse(out.stdout)
        #expect(json["code"] == .int(Int64(code)))
        #expect(json["msg"]?.stringValue?.isEmpty == false)
        #expect(json["cniVersion"] != nil)
        #expect(plugin.lastRequest == nil, "the plugin must not run on bad input")
    }

    @Test func incompatibleVersionNamesBoth() throws {
        let json = try JSON.parse(run(RecordingPlugin(), "ADD", config("0.9.0")).stdout)
        let details = try #require(json["details"]?.stringValue)
        #expect(details.contains("0.9.0") && details.contains("1.1.0"))
    }

    @Test func environmentErrorsAnswerInTheRequestVersion() throws {
        let out = run(RecordingPlugin(), "ADD", config("0.4.0"), ["CNI_IFNAME": ""])
        let json = try JSON.parse(out.stdout)
        #expect(json["code"] == 4 && json["cniVersion"] == "0.4.0")
    }

    @Test func versionEchoesRequestedVersion() throws {
        let out = Skeleton.run(RecordingPlugin(), environment: ["CNI_COMMAND": "VERSION"],
                               stdin: { Array(#"{"cniVersion":"0.4.0"}"#.utf8) })
        let json = try JSON.parse(out.stdout)
        #expect(json["cniVersion"] == "0.4.0")
        #expect(json["supportedVersions"]?.arrayValue?.count == 7)
    }

    @Test func noCommandPrintsAboutOnStderr() {
        let out = Skeleton.run(RecordingPlugin(), environment: [:], stdin: { [] })
        #expect(out.exitCode == 0 && out.stdout.isEmpty)
        #expect(out.stderr.contains("recording test plugin") && out.stderr.contains("1.1.0"))
    }

    @Test func pluginErrorsBecomeErrorJSON() throws {
        let plugin = RecordingPlugin()
        plugin.failWith = CNIError(.tryAgainLater, "busy", details: "come back")
        var json = try JSON.parse(run(plugin, "DEL", config("1.0.0")).stdout)
        #expect(json == ["cniVersion": "1.0.0", "code": 11, "msg": "busy", "details": "come back"])
        struct Odd: Error {}
        plugin.failWith = Odd()
        json = try JSON.parse(run(plugin, "DEL", config("1.0.0")).stdout)
        #expect(json["code"] == 100)
    }

    @Test func toleratesCapabilitiesAndReadsRuntimeConfigAndArgs() throws {
        let plugin = RecordingPlugin()
        let extra = #","capabilities":{"ips":true},"runtimeConfig":{"ips":["10.0.0.9"]},"args":{"cni":{"ips":["10.0.0.8"]}},"custom":{"k":1}"#
        #expect(run(plugin, "ADD", config("1.1.0", extra)).exitCode == 0)
        let request = try #require(plugin.lastRequest)
        #expect(request.config.runtimeConfig["ips"] == ["10.0.0.9"])
        #expect(request.config.argsIPs == ["10.0.0.8"])
        #expect(request.config.raw["custom"]?["k"] == 1)
    }

    @Test(arguments: ["cni.dev/valid-attachments", "cni.dev/attachments"])
    func gcAcceptsBothAttachmentKeys(_ key: String) throws {
        let plugin = RecordingPlugin()
        let extra = #","\#(key)":[{"containerID":"c1","ifname":"eth0"}]"#
        let out = Skeleton.run(plugin, environment: ["CNI_COMMAND": "GC", "CNI_PATH": "/x"],
                               stdin: { Array(config("1.1.0", extra).utf8) })
        #expect(out.exitCode == 0)
        #expect(plugin.lastRequest?.config.validAttachments == [Attachment(containerID: "c1", ifName: "eth0")])
    }

    @Test func gcWithoutAttachmentKeysHasNoList() throws {
        let plugin = RecordingPlugin()
        _ = Skeleton.run(plugin, environment: ["CNI_COMMAND": "GC", "CNI_PATH": "/x"], stdin: { Array(config("1.1.0").utf8) })
        #expect(plugin.lastRequest != nil)
        #expect(plugin.lastRequest?.config.validAttachments == nil)
    }

    @Test(arguments: ["0.2.0", "0.4.0", "1.0.0", "1.1.0"])
    func prevResultAcceptedInAnyVersion(_ prevVersion: String) throws {
        let prev = try richResult.json(version: SpecVersion(prevVersion)!).serialized()
        let plugin = RecordingPlugin()
        #expect(run(plugin, "ADD", config("1.1.0", #","prevResult":\#(prev)"#)).exitCode == 0)
        #expect(plugin.lastRequest?.config.prevResult?.ips.first?.address.description == "10.22.0.5/16")
    }

    @Test func prevResultWithoutVersionTakesConfigVersion() throws {
        let plugin = RecordingPlugin()
        #expect(run(plugin, "ADD", config("0.2.0", #","prevResult":{"ip4":{"ip":"10.0.0.7/8"}}"#)).exitCode == 0)
        #expect(plugin.lastRequest?.config.prevResult?.ips.count == 1)
    }
}
