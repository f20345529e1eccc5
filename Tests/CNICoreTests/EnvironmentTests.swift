// EnvironmentTests: CNI_* validation per verb, CNI_ARGS parsing, identifiers and versions.
import CNISpec
import Testing

func env(_ command: String, _ extra: [String: String] = [:]) -> [String: String] {
    var e = ["CNI_COMMAND": command, "CNI_CONTAINERID": "abc123", "CNI_NETNS": "/var/run/netns/x",
             "CNI_IFNAME": "eth0", "CNI_PATH": "/opt/cni/bin"]
    for (k, v) in extra { e[k] = v }
    return e.filter { !$0.value.isEmpty }
}

@Suite struct EnvironmentTests {
    @Test func validAddParses() throws {
        let e = try Environment(env("ADD", ["CNI_ARGS": "IgnoreUnknown=1;K8S_POD_NAME=p;IP=10.0.0.5"]))
        #expect(e.command == .add)
        #expect(e.args["IP"] == "10.0.0.5")
        #expect(e.args.ignoreUnknown)
    }

    @Test func noCommandMeansAbout() throws {
        #expect(try Environment([:]).command == nil)
    }

    @Test(arguments: [
        ("ADD", "CNI_CONTAINERID", "", 4), ("ADD", "CNI_CONTAINERID", "-bad", 4), ("ADD", "CNI_CONTAINERID", "a/b", 4),
        ("ADD", "CNI_NETNS", "", 4), ("CHECK", "CNI_NETNS", "", 4), ("ADD", "CNI_IFNAME", "", 4),
        ("ADD", "CNI_IFNAME", "0123456789abcdef", 4), ("ADD", "CNI_IFNAME", "a/b", 4), ("ADD", "CNI_IFNAME", "..", 4),
        ("DEL", "CNI_IFNAME", "a b", 4), ("ADD", "CNI_IFNAME", "a:b", 4), ("GC", "CNI_PATH", "", 4),
        ("FROB", "CNI_PATH", "/x", 4), ("ADD", "CNI_ARGS", "novalue", 4),
    ])
    func rejectsBadEnvironment(_ command: String, _ key: String, _ value: String, _ code: Int) {
        var e = env(command)
        e[key] = value.isEmpty ? nil : value
        do {
            _ = try Environment(e)
            Issue.record("expected error code \(code)")
        } catch {
            #expect(error.code.rawValue == code)
            if code == 4 && !value.isEmpty && command != "FROB" { #expect(error.msg.contains(value) || error.msg.contains(key)) }
        }
    }

    @Test func setButEmptyContainerIDIsUnknownContainer() {
        var e = env("ADD")
        e["CNI_CONTAINERID"] = ""
        #expect(throws: CNIError.self) { try Environment(e) }
        do { _ = try Environment(e) } catch { #expect(error.code == .unknownContainer) }
    }

    @Test func delNeedsNoNetns() throws {
        #expect(try Environment(env("DEL", ["CNI_NETNS": ""])).netns == "")
    }

    @Test func statusAndGCNeedNoContainer() throws {
        _ = try Environment(["CNI_COMMAND": "STATUS"])
        _ = try Environment(["CNI_COMMAND": "GC", "CNI_PATH": "/x"])
    }

    @Test func argsRejectUnknownKeysUnlessIgnored() throws {
        let strict = try CNIArgs(parsing: "FOO=1")
        #expect(throws: CNIError.self) { try strict.validate(known: ["IP"]) }
        try CNIArgs(parsing: "FOO=1;IgnoreUnknown=true").validate(known: ["IP"])
        try CNIArgs(parsing: "IP=1.2.3.4;K8S_POD_NAME=x").validate(known: ["IP"])
        #expect(try CNIArgs(parsing: "A=b=c;;")["A"] == "b=c")
    }

    @Test(arguments: [("abc", true), ("a.b-c_d", true), ("0x", true), ("", false), ("_a", false), ("a b", false), ("a/b", false)])
    func identifierRule(_ s: String, _ ok: Bool) { #expect(Identifiers.isValidID(s) == ok) }

    @Test func versionsParseAndOrder() {
        #expect(SpecVersion("") == .v0_1_0)
        #expect(SpecVersion("1.0") == .v1_0_0)
        #expect(SpecVersion("1.x") == nil)
        #expect(SpecVersion("0.3.1")! < SpecVersion("0.4.0")!)
        #expect(SpecVersion.all.count == 7)
    }
}
