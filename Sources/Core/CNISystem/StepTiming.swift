// StepTiming: opt-in timestamps of a plugin's steps on stderr, to see where an invocation spends its time.
import Glibc

/// With `SWIFT_CNI_TIMING=1` in the environment, `mark` writes `<program> +<ms> <step>` to stderr,
/// milliseconds since the first mark (the skeleton marks the start). Off, a mark costs one branch.
/// One write(2) per line, so marks from several threads do not interleave within a line.
public enum StepTiming {
    public static let enabled: Bool = getenv("SWIFT_CNI_TIMING").map { String(cString: $0) == "1" } ?? false
    private static let origin: Double = now()

    public static func mark(_ step: @autoclosure () -> String) {
        guard enabled else { return }
        let elapsed = (now() - origin) * 1000
        let whole = Int(elapsed), frac = Int((elapsed - Double(whole)) * 1000)
        let fracText = String(frac)
        let line = "\(program) +\(whole).\(String(repeating: "0", count: 3 - fracText.count))\(fracText) ms \(step())\n"
        _ = line.withCString { write(2, $0, strlen($0)) }
    }

    private static let program: String = {
        guard let path = CommandLine.arguments.first, let slash = path.lastIndex(of: "/") else {
            return CommandLine.arguments.first ?? "plugin"
        }
        return String(path[path.index(after: slash)...])
    }()

    private static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
