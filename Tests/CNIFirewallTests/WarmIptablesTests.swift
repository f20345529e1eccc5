// WarmIptablesTests: an iptables-restore started ahead applies the batch it is given later, in a private netns.
import CNIFirewall
import CNINamespace
import CNISpec
import CNITesting
import Glibc
import Testing

@Suite(.serialized, .enabled(if: TestNamespace.isRoot, "needs root to create network namespaces"))
struct WarmIptablesTests {
    private let batch = "*nat\n:CNI-warmtest - [0:0]\n-A POSTROUTING -s 10.99.0.5/32 -j CNI-warmtest\nCOMMIT\n"

    @Test func theStartedToolAppliesTheBatchGivenLater() throws {
        let ns = try TestNamespace()
        try ns.namespace.run { () throws(CNIError) in
            let warm = WarmIptables(families: [.v4])
            try warm.restore(.v4, batch: batch)
            let table = try warm.save(.v4, table: "nat")
            #expect(table.hasChain("CNI-warmtest"))
            #expect(table.rules(in: "POSTROUTING", jumpingTo: "CNI-warmtest").count == 1)
            // A second batch goes to a freshly started tool.
            try warm.restore(.v4, batch: "*nat\n-D POSTROUTING -s 10.99.0.5/32 -j CNI-warmtest\n-X CNI-warmtest\nCOMMIT\n")
            #expect(!(try warm.save(.v4, table: "nat")).hasChain("CNI-warmtest"))
        }
    }

    @Test func aFailingBatchIsAnErrorQuotingTheTool() throws {
        let ns = try TestNamespace()
        try ns.namespace.run { () throws(CNIError) in
            let warm = WarmIptables(families: [.v4])
            do throws(CNIError) {
                try warm.restore(.v4, batch: "*nat\n-D POSTROUTING -s 10.99.0.9/32 -j CNI-nosuchchain\nCOMMIT\n")
                Issue.record("deleting a missing rule should fail")
            } catch {
                #expect(error.description.contains("iptables-restore -w 10 --noflush failed"), "\(error.description)")
            }
        }
    }

    /// A tool started for a family that got no batch applies nothing, and is reaped: no zombie is left.
    @Test func anUnusedToolIsReapedAndChangesNothing() throws {
        let ns = try TestNamespace()
        try ns.namespace.run { () throws(CNIError) in
            var started: [Int32] = []
            do {
                let warm = WarmIptables(families: [.v4, .v6])
                started = warm.waitingProcessIDs
                try warm.restore(.v4, batch: batch)
            }
            #expect(started.count == 2)
            // Looked up, not reaped (other suites run their own children meanwhile): only ours count.
            let left = restoreChildren().filter { child in started.contains { child.hasPrefix("\($0) ") } }
            #expect(left.isEmpty, "an iptables-restore child is left: \(left)")
            #expect(try SystemIptables().save(.v6, table: "nat").chains.allSatisfy { !$0.hasPrefix("CNI-") })
        }
    }

    /// Children of this process that are an ip(6)tables-restore, zombies included (from /proc/<pid>/stat:
    /// `pid (comm) state ppid ...`).
    private func restoreChildren() -> [String] {
        var found: [String] = []
        guard let proc = opendir("/proc") else { return found }
        defer { closedir(proc) }
        let me = getpid()
        while let entry = readdir(proc) {
            let pid = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            guard pid.first?.isNumber == true, let stat = read("/proc/\(pid)/stat"),
                  let close = stat.lastIndex(of: ")") else { continue }
            let comm = stat[stat.index(after: stat.firstIndex(of: "(") ?? stat.startIndex)..<close]
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 1, Int32(fields[1]) == me, comm.contains("tables-rest") { found.append("\(pid) \(comm)") }
        }
        return found
    }

    private func read(_ path: String) -> String? {
        guard let f = fopen(path, "r") else { return nil }
        defer { fclose(f) }
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = fread(&buffer, 1, buffer.count - 1, f)
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self).trimmingCharacters()
    }
}

private extension String {
    func trimmingCharacters() -> String { split(whereSeparator: { $0 == "\n" }).joined() }
}
