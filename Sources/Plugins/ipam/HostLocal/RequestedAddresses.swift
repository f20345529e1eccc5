// RequestedAddresses: the specific addresses a runtime asks for (runtimeConfig.ips, args.cni.ips, CNI_ARGS IP=).
import CNIJSON
import CNIPlugin
import CNISpec
import CNISystem

enum RequestedAddresses {
    /// The union of all three sources, in this order, duplicates removed: CNI_ARGS `IP` (several
    /// separated by commas), `args.cni.ips`, `runtimeConfig.ips`. Each entry is `ip` or `ip/prefix`;
    /// the prefix is ignored because the range decides the mask.
    static func parse(_ request: Request) throws(CNIError) -> [IPAddress] {
        var out: [IPAddress] = []
        if let text = request.env.args["IP"] {
            for item in text.split(separator: ",") {
                out.append(try address(String(item).trimmingWhitespace(), from: "CNI_ARGS IP"))
            }
        }
        if let cni = try request.config.args.object("cni", in: "args") {
            for item in try cni.strings("ips", in: "args.cni") ?? [] {
                out.append(try address(item, from: "args.cni.ips"))
            }
        }
        for item in try request.config.runtimeConfig.strings("ips", in: "runtimeConfig") ?? [] {
            out.append(try address(item, from: "runtimeConfig.ips"))
        }
        var seen: Set<IPAddress> = []
        return out.filter { seen.insert($0).inserted }
    }

    private static func address(_ text: String, from key: String) throws(CNIError) -> IPAddress {
        if text.contains("/") {
            guard let network = IPNetwork(text) else {
                throw CNIError.invalidConfig(key, text, "not an IP address or CIDR")
            }
            return network.address
        }
        guard let ip = IPAddress(text) else { throw CNIError.invalidConfig(key, text, "not an IP address") }
        return ip
    }
}
