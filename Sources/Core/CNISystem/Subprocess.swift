// Subprocess: runs a program with posix_spawn, feeds its stdin, captures its stdout (stderr passes through).
import Glibc
internal import CCNIShims

/// What a finished child process produced.
public struct ProcessOutput: Sendable {
    public let status: Int32          // exit code, or 128 + signal number
    public let stdout: [UInt8]
    public let stderr: [UInt8]        // empty unless captured
    public var succeeded: Bool { status == 0 }
}

public enum Subprocess {
    /// Runs `path` with `arguments` (argv[0] excluded) and `environment`, writes `input` to its stdin and
    /// collects its stdout. Stderr is inherited unless `captureStderr`.
    public static func run(_ path: String, arguments: [String] = [], environment: [String: String],
                           input: [UInt8] = [], captureStderr: Bool = false) throws(SystemError) -> ProcessOutput {
        try start(path, arguments: arguments, environment: environment, captureStderr: captureStderr).finish(input: input)
    }

    /// Starts `path` now and leaves it waiting for its stdin: `finish` feeds it and collects the outputs.
    /// Lets a caller pay a tool's start-up (exec, dynamic loading) while it computes the tool's input.
    public static func start(_ path: String, arguments: [String] = [], environment: [String: String],
                             captureStderr: Bool = false) throws(SystemError) -> RunningProcess {
        var inPipe: [Int32] = [-1, -1], outPipe: [Int32] = [-1, -1], errPipe: [Int32] = [-1, -1]
        try syscall("pipe") { ccni_pipe_cloexec(&inPipe) }
        do {
            try syscall("pipe") { ccni_pipe_cloexec(&outPipe) }
            if captureStderr { try syscall("pipe") { ccni_pipe_cloexec(&errPipe) } }
        } catch {
            for fd in inPipe + outPipe + errPipe where fd >= 0 { close(fd) }
            throw error
        }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        if captureStderr { posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2) }

        // The child starts with no blocked signals and SIGPIPE at its default, whatever the caller's
        // thread had: a tool that never sees SIGCHLD or SIGPIPE can hang or misbehave.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var emptyMask = sigset_t(), defaults = sigset_t()
        sigemptyset(&emptyMask)
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGPIPE)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = [path] + arguments
        let envp = environment.map { "\($0.key)=\($0.value)" }
        var pid: pid_t = 0
        StepTiming.mark("exec \(path)")
        let rc = withCStrings(argv) { cArgv in
            withCStrings(envp) { cEnv in posix_spawn(&pid, path, &actions, &attributes, cArgv, cEnv) }
        }
        close(inPipe[0]); close(outPipe[1])
        if captureStderr { close(errPipe[1]) }
        if rc != 0 {
            close(inPipe[1]); close(outPipe[0])
            if captureStderr { close(errPipe[0]) }
            throw SystemError("exec \(path)", errno: rc)
        }
        return RunningProcess(path: path, pid: pid, stdin: inPipe[1], stdout: outPipe[0], stderr: captureStderr ? errPipe[0] : -1)
    }

    /// Writes `input` and reads both outputs at once, so a chatty child can never deadlock us.
    fileprivate static func pump(input: [UInt8], stdin: Int32, stdout: Int32, stderr: Int32) -> ([UInt8], [UInt8]) {
        var out: [UInt8] = [], err: [UInt8] = []
        var written = 0
        var inFD = stdin
        if input.isEmpty { close(inFD); inFD = -1 }
        var outFD = stdout, errFD = stderr
        var buffer = [UInt8](repeating: 0, count: 65536)
        signal(SIGPIPE, SIG_IGN)
        while inFD >= 0 || outFD >= 0 || errFD >= 0 {
            var fds = [pollfd(fd: inFD, events: Int16(POLLOUT), revents: 0),
                       pollfd(fd: outFD, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: errFD, events: Int16(POLLIN), revents: 0)]
            if poll(&fds, 3, -1) < 0 { if SystemError.current == EINTR { continue }; break }
            if inFD >= 0 && fds[0].revents != 0 {
                let n = input.withUnsafeBytes { write(inFD, $0.baseAddress! + written, input.count - written) }
                if n > 0 { written += n }
                if n < 0 && SystemError.current != EINTR && SystemError.current != EAGAIN { written = input.count }
                if written >= input.count { close(inFD); inFD = -1 }
            }
            for (index, isOut) in [(1, true), (2, false)] where fds[index].revents != 0 {
                let fd = isOut ? outFD : errFD
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n > 0 {
                    if isOut { out.append(contentsOf: buffer[0..<n]) } else { err.append(contentsOf: buffer[0..<n]) }
                } else if n == 0 || (SystemError.current != EINTR && SystemError.current != EAGAIN) {
                    close(fd)
                    if isOut { outFD = -1 } else { errFD = -1 }
                }
            }
        }
        return (out, err)
    }

    /// Finds `name` in the directories of a `:`-separated search path; nil when absent.
    public static func find(_ name: String, inPath searchPath: String) -> String? {
        for dir in searchPath.split(separator: ":") where !dir.isEmpty {
            let candidate = "\(dir)/\(name)"
            if FileSystem.isExecutable(candidate) { return candidate }
        }
        return nil
    }
}

/// A child started by `Subprocess.start`, waiting for its input. `finish` must be called exactly once
/// (a process never finished is fed nothing and reaped when this is deinitialised).
public final class RunningProcess: @unchecked Sendable {
    public let path: String
    public let pid: Int32
    private var stdin: Int32
    private let stdout: Int32, stderr: Int32
    private var finished = false

    init(path: String, pid: Int32, stdin: Int32, stdout: Int32, stderr: Int32) {
        self.path = path; self.pid = pid; self.stdin = stdin; self.stdout = stdout; self.stderr = stderr
    }

    /// Writes all of `input` to the child's stdin now and closes it. For input that fits the pipe
    /// (64 KiB) this never waits for the child; `finish` then collects the outputs. A child that
    /// exits without reading just makes the rest of the input go nowhere.
    public func send(_ input: [UInt8]) {
        guard stdin >= 0 else { return }
        signal(SIGPIPE, SIG_IGN)
        var written = 0
        while written < input.count {
            let n = input.withUnsafeBytes { write(stdin, $0.baseAddress! + written, input.count - written) }
            if n > 0 { written += n } else if n < 0 && SystemError.current == EINTR { continue } else { break }
        }
        close(stdin)
        stdin = -1
    }

    /// Writes `input` (unless `send` did already), closes stdin, collects stdout (and stderr if
    /// captured) and reaps the child.
    public func finish(input: [UInt8]) -> ProcessOutput {
        precondition(!finished, "RunningProcess.finish called twice")
        finished = true
        let (out, err) = Subprocess.pump(input: stdin >= 0 ? input : [], stdin: stdin, stdout: stdout, stderr: stderr)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && SystemError.current == EINTR {}
        StepTiming.mark("reaped \(path)")
        let code: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return ProcessOutput(status: code, stdout: out, stderr: err)
    }

    deinit { if !finished { _ = finish(input: []) } }
}

/// Calls `body` with a NULL-terminated C array of C strings.
func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
    let pointers = strings.map { strdup($0) } + [nil]
    defer { pointers.forEach { free($0) } }
    return body(pointers)
}
