// ResolvConf: reads a resolv.conf file into a result's `dns` (nameserver, domain, search, options lines).
import CNISpec
import CNISystem

enum ResolvConf {
    /// Reads `path`; a missing or unreadable file is an error naming `ipam.resolvConf`.
    static func load(_ path: String) throws(CNIError) -> DNS {
        let text: String?
        do { text = try FileSystem.readText(path) } catch {
            throw CNIError.invalidConfig("ipam.resolvConf", path, error.reason)
        }
        guard let text else { throw CNIError.invalidConfig("ipam.resolvConf", path, "no such file") }
        return parse(text)
    }

    /// `nameserver X` adds a server, `domain X` sets the domain (the last line wins), `search A B` and
    /// `options A B` add to their lists; the reference host-local reads the file the same way.
    /// Comments start with `#` or `;`; a keyword with no value is skipped.
    static func parse(_ text: String) -> DNS {
        var dns = DNS()
        for line in text.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }).map(String.init)
            guard let key = fields.first, !key.hasPrefix("#"), !key.hasPrefix(";"), fields.count > 1 else { continue }
            let values = Array(fields.dropFirst())
            switch key {
            case "nameserver": dns.nameservers.append(values[0])
            case "domain": dns.domain = values[0]
            case "search": dns.search += values
            case "options": dns.options += values
            default: continue
            }
        }
        return dns
    }
}
