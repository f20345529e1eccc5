// JSONCodec: parsing and printing through jansson; the only file that touches CJansson.
internal import CJansson
import Glibc

/// A JSON text that could not be parsed, with jansson's position and reason.
public struct JSONParseError: Error, Sendable, CustomStringConvertible {
    public let line: Int
    public let column: Int
    public let reason: String
    public var description: String { "line \(line), column \(column): \(reason)" }
}

extension JSON {
    /// Parses any JSON value (object, array or scalar) from UTF-8 bytes.
    public static func parse(_ bytes: [UInt8]) throws(JSONParseError) -> JSON {
        var error = json_error_t()
        let flags = JSON_DECODE_ANY | JSON_ALLOW_NUL
        let root = bytes.withUnsafeBufferPointer { buf -> UnsafeMutablePointer<json_t>? in
            buf.baseAddress.map { base in
                base.withMemoryRebound(to: CChar.self, capacity: buf.count) {
                    json_loadb($0, buf.count, Int(flags), &error)
                }
            } ?? json_loadb("", 0, Int(flags), &error)
        }
        guard let root else {
            let reason = withUnsafeBytes(of: &error.text) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            throw JSONParseError(line: Int(error.line), column: Int(error.column), reason: reason)
        }
        defer { cjansson_decref(root) }
        return JSON(borrowing: root)
    }

    /// Parses a JSON value from a string.
    public static func parse(_ text: String) throws(JSONParseError) -> JSON {
        try parse(Array(text.utf8))
    }

    private init(borrowing j: UnsafeMutablePointer<json_t>) {
        switch json_type(rawValue: UInt32(cjansson_type(j))) {
        case JSON_OBJECT:
            var object = JSONObject()
            var iter = json_object_iter(j)
            while let it = iter {
                let key = String(cString: json_object_iter_key(it))
                if let value = json_object_iter_value(it) { object[key] = JSON(borrowing: value) }
                iter = json_object_iter_next(j, it)
            }
            self = .object(object)
        case JSON_ARRAY:
            let n = json_array_size(j)
            var items: [JSON] = []
            items.reserveCapacity(n)
            for i in 0..<n { if let v = json_array_get(j, i) { items.append(JSON(borrowing: v)) } }
            self = .array(items)
        case JSON_STRING:
            let length = json_string_length(j)
            let bytes = UnsafeRawBufferPointer(start: json_string_value(j), count: length)
            self = .string(String(decoding: bytes, as: UTF8.self))
        case JSON_INTEGER: self = .int(Int64(json_integer_value(j)))
        case JSON_REAL: self = .double(json_real_value(j))
        case JSON_TRUE: self = .bool(true)
        case JSON_FALSE: self = .bool(false)
        default: self = .null
        }
    }

    /// Builds a new jansson value (reference owned by the caller).
    private func makeJansson() -> UnsafeMutablePointer<json_t> {
        switch self {
        case .null: return json_null()
        case .bool(let b): return cjansson_bool(b ? 1 : 0)
        case .int(let i): return json_integer(json_int_t(i))
        case .double(let d): return json_real(d)
        case .string(let s):
            var s = s
            return s.withUTF8 { buf in
                buf.withMemoryRebound(to: CChar.self) { chars in
                    guard let base = chars.baseAddress else { return json_string_nocheck("")! }
                    return json_stringn_nocheck(base, chars.count)!
                }
            }
        case .array(let items):
            let a = json_array()!
            for item in items { json_array_append_new(a, item.makeJansson()) }
            return a
        case .object(let object):
            let o = json_object()!
            for (key, value) in object { json_object_set_new_nocheck(o, key, value.makeJansson()) }
            return o
        }
    }

    /// Prints this value as JSON text: compact by default, or indented by two spaces.
    public func serialized(pretty: Bool = false) -> String {
        let j = makeJansson()
        defer { cjansson_decref(j) }
        let flags = JSON_ENCODE_ANY | (pretty ? 2 : JSON_COMPACT) | JSON_REAL_PRECISION(17)
        guard let text = json_dumps(j, Int(flags)) else { return "null" }
        defer { free(text) }
        return String(cString: text)
    }
}

private func JSON_REAL_PRECISION(_ n: Int32) -> Int32 { (n & 0x1F) << 11 }
