// StoreMaintenanceTests: garbage collection against valid attachments, and per-set usage for STATUS.
import CNIIPAM
import CNISpec
import Testing

@Suite struct StoreMaintenanceTests {
    @Test func gcKeepsValidAttachmentsAndLegacyEntriesOfValidContainers() throws {
        let store = MemoryAddressStore([
            Reservation(ip: ip("10.1.2.2"), containerID: "keep", ifName: "eth0"),
            Reservation(ip: ip("10.1.2.3"), containerID: "keep", ifName: "eth1"),
            Reservation(ip: ip("10.1.2.4"), containerID: "gone", ifName: "eth0"),
            Reservation(ip: ip("10.1.2.5"), containerID: "keep", ifName: nil),
            Reservation(ip: ip("10.1.2.6"), containerID: "gone", ifName: nil),
            Reservation(ip: ip("10.1.2.7"), containerID: "", ifName: nil),
        ])
        let outcome = try store.collectGarbage(keeping: [Attachment(containerID: "keep", ifName: "eth0")])
        #expect(outcome.released.map(\.ip.description) == ["10.1.2.3", "10.1.2.4", "10.1.2.6", "10.1.2.7"])
        #expect(outcome.failures.isEmpty)
        #expect(store.entries.keys.sorted().map(\.description) == ["10.1.2.2", "10.1.2.5"])
    }

    @Test func gcWithNoValidAttachmentsRemovesEverything() throws {
        let store = MemoryAddressStore([Reservation(ip: ip("10.1.2.2"), containerID: "a", ifName: "eth0")])
        _ = try store.collectGarbage(keeping: [])
        #expect(store.entries.isEmpty)
    }

    @Test func usageCountsOnlyAllocatableAddressesOfEachSet() throws {
        let sets = [try rangeSet("10.1.2.0/30"), try rangeSet("fd00::/64")]
        let store = MemoryAddressStore([
            Reservation(ip: ip("10.1.2.2"), containerID: "a", ifName: "eth0"),
            Reservation(ip: ip("10.1.2.1"), containerID: "odd", ifName: "eth0"),   // the gateway: does not count
            Reservation(ip: ip("10.9.9.9"), containerID: "b", ifName: "eth0"),    // outside every set
        ])
        let usage = try store.usage(of: sets)
        #expect(usage.map(\.used) == [1, 0])
        #expect(usage[0].capacity == 1 && usage[0].isExhausted)
        #expect(!usage[1].isExhausted)
    }
}
