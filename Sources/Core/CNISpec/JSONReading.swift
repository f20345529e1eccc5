// JSONReading: typed reads of config members that fail with a CNI error naming the key and value.
import CNIJSON

extension JSONObject {
    /// An optional string member; another type is error 7 naming the key.
    public func string(_ key: String, in context: String = "") throws(CNIError) -> String? {
        guard let v = self[key], !v.isNull else { return nil }
        guard let s = v.stringValue else { throw typeError(key, v, "a string", context) }
        return s
    }

    /// An optional boolean member; also accepts the strings "true" and "false", as libcni does.
    public func bool(_ key: String, in context: String = "") throws(CNIError) -> Bool? {
        guard let v = self[key], !v.isNull else { return nil }
        if let b = v.boolValue { return b }
        if let s = v.stringValue?.lowercased(), s == "true" || s == "false" { return s == "true" }
        throw typeError(key, v, "a boolean", context)
    }

    /// An optional integer member.
    public func int(_ key: String, in context: String = "") throws(CNIError) -> Int? {
        guard let v = self[key], !v.isNull else { return nil }
        guard let i = v.intValue else { throw typeError(key, v, "an integer", context) }
        return Int(i)
    }

    /// An optional object member.
    public func object(_ key: String, in context: String = "") throws(CNIError) -> JSONObject? {
        guard let v = self[key], !v.isNull else { return nil }
        guard let o = v.objectValue else { throw typeError(key, v, "an object", context) }
        return o
    }

    /// An optional array member.
    public func array(_ key: String, in context: String = "") throws(CNIError) -> [JSON]? {
        guard let v = self[key], !v.isNull else { return nil }
        guard let a = v.arrayValue else { throw typeError(key, v, "an array", context) }
        return a
    }

    /// An optional array of strings.
    public func strings(_ key: String, in context: String = "") throws(CNIError) -> [String]? {
        guard let a = try array(key, in: context) else { return nil }
        var out: [String] = []
        for item in a {
            guard let s = item.stringValue else { throw typeError(key, item, "an array of strings", context) }
            out.append(s)
        }
        return out
    }

    private func typeError(_ key: String, _ v: JSON, _ expected: String, _ context: String) -> CNIError {
        let path = context.isEmpty ? key : "\(context).\(key)"
        return CNIError(.decodingFailure, "invalid \(path) \(v.serialized()): expected \(expected), got \(v.typeName)")
    }
}
