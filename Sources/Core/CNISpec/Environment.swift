// Environment: the CNI_* variables of one invocation, validated per verb.

/// The CNI parameters passed through the environment.
public struct Environment: Sendable {
    public var command: Command?
    public var containerID: String
    public var netns: String
    public var ifName: String
    public var args: CNIArgs
    public var path: String
    /// The whole environment, passed on unchanged to delegated plugins.
    public var raw: [String: String]

    /// Reads and validates the variables for the verb in CNI_COMMAND. A missing CNI_COMMAND gives
    /// `command == nil` (the plugin then prints what it is).
    public init(_ env: [String: String]) throws(CNIError) {
        raw = env
        containerID = env["CNI_CONTAINERID"] ?? ""
        netns = env["CNI_NETNS"] ?? ""
        ifName = env["CNI_IFNAME"] ?? ""
        path = env["CNI_PATH"] ?? ""
        args = CNIArgs()
        guard let name = env["CNI_COMMAND"], !name.isEmpty else { command = nil; return }
        guard let cmd = Command(rawValue: name) else {
            throw CNIError(.invalidEnvironment, "unknown CNI_COMMAND: \(name)")
        }
        command = cmd
        if cmd == .version { return }
        args = try CNIArgs(parsing: env["CNI_ARGS"] ?? "")
        try validate(for: cmd)
    }

    private func validate(for cmd: Command) throws(CNIError) {
        var missing: [String] = []
        if cmd.isPerAttachment {
            // Unset is a missing variable (4), as the reference reports it; set but empty is the spec's
            // "container unknown" (3).
            if raw["CNI_CONTAINERID"] == nil {
                missing.append("CNI_CONTAINERID")
            } else if containerID.isEmpty {
                throw CNIError(.unknownContainer, "CNI_CONTAINERID is empty: no container to act on")
            } else if !Identifiers.isValidID(containerID) {
                throw CNIError(.invalidEnvironment, "invalid CNI_CONTAINERID \"\(containerID)\": must match ^[a-zA-Z0-9][a-zA-Z0-9_.\\-]*$")
            }
            if ifName.isEmpty { missing.append("CNI_IFNAME") }
            if (cmd == .add || cmd == .check) && netns.isEmpty { missing.append("CNI_NETNS") }
        }
        if cmd == .gc && path.isEmpty { missing.append("CNI_PATH") }
        if !missing.isEmpty {
            throw CNIError(.invalidEnvironment, "required env variables [\(missing.joined(separator: ","))] missing")
        }
        if cmd.isPerAttachment, let problem = Identifiers.interfaceNameProblem(ifName) {
            throw CNIError(.invalidEnvironment, "invalid CNI_IFNAME \"\(ifName)\": \(problem)")
        }
    }
}
