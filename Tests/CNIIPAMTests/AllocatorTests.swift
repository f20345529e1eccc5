// AllocatorTests: the round-robin allocator on the in-memory store: order, wraparound, gateway, exhaustion, requests.
import CNIIPAM
import CNISpec
import Testing

private func allocate(_ sets: [RangeSet], _ store: MemoryAddressStore, _ id: String, _ ifName: String = "eth0",
                      requested: [String] = []) throws -> [String] {
    try AddressAllocator(rangeSets: sets, store: store)
        .allocate(containerID: id, ifName: ifName, requested: requested.map(ip)).map(\.address.description)
}

@Suite struct AllocatorTests {
    @Test func firstAddressSkipsTheGatewayAndCarriesItsPrefix() throws {
        let store = MemoryAddressStore()
        let result = try AddressAllocator(rangeSets: [try rangeSet("10.1.2.0/24")], store: store)
            .allocate(containerID: "c1", ifName: "eth0")
        #expect(result == [IPConfig(address: IPNetwork("10.1.2.2/24")!, gateway: ip("10.1.2.1"))])
        #expect(store.entries[ip("10.1.2.2")] == Reservation(ip: ip("10.1.2.2"), containerID: "c1", ifName: "eth0"))
        #expect(store.lockCount == 1 && !store.isLocked)
    }

    @Test func roundRobinContinuesAfterTheLastReservedEvenWhenEarlierOnesAreFree() throws {
        let set = try rangeSet("10.1.2.0/29")
        let store = MemoryAddressStore()
        #expect(try allocate([set], store, "a") == ["10.1.2.2/29"])
        #expect(try allocate([set], store, "b") == ["10.1.2.3/29"])
        try AddressAllocator(rangeSets: [set], store: store).release(containerID: "a", ifName: "eth0")
        #expect(try allocate([set], store, "c") == ["10.1.2.4/29"])
    }

    /// last reserved -> next handed out, in a set of two ranges with gateways .1 and .129.
    @Test(arguments: [
        ("10.1.2.6", "10.1.2.130"),     // end of the first range: on to the second range, past its gateway
        ("10.1.2.134", "10.1.2.2"),     // end of the last range: wrap to the first, past its gateway
        ("10.1.2.3", "10.1.2.4"),
        ("10.9.9.9", "10.1.2.2"),       // not in the set (config changed): start from the beginning
    ])
    func wrapsAcrossRanges(last: String, expected: String) throws {
        let set = try rangeSet("10.1.2.0/29", "10.1.2.128/29")
        let store = MemoryAddressStore()
        store.setLastReserved(ip(last), rangeSetIndex: 0)
        #expect(try allocate([set], store, "c") == ["\(expected)/29"])
    }

    @Test func neverHandsOutGatewayNetworkOrBroadcast() throws {
        // An explicit range covering the whole /29, gateway in the middle.
        let set = try rangeSet("10.1.2.0/29,10.1.2.0,10.1.2.7,10.1.2.4")
        let store = MemoryAddressStore()
        var got: [String] = []
        for i in 0..<5 { got += try allocate([set], store, "c\(i)") }
        #expect(got == ["10.1.2.1/29", "10.1.2.2/29", "10.1.2.3/29", "10.1.2.5/29", "10.1.2.6/29"])
        #expect(set.capacity == 5)
        #expect(throws: CNIError.self) { try allocate([set], store, "c5") }
    }

    @Test(arguments: ["10.1.2.0/30", "fd00::/126"])
    func exhaustionIsCode101NamingTheSet(subnet: String) throws {
        let set = try rangeSet(subnet)
        let store = MemoryAddressStore()
        let first = try allocate([set], store, "a")
        #expect(first.count == 1)
        if set.family == .v6 { _ = try allocate([set], store, "b") }   // ::2 and ::3 (no broadcast in IPv6)
        do {
            _ = try allocate([set], store, "z")
            Issue.record("expected exhaustion")
        } catch let e as CNIError {
            #expect(e.code == .addressesExhausted)
            #expect(e.msg.contains("no IP addresses available in range set: \(set)"))
        }
    }

