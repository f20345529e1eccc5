// Command: the CNI verbs and the spec versions each one needs.

public enum Command: String, Sendable, CaseIterable {
    case add = "ADD", del = "DEL", check = "CHECK", status = "STATUS", gc = "GC", version = "VERSION"

    /// The oldest config version in which the verb exists.
    public var minimumVersion: SpecVersion {
        switch self {
        case .check: return .v0_4_0
        case .status, .gc: return .v1_1_0
        default: return .v0_1_0
        }
    }

    /// Whether the verb acts on one container attachment (and so needs CNI_CONTAINERID and CNI_IFNAME).
    public var isPerAttachment: Bool { self == .add || self == .del || self == .check }
}
