// DNS: the `dns` object of configs and results.
import CNIJSON

public struct DNS: Equatable, Sendable {
    public var nameservers: [String] = []
    public var domain: String = ""
    public var search: [String] = []
    public var options: [String] = []

    public init(nameservers: [String] = [], domain: String = "", search: [String] = [], options: [String] = []) {
        self.nameservers = nameservers; self.domain = domain; self.search = search; self.options = options
    }

    public var isEmpty: Bool { nameservers.isEmpty && domain.isEmpty && search.isEmpty && options.isEmpty }

    public init(json: JSONObject, context: String = "dns") throws(CNIError) {
        nameservers = try json.strings("nameservers", in: context) ?? []
        domain = try json.string("domain", in: context) ?? ""
        search = try json.strings("search", in: context) ?? []
        options = try json.strings("options", in: context) ?? []
    }

    public var json: JSON {
        var o = JSONObject()
        if !nameservers.isEmpty { o["nameservers"] = .array(nameservers.map(JSON.string)) }
        if !domain.isEmpty { o["domain"] = .string(domain) }
        if !search.isEmpty { o["search"] = .array(search.map(JSON.string)) }
        if !options.isEmpty { o["options"] = .array(options.map(JSON.string)) }
        return .object(o)
    }
}
