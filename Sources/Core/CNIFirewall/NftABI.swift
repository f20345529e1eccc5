// NftABI: the nf_tables numbers (linux/netfilter/nf_tables.h, nf_tables_compat.h) that the in-process nf_tables
// readers and writers (portmap, ipMasq) use, and the table/chain attributes that address a chain or its rules.

public enum NftABI {
    public static let getChain: UInt8 = 4, delChain: UInt8 = 5, getRule: UInt8 = 7, delRule: UInt8 = 8   // NFT_MSG_*
    public static let newSetElem: UInt8 = 12, getSetElem: UInt8 = 13, delSetElem: UInt8 = 14              // NFT_MSG_*
    public static let chainTable: UInt16 = 1, chainName: UInt16 = 3                                       // NFTA_CHAIN_*
    public static let ruleTable: UInt16 = 1, ruleChain: UInt16 = 2, ruleHandle: UInt16 = 3, ruleExpressions: UInt16 = 4   // NFTA_RULE_*
    public static let ruleUserdata: UInt16 = 7                                                            // NFTA_RULE_USERDATA
    public static let exprName: UInt16 = 1, exprData: UInt16 = 2                                          // NFTA_EXPR_*
    public static let immediateData: UInt16 = 2, dataVerdict: UInt16 = 2, dataValue: UInt16 = 1           // NFTA_IMMEDIATE_DATA, NFTA_DATA_*
    public static let verdictCode: UInt16 = 1, verdictChain: UInt16 = 2                                   // NFTA_VERDICT_*
    public static let metaKey: UInt16 = 2, metaMark: UInt32 = 3, metaL4proto: UInt32 = 16                 // NFTA_META_KEY, NFT_META_*
    public static let bitwiseMask: UInt16 = 4, bitwiseXor: UInt16 = 5                                     // NFTA_BITWISE_*
    public static let cmpOp: UInt16 = 2, cmpData: UInt16 = 3                                              // NFTA_CMP_*
    public static let newChain: UInt8 = 3, newRule: UInt8 = 6                                             // NFT_MSG_*
    public static let ruleCompat: UInt16 = 5, compatProto: UInt16 = 1, compatFlags: UInt16 = 2            // NFTA_RULE_COMPAT*
    public static let payloadDreg: UInt16 = 1, payloadBase: UInt16 = 2, payloadOffset: UInt16 = 3, payloadLength: UInt16 = 4  // NFTA_PAYLOAD_*
    public static let networkHeader: UInt32 = 1                                                           // NFT_PAYLOAD_NETWORK_HEADER
    public static let bitwiseSreg: UInt16 = 1, bitwiseDreg: UInt16 = 2, bitwiseLength: UInt16 = 3         // NFTA_BITWISE_*
    public static let cmpSreg: UInt16 = 1, cmpEq: UInt32 = 0, cmpNeq: UInt32 = 1                          // NFTA_CMP_SREG, NFT_CMP_*
    public static let counterBytes: UInt16 = 1, counterPackets: UInt16 = 2                                // NFTA_COUNTER_*
    public static let immediateDreg: UInt16 = 1, accept: UInt32 = 1                                       // NFTA_IMMEDIATE_DREG, NF_ACCEPT
    public static let matchName: UInt16 = 1, matchRev: UInt16 = 2, matchInfo: UInt16 = 3                 // NFTA_MATCH_*, NFTA_TARGET_*
    public static let jump = Int32(-3), goto = Int32(-4)                                                  // NFT_JUMP, NFT_GOTO
    public static let listTable: UInt16 = 1, listSet: UInt16 = 2, listElements: UInt16 = 3               // NFTA_SET_ELEM_LIST_*
    public static let listElem: UInt16 = 1                                                                // NFTA_LIST_ELEM
    public static let elemKey: UInt16 = 1, elemData: UInt16 = 2, elemUserdata: UInt16 = 6, elemKeyEnd: UInt16 = 10   // NFTA_SET_ELEM_*

    /// NFTA_RULE_TABLE and NFTA_RULE_CHAIN: the rules of `chain` (a dump, or a delete without a handle:
    /// every rule), or with NFTA_RULE_HANDLE added one of them.
    public static func rules(table: String, chain: String) -> NetlinkAttributes {
        var a = NetlinkAttributes()
        a.put(ruleTable, string: table)
        a.put(ruleChain, string: chain)
        return a
    }

    /// NFTA_CHAIN_TABLE and NFTA_CHAIN_NAME: `chain` itself.
    public static func chain(table: String, chain: String) -> NetlinkAttributes {
        var a = NetlinkAttributes()
        a.put(chainTable, string: table)
        a.put(chainName, string: chain)
        return a
    }
}
