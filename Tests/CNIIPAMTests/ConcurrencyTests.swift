// ConcurrencyTests: 32 simultaneous ADDs on one network get 32 distinct addresses (flock on the `lock` file).
import CNIIPAM
import CNIJSON
import CNIPlugin
import CNISpec
import CNISystem
import Dispatch
import Glibc
import Synchronization
import Testing

/// The built `host-local` next to the test bundle (`swift build` puts both in the same directory),
/// or the one named by HOST_LOCAL_BINARY.
private func hostLocalBinary() -> String? {
    if let path = getenv("HOST_LOCAL_BINARY").map({ String(cString: $0) }), FileSystem.isExecutable(path) { return path }
    var buf = [CChar](repeating: 0, count: 4096)
    let n = readlink("/proc/self/exe", &buf, buf.count - 1)
    guard n > 0 else { return nil }
    var dir = String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    while !dir.isEmpty && !dir.hasSuffix("/") { dir.removeLast() }
    for candidate in ["\(dir)host-local", "\(dir)../host-local"] where FileSystem.isExecutable(candidate) { return candidate }
    return nil
}

@Suite struct ConcurrencyTests {
    private static let count = 32

    /// Separate open file descriptions flock against each other even within one process.
    @Test func parallelAddsInThreadsGetDistinctAddresses() throws {
        let h = try HostLocalHarness()
        let cfg = h.config(ipam: #""ranges":[[{"subnet":"10.1.2.0/24"}],[{"subnet":"fd00::/64"}]]"#)
        let results = Mutex([Outcome?](repeating: nil, count: Self.count))
        DispatchQueue.concurrentPerform(iterations: Self.count) { i in
            let outcome = h.run("ADD", cfg, id: "c\(i)")
            results.withLock { $0[i] = outcome }
        }
        var seen: Set<String> = []
        for outcome in results.withLock({ $0.compactMap { $0 } }) { for a in try HostLocalHarness.addresses(outcome) { seen.insert(a) } }
        #expect(seen.count == 2 * Self.count)
        #expect(h.leaseFiles().count == 2 * Self.count)
    }

    @Test(.enabled(if: hostLocalBinary() != nil, "build the host-local product first"))
    func parallelAddProcessesGetDistinctAddresses() throws {
        let binary = try #require(hostLocalBinary())
        let h = try HostLocalHarness()
        // The real binary keeps its lease index in the machine's /run: remove it with the scratch data.
        defer {
            if let stamp = DirectoryStamp(of: h.networkDir) { unlink(LeaseIndexFile().path(for: stamp)) }
        }
        let cfgPath = "\(h.scratch.path)/net.json"
        try FileSystem.write(cfgPath, contents: Array(h.config(ipam: #""ranges":[[{"subnet":"10.1.2.0/24"}]]"#).utf8))
        // Start all 32 before waiting for any, so they really run at once.
        var pids: [pid_t] = []
        for i in 1...Self.count {
            pids.append(try spawn(binary, stdin: cfgPath, stdout: "\(h.scratch.path)/out.\(i)",
                                  environment: ["CNI_COMMAND=ADD", "CNI_CONTAINERID=p\(i)", "CNI_NETNS=/x",
                                                "CNI_IFNAME=eth0", "CNI_PATH=/usr/lib/cni"]))
        }
        for pid in pids {
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        }
        var seen: Set<String> = []
        for i in 1...Self.count {
            let text = try #require(try FileSystem.readText("\(h.scratch.path)/out.\(i)"))
            let json = try JSON.parse(Array(text.utf8))
            let address = try #require(json["ips"]?.arrayValue?.first?["address"]?.stringValue, "ADD \(i): \(text)")
            seen.insert(address)
        }
        #expect(seen.count == Self.count)
        #expect(h.leaseFiles().count == Self.count)
        for name in h.leaseFiles() {
            let owner = String(decoding: try FileSystem.read("\(h.networkDir)/\(name)") ?? [], as: UTF8.self)
            #expect(owner.hasPrefix("p") && owner.hasSuffix("\r\neth0"))
        }
    }
}

/// posix_spawn with stdin and stdout redirected to files and a clean signal mask (test threads block
/// most signals, and a child would inherit that).
private func spawn(_ path: String, stdin: String, stdout: String, environment: [String]) throws -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, stdin, O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    var attr = posix_spawnattr_t()
    posix_spawnattr_init(&attr)
    defer { posix_spawnattr_destroy(&attr) }
    var empty = sigset_t()
    sigemptyset(&empty)
    posix_spawnattr_setsigmask(&attr, &empty)
    posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK))
    let argv: [UnsafeMutablePointer<CChar>?] = [strdup(path), nil]
    let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0) } + [nil]
    defer { (argv + envp).forEach { free($0) } }
    var pid: pid_t = 0
    let rc = posix_spawn(&pid, path, &actions, &attr, argv, envp)
    try #require(rc == 0, "posix_spawn \(path): \(rc)")
    return pid
}
