// Skeleton: runs one plugin invocation end to end and turns every outcome into CNI output.
import CNIJSON
import CNISpec
import CNISystem
import Glibc

/// What one invocation printed and how it exits.
public struct Outcome: Sendable {
    public var exitCode: Int32
    public var stdout: String
    public var stderr: String
}

public enum Skeleton {
    /// The process entry point of every plugin executable.
    public static func main(_ plugin: some Plugin) -> Never {
        StepTiming.mark("start")
        let env = ProcessEnvironment.variables()
        let stdin: () -> [UInt8]? = { try? ProcessEnvironment.readStandardInput() }
        let outcome = run(plugin, environment: env, stdin: stdin)
        StepTiming.mark("result encoded")
        if !outcome.stdout.isEmpty { ProcessEnvironment.writeStandardOutput(outcome.stdout) }
        if !outcome.stderr.isEmpty { ProcessEnvironment.writeStandardError(outcome.stderr) }
        StepTiming.mark("exit \(outcome.exitCode)")
        exit(outcome.exitCode)
    }

    /// Runs one invocation with the given environment and stdin; pure apart from what the plugin does.
    public static func run(_ plugin: some Plugin, environment: [String: String],
                           stdin: () -> [UInt8]?) -> Outcome {
        var labelVersion = SpecVersion.current.description
        do {
            guard let name = environment["CNI_COMMAND"], !name.isEmpty else {
                let versions = plugin.supportedVersions.map(\.description).joined(separator: ", ")
                return Outcome(exitCode: 0, stdout: "", stderr: "\(plugin.about)\nCNI protocol versions supported: \(versions)\n")
            }
            // stdin first, so that even an environment error answers in the request's version.
            guard let bytes = stdin() else { throw CNIError(.ioFailure, "error reading from stdin") }
            if name == Command.version.rawValue { return versionOutcome(plugin, bytes) }
            // Parsed once: the version labels even an environment error; a parse error is reported
            // (code 6) only after the environment checks, as before.
            let parsed = Result { () throws(JSONParseError) -> JSON in try JSON.parse(bytes) }
            if let text = (try? parsed.get())?["cniVersion"]?.stringValue, SpecVersion(text) != nil {
                labelVersion = text
            }
            let env = try Environment(environment)
            guard let command = env.command else { throw CNIError(.invalidEnvironment, "CNI_COMMAND is empty") }
            let config: NetworkConfig
            switch parsed {
            case .success(let json): config = try NetworkConfig(json: json, bytes: bytes)
            case .failure(let error): throw NetworkConfig.parseError(error)
            }
            try config.validateName()
            try checkVersion(plugin, config, command)
            let request = Request(command: command, env: env, config: config)
            return try dispatch(plugin, request)
        } catch let error as CNIError {
            return failure(error, version: labelVersion)
        } catch {
            return failure(CNIError(.systemFailure, "\(error)"), version: labelVersion)
        }
    }

    private static func dispatch(_ plugin: some Plugin, _ request: Request) throws -> Outcome {
        switch request.command {
        case .add:
            let result = try plugin.add(request)
            let json = try result.json(version: request.version)
            return Outcome(exitCode: 0, stdout: json.serialized(pretty: true) + "\n", stderr: "")
        case .del: try plugin.del(request)
        case .check: try plugin.check(request)
        case .status: try plugin.status(request)
        case .gc: try plugin.gc(request)
        case .version: break
        }
        return Outcome(exitCode: 0, stdout: "", stderr: "")
    }

    /// The config version must be listed exactly by the plugin, and be new enough for the verb.
    static func checkVersion(_ plugin: some Plugin, _ config: NetworkConfig, _ command: Command) throws(CNIError) {
        let supported = plugin.supportedVersions
        let canonical = config.cniVersionText.isEmpty || config.cniVersionText == config.version.description
        if !canonical || !supported.contains(config.version) {
            let list = supported.map { "\"\($0)\"" }.joined(separator: ", ")
            throw CNIError(.incompatibleVersion, "incompatible CNI versions",
                           details: "config is \"\(config.cniVersionText)\", plugin supports [\(list)]")
        }
        if config.version < command.minimumVersion {
            throw CNIError(.incompatibleVersion, "config version \"\(config.version)\" does not allow \(command.rawValue)",
                           details: "\(command.rawValue) needs cniVersion \(command.minimumVersion) or newer")
        }
    }

    /// VERSION answers in the requested version when it is one we speak, else in the newest.
    private static func versionOutcome(_ plugin: some Plugin, _ bytes: [UInt8]) -> Outcome {
        var label = SpecVersion.current.description
        if let text = (try? JSON.parse(bytes))?["cniVersion"]?.stringValue,
           let v = SpecVersion(text), v.description == text, plugin.supportedVersions.contains(v) {
            label = text
        }
        let json: JSON = [
            "cniVersion": .string(label),
            "supportedVersions": .array(plugin.supportedVersions.map { .string($0.description) }),
        ]
        return Outcome(exitCode: 0, stdout: json.serialized() + "\n", stderr: "")
    }

    /// The error object on stdout, with a non-zero exit.
    public static func failure(_ error: CNIError, version: String) -> Outcome {
        Outcome(exitCode: 1, stdout: error.json(version: version).serialized(pretty: true) + "\n", stderr: "")
    }
}

extension CNIError {
    /// `{"cniVersion","code","msg","details"}`; `details` only when set.
    public func json(version: String) -> JSON {
        var o = JSONObject()
        o["cniVersion"] = .string(version)
        o["code"] = .int(Int64(code.rawValue))
        o["msg"] = .string(msg)
        if !details.isEmpty { o["details"] = .string(details) }
        return .object(o)
    }
}
