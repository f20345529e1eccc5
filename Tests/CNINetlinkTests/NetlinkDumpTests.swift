// NetlinkDumpTests: dumps interrupted by concurrent changes are retried, then reported with the operation.
@testable import CNINetlink
import CNISpec
import Testing

struct NetlinkDumpTests {
    /// libnl's NLE_DUMP_INTR ("Dump inconsistency detected, interrupted").
    static let dumpInterrupted: Int32 = 33

    @Test func interruptedDumpIsRetriedThenSucceeds() throws {
        let socket = try NetlinkSocket()   // the test's own namespace; the dump below never reaches it
        var attempts = 0
        try socket.dump("listing links", { _ in
            attempts += 1
            return attempts < 3 ? -Self.dumpInterrupted : 0
        }) { _ in Issue.record("an empty dump has no objects") }
        #expect(attempts == 3)
    }

    @Test func dumpInterruptedEveryTimeIsAnErrorNamingTheOperation() throws {
        let socket = try NetlinkSocket()
        var attempts = 0
        let error = #expect(throws: CNIError.self) {
            try socket.dump("listing routes in /run/netns/x", { _ in attempts += 1; return -Self.dumpInterrupted }) { _ in }
        }
        #expect(attempts == Netlink.dumpAttempts)
        #expect(error?.msg.hasPrefix("listing routes in /run/netns/x: ") == true)
        #expect(error?.code == .systemFailure)
    }

    @Test func existsIsCode102AndNamesTheObject() {
        let error = NetlinkError(operation: "adding 10.22.0.5/16 to veth3f2a", code: 6)   // NLE_EXIST
        #expect(error.cniError.code == .alreadyExists)
        #expect(error.cniError.msg == "adding 10.22.0.5/16 to veth3f2a: Object exists")
    }
}
