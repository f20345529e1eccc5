// MasqueradeBackend: ipMasq set up, torn down, checked and garbage-collected, per backend.
import CNINetlink
import CNISpec

/// The masquerade of attachments, whichever tool programs it.
public protocol MasqueradeBackend {
    /// Masquerades traffic from `addresses` leaving their subnets; one batch per family.
    func setup(_ owner: RuleOwner, addresses: [IPNetwork]) throws(CNIError)
    /// Removes every rule of `owner`. `addresses`, when known (prevResult), lets the common case skip
    /// reading the tables; without them, rules are found by their owner alone.
    func teardown(_ owner: RuleOwner, addresses: [IPNetwork]?) throws(CNIError)
    /// What CHECK finds missing for `owner`; empty when all is in place.
    func missing(_ owner: RuleOwner, addresses: [IPNetwork]) throws(CNIError) -> [String]
    /// Removes the rules of `network` whose owner is not in `valid`.
    func gc(network: String, valid: Set<RuleOwner>) throws(CNIError)
}

/// ipMasq through iptables-restore, in the reference's `CNI-<hash>` chains.
public struct IptablesMasquerade: MasqueradeBackend {
    let iptables: any Iptables
    /// The families whose setup is written in-process (`IptablesNftMasquerade`, iptables-nft only) when it can be.
    let inProcess: Set<IPFamily>

    public init(_ iptables: any Iptables = SystemIptables(), inProcess: Set<IPFamily> = []) {
        self.iptables = iptables; self.inProcess = inProcess
    }

    public func setup(_ owner: RuleOwner, addresses: [IPNetwork]) throws(CNIError) {
        let rules = MasqueradeRules(owner: owner, addresses: addresses)
        for family in [IPFamily.v4, .v6] {
            if inProcess.contains(family), IptablesNftMasquerade(rules).apply(family) { continue }
            // A new attachment has no rules yet; rendering against an empty table saves a save.
            if let batch = rules.setupBatch(family: family, current: IptablesTable(name: "nat")) {
                try iptables.restore(family, batch: batch)
            }
        }
    }

    public func teardown(_ owner: RuleOwner, addresses: [IPNetwork]?) throws(CNIError) {
        let rules = MasqueradeRules(owner: owner, addresses: addresses ?? [])
        for family in [IPFamily.v4, .v6] {
            // With the ADD's addresses known, a family it did not use holds nothing of this owner.
            if let addresses, !addresses.contains(where: { $0.family == family }) { continue }
            guard NetfilterProbe.iptablesTableMayExist("nat", family: family) else { continue }
            if let batch = rules.knownTeardownBatch(family: family), (try? iptables.restore(family, batch: batch)) != nil {
                continue
            }
            if let batch = rules.teardownBatch(current: try iptables.save(family, table: "nat")) {
                try iptables.restore(family, batch: batch)
            }
        }
    }

    public func missing(_ owner: RuleOwner, addresses: [IPNetwork]) throws(CNIError) -> [String] {
        let rules = MasqueradeRules(owner: owner, addresses: addresses)
        var problems: [String] = []
        for family in [IPFamily.v4, .v6] where addresses.contains(where: { $0.family == family }) {
            problems += rules.missing(family: family, current: try iptables.save(family, table: "nat"))
        }
        return problems
    }

    /// Chains of this network are recognised by their comment; the chain hash ignores ifname, so an
    /// attachment is valid when its (network, container ID) is.
    public func gc(network: String, valid: Set<RuleOwner>) throws(CNIError) {
        let keep = Set(valid.map { RuleOwner(network: network, containerID: $0.containerID, ifName: "").chainName() })
        for family in [IPFamily.v4, .v6] {
            let table = try iptables.save(family, table: "nat")
            let marker = "--comment \"name: \\\"\(network)\\\" id: "
            let stale = table.chains.filter { chain in
                chain.hasPrefix("CNI-") && !keep.contains(chain)
                    && table.rules(in: chain).contains { $0.contains(marker) }
            }
            guard !stale.isEmpty else { continue }
            var lines = ["*nat"]
            for chain in stale {
                lines += table.rules(in: "POSTROUTING", jumpingTo: chain).map { "-D POSTROUTING \($0)" }
                lines += ["-F \(chain)", "-X \(chain)"]
            }
            try iptables.restore(family, batch: (lines + ["COMMIT"]).joined(separator: "\n") + "\n")
        }
    }
}

/// ipMasq through one nft transaction, in the reference's `inet cni_plugins_masquerade` table.
public struct NftMasquerade: MasqueradeBackend {
    let nft: any Nft
    public init(_ nft: any Nft = SystemNft()) { self.nft = nft }

    private func current() throws(CNIError) -> [NftRule] {
        try nft.rules(family: "inet", table: NftMasqueradeRules.table, chain: NftMasqueradeRules.chain)
    }

    public func setup(_ owner: RuleOwner, addresses: [IPNetwork]) throws(CNIError) {
        try nft.apply(NftMasqueradeRules(owner: owner, addresses: addresses).setupScript(current: []))
    }

    public func teardown(_ owner: RuleOwner, addresses: [IPNetwork]?) throws(CNIError) {
        guard NetfilterProbe.tableExists(family: "inet", name: NftMasqueradeRules.table) else { return }
        if let script = NftMasqueradeRules(owner: owner, addresses: []).teardownScript(current: try current()) {
            try nft.apply(script)
        }
    }

    public func missing(_ owner: RuleOwner, addresses: [IPNetwork]) throws(CNIError) -> [String] {
        NftMasqueradeRules(owner: owner, addresses: addresses).missing(current: try current())
    }

    public func gc(network: String, valid: Set<RuleOwner>) throws(CNIError) {
        if let script = NftMasqueradeRules.gcScript(network: network, valid: valid, current: try current()) {
            try nft.apply(script)
        }
    }
}
