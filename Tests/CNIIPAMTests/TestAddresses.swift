// TestAddresses: short constructors for addresses and range sets used throughout the IPAM tests.
import CNIIPAM
import CNISpec

func ip(_ s: String) -> IPAddress { IPAddress(s)! }

/// A range set from "subnet[,start,end[,gateway]]" strings, one per range.
func rangeSet(_ specs: String...) throws -> RangeSet {
    try RangeSet(specs.map { spec in
        let p = spec.split(separator: ",").map(String.init)
        return try AddressRange(subnet: IPNetwork(p[0])!, rangeStart: p.count > 1 ? IPAddress(p[1]) : nil,
                                rangeEnd: p.count > 2 ? IPAddress(p[2]) : nil, gateway: p.count > 3 ? IPAddress(p[3]) : nil)
    })
}