    @Test func duplicateAttachmentInTheSameSetIsRefused() throws {
        let set = try rangeSet("10.1.2.0/24")
        let store = MemoryAddressStore()
        _ = try allocate([set], store, "c1")
        #expect { try allocate([set], store, "c1") } throws: {
            ($0 as? CNIError)?.msg.contains("10.1.2.2 has been allocated to c1, duplicate allocation is not allowed") == true
        }
        #expect(try allocate([set], store, "c1", "eth1") == ["10.1.2.3/24"])
        #expect(store.entries.count == 2)
    }

    @Test func dualStackTakesOneAddressPerSet() throws {
        let sets = [try rangeSet("10.1.2.0/24"), try rangeSet("fd00::/64")]
        let store = MemoryAddressStore()
        #expect(try allocate(sets, store, "c1") == ["10.1.2.2/24", "fd00::2/64"])
        #expect(try allocate(sets, store, "c2") == ["10.1.2.3/24", "fd00::3/64"])
        #expect(store.last == [0: ip("10.1.2.3"), 1: ip("fd00::3")])
    }

    @Test func requestedAddressesGoToTheSetThatContainsThem() throws {
        let sets = [try rangeSet("10.1.2.0/24"), try rangeSet("fd00::/64")]
        let store = MemoryAddressStore()
        #expect(try allocate(sets, store, "c1", requested: ["fd00::99", "10.1.2.77"]) == ["10.1.2.77/24", "fd00::99/64"])
        #expect(try allocate(sets, store, "c2", requested: ["fd00::5"]) == ["10.1.2.78/24", "fd00::5/64"])
    }

    /// Requests that cannot all be met fail before anything is reserved.
    @Test(arguments: [
        (["10.1.2.5", "10.1.2.6"], "range set 0 already takes 10.1.2.5"),
        (["10.9.0.1"], "10.9.0.1 (in no range set)"),
        (["10.1.2.255"], "10.1.2.255 (in no range set)"),   // the broadcast lies outside rangeEnd
    ])
    func unfulfillableRequestsFailWithoutSideEffects(requested: [String], reason: String) throws {
        let store = MemoryAddressStore()
        #expect { try allocate([try rangeSet("10.1.2.0/24")], store, "c1", requested: requested) } throws: {
            ($0 as? CNIError)?.msg.contains("failed to allocate all requested IPs: ") == true && ($0 as? CNIError)?.msg.contains(reason) == true
        }
        #expect(store.entries.isEmpty && store.lockCount == 0)
    }

    @Test(arguments: [("10.1.2.1", "gateway"), ("10.1.2.0", "network address"), ("10.1.2.7", "broadcast")])
    func requestingAReservedAddressIsRefused(requested: String, why: String) throws {
        let set = try rangeSet("10.1.2.0/29,10.1.2.0,10.1.2.7")
        let store = MemoryAddressStore()
        #expect { try allocate([set], store, "c1", requested: [requested]) } throws: {
            ($0 as? CNIError)?.msg.contains(why) == true
        }
        #expect(store.entries.isEmpty && store.lockCount == 0)
    }

    @Test func aTakenRequestedAddressFailsAndReleasesEarlierSets() throws {
        let sets = [try rangeSet("10.1.2.0/24"), try rangeSet("fd00::/64")]
        let store = MemoryAddressStore([Reservation(ip: ip("fd00::9"), containerID: "other", ifName: "eth0")])
        #expect { try allocate(sets, store, "c1", requested: ["fd00::9"]) } throws: {
            ($0 as? CNIError)?.msg == "failed to allocate for range 1: requested IP address fd00::9 is not available in range set fd00::1-fd00::ffff:ffff:ffff:ffff"
        }
        #expect(store.entries.keys.sorted() == [ip("fd00::9")])
    }

    @Test func aStoreFailureInALaterSetRollsBackEarlierSets() throws {
        let sets = [try rangeSet("10.1.2.0/24"), try rangeSet("fd00::/64")]
        let store = MemoryAddressStore()
        store.failReserving = ip("fd00::2")
        #expect(throws: CNIError.self) { try allocate(sets, store, "c1") }
        #expect(store.entries.isEmpty)
    }

    @Test func releaseTakesEveryAddressOfTheAttachmentOnly() throws {
        let sets = [try rangeSet("10.1.2.0/24"), try rangeSet("fd00::/64")]
        let store = MemoryAddressStore([Reservation(ip: ip("10.1.2.50"), containerID: "c1", ifName: "eth1")])
        _ = try allocate(sets, store, "c1")
        let released = try AddressAllocator(rangeSets: sets, store: store).release(containerID: "c1", ifName: "eth0")
        #expect(released == [ip("10.1.2.2"), ip("fd00::2")])
        #expect(store.entries.keys.sorted() == [ip("10.1.2.50")])
        #expect(try AddressAllocator(rangeSets: sets, store: store).release(containerID: "nobody", ifName: "eth0").isEmpty)
    }

    @Test func legacyEntriesMatchOnContainerIDWhenNoExactEntryExists() throws {
        let store = MemoryAddressStore([Reservation(ip: ip("10.1.2.9"), containerID: "c1", ifName: nil)])
        #expect(try store.find(containerID: "c1", ifName: "eth0") == [ip("10.1.2.9")])
        #expect(try store.find(containerID: "c2", ifName: "eth0").isEmpty)
    }

    @Test func iteratorVisitsEveryAllocatableAddressOnce() throws {
        let set = try rangeSet("10.1.2.0/29", "10.1.2.64/30")
        let all = Array(RangeSetIterator(set, after: ip("10.1.2.4")))
        #expect(all.map(\.description) == ["10.1.2.5", "10.1.2.6", "10.1.2.66", "10.1.2.2", "10.1.2.3", "10.1.2.4"])
    }
}
