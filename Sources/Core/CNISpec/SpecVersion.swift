// SpecVersion: CNI specification versions, their ordering, and what each one allows.

/// A CNI spec version such as 0.4.0 or 1.1.0.
public struct SpecVersion: Comparable, Hashable, Sendable, CustomStringConvertible {
    public let major: Int, minor: Int, patch: Int

    public init(_ major: Int, _ minor: Int, _ patch: Int) {
        self.major = major; self.minor = minor; self.patch = patch
    }

    /// Parses "X.Y.Z" (also "X.Y" and "X"). An empty string is 0.1.0, as libcni treats it.
    public init?(_ text: String) {
        if text.isEmpty { self.init(0, 1, 0); return }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...3).contains(parts.count) else { return nil }
        var numbers: [Int] = []
        for p in parts {
            guard !p.isEmpty, p.allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int(p) else { return nil }
            numbers.append(n)
        }
        while numbers.count < 3 { numbers.append(0) }
        self.init(numbers[0], numbers[1], numbers[2])
    }

    public var description: String { "\(major).\(minor).\(patch)" }

    public static func < (a: SpecVersion, b: SpecVersion) -> Bool {
        (a.major, a.minor, a.patch) < (b.major, b.minor, b.patch)
    }

    public static let v0_1_0 = SpecVersion(0, 1, 0)
    public static let v0_2_0 = SpecVersion(0, 2, 0)
    public static let v0_3_0 = SpecVersion(0, 3, 0)
    public static let v0_3_1 = SpecVersion(0, 3, 1)
    public static let v0_4_0 = SpecVersion(0, 4, 0)
    public static let v1_0_0 = SpecVersion(1, 0, 0)
    public static let v1_1_0 = SpecVersion(1, 1, 0)

    /// Every version this suite speaks, oldest first.
    public static let all: [SpecVersion] = [.v0_1_0, .v0_2_0, .v0_3_0, .v0_3_1, .v0_4_0, .v1_0_0, .v1_1_0]

    /// The newest version this suite speaks.
    public static let current = v1_1_0

    /// Whether results of this version use the 0.1/0.2 `ip4`/`ip6` shape.
    public var usesLegacyResult: Bool { self < .v0_3_0 }
    /// Whether results of this version carry `ips[].version` (0.3.x and 0.4.0).
    public var hasIPVersionField: Bool { self >= .v0_3_0 && self < .v1_0_0 }
}
