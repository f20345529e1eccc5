// DelegationTests: ExecIPAMDelegate runs a real executable found in CNI_PATH, as the spec's delegation rules say.
import CNIIPAM
import CNIPlugin
import CNISpec
import CNISystem
import Glibc
import Testing

/// A temporary CNI_PATH holding one shell-script "IPAM plugin".
final class FakeIPAMDir {
    let dir: String
    init(script: String) throws {
        var template = Array("/tmp/swcni-ipam-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        dir = String(cString: try #require(made))
        try FileSystem.write("\(dir)/fake-ipam", contents: Array(("#!/bin/sh\n" + script).utf8), mode: 0o755)
    }
    deinit { _ = system("rm -rf '\(dir)'") }

    func request(_ command: Command = .add) throws -> Request {
        let env = try Environment(["CNI_COMMAND": command.rawValue, "CNI_CONTAINERID": "c1", "CNI_NETNS": "/x",
                                   "CNI_IFNAME": "eth0", "CNI_PATH": "/nonexistent:\(dir)", "MARKER": "kept"])
        let config = try NetworkConfig(bytes: Array(#"{"cniVersion":"1.0.0","name":"n","type":"bridge","ipam":{"type":"fake-ipam","x":1}}"#.utf8))
        return Request(command: command, env: env, config: config)
    }
}

@Suite struct DelegationTests {
    @Test func addParsesTheDelegateResult() throws {
        let fake = try FakeIPAMDir(script: #"echo '{"cniVersion":"1.0.0","ips":[{"address":"10.1.0.9/16","gateway":"10.1.0.1"}]}'"#)
        let result = try ExecIPAMDelegate().add(try fake.request())
        #expect(result.ips.first?.address.description == "10.1.0.9/16")
        #expect(result.ips.first?.interface == nil)
    }

    @Test func passesWholeConfigAndEnvironmentWithCommandOverridden() throws {
        let fake = try FakeIPAMDir(script: "cat > \"$(dirname \"$0\")/stdin\"; echo \"$CNI_COMMAND $MARKER $CNI_IFNAME\" > \"$(dirname \"$0\")/env\"")
        try ExecIPAMDelegate().del(try fake.request(.check))
        #expect(try FileSystem.readText("\(fake.dir)/env") == "DEL kept eth0\n")
        #expect(try FileSystem.readText("\(fake.dir)/stdin")?.contains(#""x":1"#) == true)
    }

    @Test func delegateErrorKeepsItsCodeAndMessage() throws {
        let fake = try FakeIPAMDir(script: #"echo '{"cniVersion":"1.0.0","code":101,"msg":"no IP addresses available","details":"range 10.1.0.0/30"}'; exit 1"#)
        do {
            _ = try ExecIPAMDelegate().add(try fake.request())
            Issue.record("expected the delegate's error")
        } catch let error as CNIError {
            #expect(error.code == .addressesExhausted)
            #expect(error.msg == "no IP addresses available")
            #expect(error.details == "range 10.1.0.0/30")
        }
    }

    @Test func delegateCrashWithoutJSONIsDelegateFailure() throws {
        let fake = try FakeIPAMDir(script: "echo boom >&2; exit 3")
        #expect { try ExecIPAMDelegate().status(try fake.request()) } throws: { ($0 as? CNIError)?.code == .delegateFailed }
    }

    @Test func missingPluginIsNamed() throws {
        let fake = try FakeIPAMDir(script: "exit 0")
        var env = try fake.request().env
        env.path = "/nonexistent"
        let r = Request(command: .add, env: env, config: try fake.request().config)
        #expect { _ = try ExecIPAMDelegate().add(r) } throws: {
            ($0 as? CNIError)?.msg.contains("fake-ipam") == true
        }
    }

    /// startAdd spawns the delegate and feeds its stdin at once; the caller collects the result later.
    @Test func startAddRunsWhileTheCallerGoesOn() throws {
        let fake = try FakeIPAMDir(script: "cat > \"$(dirname \"$0\")/stdin\"; touch \"$(dirname \"$0\")/ran\"; " +
                                   #"echo '{"cniVersion":"1.0.0","ips":[{"address":"10.1.0.9/16"}]}'"#)
        let pending = ExecIPAMDelegate().startAdd(try fake.request())
        // The delegate runs (and has read its whole stdin) before anyone waits for it.
        var waited = 0
        while !FileSystem.exists("\(fake.dir)/ran") && waited < 500 { usleep(10_000); waited += 1 }
        #expect(FileSystem.exists("\(fake.dir)/ran"))
        #expect(try FileSystem.readText("\(fake.dir)/stdin")?.contains(#""x":1"#) == true)
        #expect(try pending.wait().ips.first?.address.description == "10.1.0.9/16")
    }

    @Test func startAddReportsTheDelegatesErrorAndAMissingPlugin() throws {
        let failing = try FakeIPAMDir(script: #"echo '{"cniVersion":"1.0.0","code":101,"msg":"no IP addresses available"}'; exit 1"#)
        #expect { _ = try ExecIPAMDelegate().startAdd(try failing.request()).wait() } throws: {
            ($0 as? CNIError)?.code == .addressesExhausted
        }
        var env = try failing.request().env
        env.path = "/nonexistent"
        let r = Request(command: .add, env: env, config: try failing.request().config)
        #expect { _ = try ExecIPAMDelegate().startAdd(r).wait() } throws: {
            ($0 as? CNIError)?.code == .delegateFailed && ($0 as? CNIError)?.msg.contains("fake-ipam") == true
        }
    }
}
