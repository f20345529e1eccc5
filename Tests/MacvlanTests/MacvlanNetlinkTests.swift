// MacvlanNetlinkTests: NetlinkSocket's macvlan creation (mode, MTU, MAC, bcqueuelen, netns) and details, in private namespaces.
import CNIJSON
import CNINamespace
import CNINetlink
import CNISpec
import CNITesting
import Testing

@Suite(.serialized, .enabled(if: TestNamespace.isRoot, "needs root to create network namespaces"))
struct MacvlanNetlinkTests {
    /// A host namespace with a veth end `up0` (this kernel has no dummy links) and an empty container.
    private func namespaces() throws -> (host: TestNamespace, container: TestNamespace, parent: Link, nl: NetlinkSocket) {
        let host = try TestNamespace(), container = try TestNamespace()
        try host.addUnreachableDefaultRoutes()
        try host.ip("link", "add", "up0", "type", "veth", "peer", "name", "up1")
        let nl = try NetlinkSocket(in: host.namespace)
        return (host, container, try nl.requireLink(named: "up0"), nl)
    }

    @Test(arguments: [MacvlanMode.bridge, .private, .vepa, .passthru])
    func createdInTheContainerWithEveryAttribute(_ mode: MacvlanMode) throws {
        let (host, container, parent, nl) = try namespaces()
        let mac = MACAddress("02:42:00:00:00:07")!
        try nl.createMacvlan(MacvlanOptions(name: "eth0", parentIndex: parent.index, mode: mode,
                                            namespace: container.namespace, mtu: 1400, mac: mac),
                             broadcastQueueLength: 77)
        let inside = try NetlinkSocket(in: container.namespace)
        let link = try #require(try inside.link(named: "eth0"))
        #expect(link.kind == "macvlan" && link.mtu == 1400)
        // passthru takes over the parent's MAC; the kernel ignores the requested one at creation.
        #expect(link.mac == (mode == .passthru ? parent.mac : mac))
        #expect(try inside.macvlanDetails(of: link) == MacvlanDetails(mode: mode, parentIndex: parent.index))
        let shown = try JSON.parse(Array(try container.ip("-d", "-j", "link", "show", "eth0").utf8))
        #expect(shown.arrayValue?.first?["linkinfo"]?["info_data"]?["bcqueuelen"]?.intValue == 77)
        #expect(try nl.link(named: "eth0") == nil, "nothing in the host")
        _ = host
    }

    @Test func withoutOptionalAttributesTheKernelChooses() throws {
        let (_, container, parent, nl) = try namespaces()
        try nl.createMacvlan(MacvlanOptions(name: "net1", parentIndex: parent.index, namespace: container.namespace),
                             broadcastQueueLength: nil)
        let inside = try NetlinkSocket(in: container.namespace)
        let link = try #require(try inside.link(named: "net1"))
        #expect(link.mtu == parent.mtu)
        #expect(try inside.macvlanDetails(of: link)?.mode == .bridge)
    }

    @Test func aTakenNameIsCode102AndTheHostsOwnNameIsNot() throws {
        let (_, container, parent, nl) = try namespaces()
        // The host's parent is named like the new link: no clash, the name is looked up in the target.
        try nl.createMacvlan(MacvlanOptions(name: "up0", parentIndex: parent.index, namespace: container.namespace),
                             broadcastQueueLength: nil)
        do {
            try nl.createMacvlan(MacvlanOptions(name: "up0", parentIndex: parent.index, namespace: container.namespace),
                                 broadcastQueueLength: nil)
            Issue.record("a second up0 was created")
        } catch {
            #expect(error.code == .alreadyExists, "\(error)")
        }
    }

    @Test func detailsOfOtherLinksAreNil() throws {
        let (_, _, parent, nl) = try namespaces()
        #expect(try nl.macvlanDetails(of: parent) == nil, "a veth")
        #expect(try nl.macvlanDetails(of: Link(index: 9999, name: "gone0")) == nil, "a missing link")
    }

    @Test func theParentInTheSameNamespaceIsReported() throws {
        let (host, _, parent, nl) = try namespaces()
        try nl.createMacvlan(MacvlanOptions(name: "mv1", parentIndex: parent.index, namespace: host.namespace),
                             broadcastQueueLength: nil)
        let link = try nl.requireLink(named: "mv1")
        #expect(try nl.macvlanDetails(of: link)?.parentIndex == parent.index)
    }
}
