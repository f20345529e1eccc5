// HostLocalPlugin: placeholder.
import CNIPlugin
import CNISpec
public struct HostLocalPlugin: Plugin {
    public init() {}
    public var about: String { "CNI host-local IPAM plugin (swift-cni)" }
    public func add(_ request: Request) throws -> CNIResult { CNIResult() }
    public func del(_ request: Request) throws {}
    public func check(_ request: Request) throws {}
}
