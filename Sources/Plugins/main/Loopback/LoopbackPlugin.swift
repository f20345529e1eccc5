// LoopbackPlugin: placeholder.
import CNIPlugin
import CNISpec
public struct LoopbackPlugin: Plugin {
    public init() {}
    public var about: String { "CNI loopback plugin (swift-cni)" }
    public func add(_ request: Request) throws -> CNIResult { CNIResult() }
    public func del(_ request: Request) throws {}
    public func check(_ request: Request) throws {}
}
