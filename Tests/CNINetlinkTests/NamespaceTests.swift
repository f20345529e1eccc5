// NamespaceTests: opening and validating network namespace paths, and switching threads into them.
import CNINamespace
import CNISpec
import CNISystem
import CNITesting
import Glibc
import Testing

@Suite(.serialized, .enabled(if: TestNamespace.isRoot, "needs root to create network namespaces"))
struct NamespaceTests {
    @Test func missingPathIsNotFound() throws {
        #expect(throws: NamespaceError.self) { try NetworkNamespace(path: "/run/netns/swcni-does-not-exist") }
        do {
            _ = try NetworkNamespace(path: "/run/netns/swcni-does-not-exist")
        } catch {
            guard case .notFound = error else { Issue.record("expected notFound, got \(error)"); return }
        }
        #expect(try NetworkNamespace.openIfExists("/run/netns/swcni-does-not-exist") == nil)
    }

    @Test func regularFileIsRejectedWithItsPath() throws {
        let path = "/tmp/swcni-not-a-netns-\(getpid())"
        #expect(FileSystem.createExclusiveForTest(path))
        defer { unlink(path) }
        let error = #expect(throws: CNIError.self) { try NetworkNamespace.open(path) }
        #expect(error?.code == .invalidEnvironment)
        #expect(error?.msg.contains(path) == true)
    }

    @Test(arguments: ["/proc/self/status", "/proc/self/ns/mnt", "/"])
    func nonNetworkNamespacePathsAreRejected(path: String) throws {
        do {
            _ = try NetworkNamespace(path: path)
            Issue.record("\(path) accepted as a network namespace")
        } catch {
            guard case .notANetworkNamespace(let p, _) = error else { Issue.record("got \(error)"); return }
            #expect(p == path)
        }
    }

    @Test func runSwitchesTheThreadAndComesBack() throws {
        let test = try TestNamespace()
        let home = try NetworkNamespace.current().inode()
        let target = try test.namespace.inode()
        #expect(home != target)
        let inside = try test.namespace.run { () throws(CNIError) in try NetworkNamespace.current().inode() }
        #expect(inside == target)
        #expect(try NetworkNamespace.current().inode() == home)
    }

    @Test func runSwitchesBackWhenTheBodyThrows() throws {
        let test = try TestNamespace()
        let home = try NetworkNamespace.current().inode()
        #expect(throws: CNIError.self) {
            try test.namespace.run { () throws(CNIError) in throw CNIError(.systemFailure, "boom") }
        }
        #expect(try NetworkNamespace.current().inode() == home)
    }

    @Test func sysctlIsWrittenInsideTheNamespace() throws {
        let test = try TestNamespace()
        let sysctl = SysctlInNamespace(test.namespace)
        #expect(try sysctl.set("net.ipv4.ip_forward", "1"))
        #expect(try test.sysctl("net.ipv4.ip_forward") == "1")
        #expect(try sysctl.set("net/ipv6/conf/swcni-nope/disable_ipv6", "0") == false)
        // Through the directory it keeps open for net/ipv6: still this namespace's entries, written.
        #expect(try sysctl.set("net/ipv6/conf/lo/accept_dad", "0"))
        #expect(try test.sysctl("net/ipv6/conf/lo/accept_dad") == "0")
        #expect(try sysctl.set("net/ipv6/conf/lo/accept_dad", "1"))
        #expect(try test.sysctl("net/ipv6/conf/lo/accept_dad") == "1")
    }
}

extension FileSystem {
    static func createExclusiveForTest(_ path: String) -> Bool {
        (try? createExclusive(path, contents: Array("x".utf8))) ?? false
    }
}
