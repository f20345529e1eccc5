// ExecIPAMDelegate: finds `ipam.type` in CNI_PATH and runs it with the whole config and environment.
import CNIJSON
import CNIPlugin
import CNISpec
import CNISystem

/// Runs the IPAM plugin named by `ipam.type` as the spec's delegation section describes: same stdin,
/// same environment with only CNI_COMMAND changed, stderr passed through.
public struct ExecIPAMDelegate: IPAMDelegate {
    public init() {}

    public func add(_ request: Request) throws(CNIError) -> CNIResult {
        try Self.decodeResult(try invoke(.add, request), request)
    }

    /// Spawns the plugin and writes its stdin right away, on the caller's thread (no second thread
    /// to start and schedule first); its output is collected by `wait`.
    public func startAdd(_ request: Request) -> PendingIPAMAdd {
        let started: Started
        do { started = try start(.add, request) } catch { return PendingIPAMAdd { throw error } }
        started.process.send(request.config.bytes)
        return PendingIPAMAdd {
            try Self.decodeResult(try Self.outcome(started.process.finish(input: []), type: started.type), request)
        }
    }

    private static func decodeResult(_ out: [UInt8], _ request: Request) throws(CNIError) -> CNIResult {
        let json: JSON
        do { json = try JSON.parse(out) } catch {
            throw CNIError(.decodingFailure, "IPAM plugin \(request.config.ipamType ?? "") printed an invalid result: \(error)")
        }
        return try CNIResult(json: json, assumedVersion: request.version)
    }

    public func del(_ request: Request) throws(CNIError) { _ = try invoke(.del, request) }
    public func check(_ request: Request) throws(CNIError) { _ = try invoke(.check, request) }
    public func status(_ request: Request) throws(CNIError) { _ = try invoke(.status, request) }
    public func gc(_ request: Request) throws(CNIError) { _ = try invoke(.gc, request) }

    /// Runs the delegate; a failure is returned as the delegate's own CNI error when it printed one.
    private func invoke(_ command: Command, _ request: Request) throws(CNIError) -> [UInt8] {
        let started = try start(command, request)
        return try Self.outcome(started.process.finish(input: request.config.bytes), type: started.type)
    }

    /// A delegate spawned with the request's environment (CNI_COMMAND set to `command`), waiting for
    /// its stdin, and its plugin name.
    private typealias Started = (process: RunningProcess, type: String)

    private func start(_ command: Command, _ request: Request) throws(CNIError) -> Started {
        guard let type = request.config.ipamType else {
            throw CNIError(.invalidNetworkConfig, "missing ipam.type")
        }
        guard !type.contains("/"), type != ".", type != ".." else {
            throw CNIError.invalidConfig("ipam.type", "\"\(type)\"", "must be a plugin name, not a path")
        }
        guard let path = Subprocess.find(type, inPath: request.env.path) else {
            throw CNIError(.delegateFailed, "failed to find plugin \"\(type)\" in path [\(request.env.path)]")
        }
        var env = request.env.raw
        env["CNI_COMMAND"] = command.rawValue
        do { return (try Subprocess.start(path, environment: env), type) } catch {
            throw CNIError(error, code: .delegateFailed, context: "running IPAM plugin \(type)")
        }
    }

    /// The plugin's stdout when it succeeded, else its own CNI error when it printed one.
    private static func outcome(_ output: ProcessOutput, type: String) throws(CNIError) -> [UInt8] {
        if output.succeeded { return output.stdout }
        if let json = try? JSON.parse(output.stdout), let o = json.objectValue,
           let code = o["code"]?.intValue {
            throw CNIError(ErrorCode(rawValue: Int(code)), o["msg"]?.stringValue ?? "IPAM plugin \(type) failed",
                           details: o["details"]?.stringValue ?? "")
        }
        throw CNIError(.delegateFailed, "IPAM plugin \(type) failed with exit status \(output.status)",
                       details: String(decoding: output.stdout, as: UTF8.self))
    }
}
