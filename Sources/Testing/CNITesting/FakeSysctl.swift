// FakeSysctl: an in-memory NamespaceSysctl recording what would be written under /proc/sys.
import CNINamespace
import CNISpec

/// An in-memory NamespaceSysctl: `values` holds what was set; names in `missing` do not exist.
public final class FakeSysctl: NamespaceSysctl {
    public var values: [String: String] = [:]
    public var missing: Set<String> = []

    public init() {}

    public func set(_ name: String, _ value: String) throws(CNIError) -> Bool {
        if missing.contains(name) { return false }
        values[name] = value
        return true
    }
}
