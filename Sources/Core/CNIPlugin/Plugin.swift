// Plugin: what a plugin implements; the skeleton does everything else (env, stdin, versions, errors).
import CNISpec

/// One invocation, validated: the verb, the CNI_* parameters and the parsed config.
public struct Request: Sendable {
    public let command: Command
    public let env: Environment
    public let config: NetworkConfig

    public init(command: Command, env: Environment, config: NetworkConfig) {
        self.command = command; self.env = env; self.config = config
    }

    public var containerID: String { env.containerID }
    public var ifName: String { env.ifName }
    public var netns: String { env.netns }
    public var version: SpecVersion { config.version }
}

/// A CNI plugin's verbs. Defaults: STATUS succeeds and GC removes nothing.
public protocol Plugin {
    /// One line naming the plugin, printed on stderr when run with no CNI_COMMAND.
    var about: String { get }
    /// Spec versions the plugin accepts; the config's `cniVersion` must be one of them.
    var supportedVersions: [SpecVersion] { get }

    func add(_ request: Request) throws -> CNIResult
    func del(_ request: Request) throws
    func check(_ request: Request) throws
    func status(_ request: Request) throws
    func gc(_ request: Request) throws
}

extension Plugin {
    public var supportedVersions: [SpecVersion] { SpecVersion.all }
    public func status(_ request: Request) throws {}
    public func gc(_ request: Request) throws {}
}
