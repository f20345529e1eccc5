#!/usr/bin/env bats
# 52-bridge-options.bats: bridge options and their kernel/firewall effects (nftables masquerade,
# hairpinMode, portIsolation, vlan), bad input that must leave the host unchanged, and the spec 1.1.0
# verbs STATUS and GC. All in the test's private namespaces.

load helpers

# add_ok CONFIG [env...]: bridge ADD must succeed; RESULT holds its result.
add_ok() {
    cni bridge ADD "$@"
    assert_success
    RESULT="$output"
}

# port_info IFNAME: `bridge -d -j link show` of the bridge port IFNAME in HOST_NS (one object).
port_info() {
    ip netns exec "$HOST_NS" bridge -d -j link show dev "$1" | jq -c '.[0]'
}

# ---------------------------------------------------------------------------------------------
# Bad input: an error, and nothing changed
# ---------------------------------------------------------------------------------------------

@test "hairpinMode with promiscMode: error naming both, host unchanged" {
    snapshot_host
    cni bridge ADD "$(br_config 1.0.0 "$V4_RANGES" '{"hairpinMode": true, "promiscMode": true}')"
    assert_cni_error_any
    jq -e '(.msg + " " + (.details // "")) | test("hairpin"; "i") and test("promisc"; "i")' <<<"$output" >/dev/null \
        || fail "the error does not name hairpinMode and promiscMode"
    assert_host_unchanged
}

@test "vlan 5000 (outside 0-4094): error, host unchanged" {
    snapshot_host
    cni bridge ADD "$(br_config 1.0.0 "$V4_RANGES" '{"vlan": 5000}')"
    assert_cni_error_any
    jq -e '(.msg + " " + (.details // "")) | test("vlan"; "i")' <<<"$output" >/dev/null \
        || fail "the error does not mention the vlan"
    assert_host_unchanged
}

@test "a link named like the bridge that is not a bridge: ADD error, no lease, host unchanged" {
    ip -n "$HOST_NS" link add "$BR_NAME" type veth peer name "${BR_NAME}p"
    snapshot_host
    cni bridge ADD "$(br_config 1.0.0 "$V4_RANGES")"
    assert_cni_error_any
    jq -e '(.msg + " " + (.details // "")) | test("bridge"; "i")' <<<"$output" >/dev/null \
        || fail "the error does not say what is wrong"
    assert_host_unchanged
    assert_no_leases
}

@test "host with no bridge yet, IPAM config host-local rejects: error naming the range, host unchanged (reference 1.1.1 leaves the bridge and the veth)" {
    snapshot_host
    cni bridge ADD "$(br_config 1.0.0 '[[{"subnet":"10.250.0.0/24","rangeStart":"10.251.0.2"}]]')"
    assert_cni_error_any
    jq -e '(.msg + " " + (.details // "")) | test("10.251.0.2")' <<<"$output" >/dev/null \
        || fail "the error does not name the bad rangeStart"
    assert_host_unchanged
}

@test "host with no bridge yet, ipam.type names no plugin in CNI_PATH: error naming it, host unchanged (reference 1.1.1 leaves the bridge and the veth)" {
    snapshot_host
    cni bridge ADD "$(br_config 1.0.0 "$V4_RANGES" '' '{"type": "no-such-ipam"}')"
    assert_cni_error_any
    jq -e '(.msg + " " + (.details // "")) | test("no-such-ipam")' <<<"$output" >/dev/null \
        || fail "the error does not name the missing plugin"
    assert_host_unchanged
}

@test "STATUS (1.1.0): success with no bridge yet and with a healthy one (needs spec 1.1.0)" {
    require_spec 1.1.0 bridge
    local conf
    conf="$(br_config 1.1.0 "$V4_RANGES")"
    cni bridge STATUS "$conf"
    assert_success
    add_ok "$conf"
    cni bridge STATUS "$conf"
    assert_success
}

@test "STATUS (1.1.0): error 50 when the bridge name is taken by a link that is not a bridge (needs spec 1.1.0)" {
    require_spec 1.1.0 bridge
    ip -n "$HOST_NS" link add "$BR_NAME" type veth peer name "${BR_NAME}p"
    snapshot_host
    cni bridge STATUS "$(br_config 1.1.0 "$V4_RANGES")"
    assert_cni_error 50
    assert_host_unchanged
}

# ---------------------------------------------------------------------------------------------
# Masquerade backends and GC
# ---------------------------------------------------------------------------------------------

@test "ipMasqBackend nftables: ADD puts one masquerade rule per address in inet cni_plugins_masquerade, DEL removes them (not in reference 1.1.1)" {
    local conf rules
    conf="$(br_config 1.0.0 "$DUAL_RANGES" '{"ipMasqBackend": "nftables"}')"
    add_ok "$conf"
    rules="$(nft_masq_rules)"
    assert_equal "$(jq length <<<"$rules")" 2 "nft masquerade rules"
    assert_jq '[.[] | .expr[] | select(.match.left.payload.field == "saddr") | .match.right] | sort == ["10.250.0.2", "fd00:5ca1:ab1e::2"]' "$rules"
    assert_jq 'all(.[]; any(.expr[]; has("masquerade")))' "$rules"
    assert_jq '[.[] | .expr[] | select(.match.op == "!=") | .match.right.prefix | "\(.addr)/\(.len)"] | sort == ["10.250.0.0/24", "fd00:5ca1:ab1e::/64"]' "$rules"
    # The nftables backend alone: no iptables chains.
    [[ -z "$(host_masq_chains)" ]] || fail "iptables chains with the nftables backend: $(host_nat)"
    cni bridge CHECK "$(with_prev "$conf" "$RESULT")"
    assert_success
    cni bridge DEL "$(with_prev "$conf" "$RESULT")"
    assert_success
    assert_equal "$(nft_masq_rules)" "[]" "nft masquerade rules after DEL"
    assert_nothing_left
}

@test "ipMasq (iptables): a CNI- chain per attachment jumped to from POSTROUTING, per family, with the reference's comment" {
    local conf nat
    conf="$(br_config 1.0.0 "$DUAL_RANGES")"
    add_ok "$conf"
    nat="$(host_nat)"
    grep -qE -- "^-A POSTROUTING -s 10\.250\.0\.2/32 .*--comment \"name: \\\\\"$NET_NAME\\\\\" id: \\\\\"$CID\\\\\"\" -j CNI-" <<<"$nat" \
        || fail "no v4 jump with the reference's comment: $nat"
    grep -qE -- "^-A POSTROUTING -s fd00:5ca1:ab1e::2/128 .*-j CNI-" <<<"$nat" || fail "no v6 jump: $nat"
    grep -qE -- "^-A CNI-[0-9a-f]{24} .*-j MASQUERADE" <<<"$nat" || fail "no MASQUERADE rule: $nat"
    cni bridge DEL "$(with_prev "$conf" "$RESULT")"
    assert_success
    assert_nothing_left
}

# gc_two_attachments BACKEND: two ADDs (CID in POD_NS, c2 in p2), then GC with only CID valid.
gc_two_attachments() {
    local conf
    conf="$(br_config 1.1.0 "$V4_RANGES" "{\"ipMasqBackend\": \"$1\"}")"
    add_ok "$conf"
    new_netns p2
    add_ok "$conf" CNI_CONTAINERID=c2 CNI_NETNS="$(ns_path p2)"
    assert_equal "$(lease_count)" 2 "leases before GC"
    cni bridge GC "$(jq -c --arg cid "$CID" '. + {"cni.dev/valid-attachments": [{containerID: $cid, ifname: "eth0"}]}' <<<"$conf")"
    assert_success
    assert_equal "$(lease_count)" 1 "leases after GC"
    assert_lease 10.250.0.2 "$CID" eth0
}

@test "GC (1.1.0, iptables): removes the masquerade chain and the lease of the attachment not in cni.dev/valid-attachments (needs spec 1.1.0)" {
    require_spec 1.1.0 bridge
    gc_two_attachments iptables
    local nat; nat="$(host_nat)"
    grep -q "id: \\\\\"$CID\\\\\"" <<<"$nat" || fail "GC removed the valid attachment's masquerade: $nat"
    ! grep -q 'id: \\"c2\\"' <<<"$nat" || fail "GC left the stale attachment's masquerade: $nat"
    assert_equal "$(host_masq_chains | sort -u | wc -l)" 1 "masquerade chains after GC"
}

@test "GC (1.1.0, nftables): removes the masquerade rule of the attachment not in cni.dev/valid-attachments (needs spec 1.1.0)" {
    require_spec 1.1.0 bridge
    gc_two_attachments nftables
    local rules; rules="$(nft_masq_rules)"
    assert_jq 'length == 1 and (.[0].comment | test("id: '"$CID"'$"))' "$rules"
}

# ---------------------------------------------------------------------------------------------
# Bridge port flags and VLANs
# ---------------------------------------------------------------------------------------------

@test "default port flags: hairpin and isolated off" {
    add_ok "$(br_config 1.0.0 "$V4_RANGES")"
    assert_jq '.hairpin == false and .isolated == false and .master == "'"$BR_NAME"'"' "$(port_info "$(result_host_veth "$RESULT")")"
}

@test "hairpinMode sets the hairpin flag of the host veth's bridge port" {
    add_ok "$(br_config 1.0.0 "$V4_RANGES" '{"hairpinMode": true}')"
    assert_jq '.hairpin == true' "$(port_info "$(result_host_veth "$RESULT")")"
}

@test "portIsolation sets the isolated flag of the host veth's bridge port; isolated pods cannot reach each other (not in reference 1.1.1)" {
    local conf
    conf="$(br_config 1.0.0 "$V4_RANGES" '{"portIsolation": true}')"
    add_ok "$conf"
    assert_jq '.isolated == true' "$(port_info "$(result_host_veth "$RESULT")")"
    new_netns p2
    add_ok "$conf" CNI_CONTAINERID=c2 CNI_NETNS="$(ns_path p2)"
    assert_jq '.isolated == true' "$(port_info "$(result_host_veth "$RESULT")")"
    # Both still reach the gateway (the bridge itself is not an isolated port), not each other.
    assert_ping "$POD_NS" 10.250.0.1
    assert_ping "$(ns_name p2)" 10.250.0.1
    ! ip netns exec "$POD_NS" ping -n -c 1 -W 1 10.250.0.3 >/dev/null 2>&1 || fail "isolated ports reached each other"
}

# kernel_has_vlan_filtering: whether this kernel can make a VLAN-filtering bridge (probed in HOST_NS).
kernel_has_vlan_filtering() {
    ip -n "$HOST_NS" link add swcni-vlprobe type bridge vlan_filtering 1 2>/dev/null || return 1
    ip -n "$HOST_NS" link del swcni-vlprobe
}

@test "vlan 100: VLAN filtering on the bridge, the host veth port has VID 100 as PVID untagged" {
    kernel_has_vlan_filtering || skip "the kernel lacks bridge VLAN filtering (ip link add type bridge vlan_filtering 1 fails)"
    local conf
    conf="$(br_config 1.0.0 "$V4_RANGES" '{"vlan": 100, "isGateway": false, "ipMasq": false}')"
    add_ok "$conf"
    ip -n "$HOST_NS" -d -j link show dev "$BR_NAME" | jq -e '.[0].linkinfo.info_data.vlan_filtering == 1' >/dev/null \
        || fail "VLAN filtering is off on the bridge"
    local vlans
    vlans="$(ip netns exec "$HOST_NS" bridge -j vlan show dev "$(result_host_veth "$RESULT")")"
    assert_jq '[.[0].vlans[] | select(.vlan == 100 and (.flags | index("PVID")) and (.flags | index("Egress Untagged")))] | length == 1' "$vlans"
    assert_jq '[.[0].vlans[] | select(.vlan == 1)] | length == 0' "$vlans"
    cni bridge CHECK "$(with_prev "$conf" "$RESULT")"
    assert_success
    cni bridge DEL "$(with_prev "$conf" "$RESULT")"
    assert_success
    assert_nothing_left
}

# ---------------------------------------------------------------------------------------------
# A failed ADD undoes what it did
# ---------------------------------------------------------------------------------------------

@test "ADD failing after IPAM (bridge holds another IPv4 address, no forceAddress): no lease, veth or rule left (reference 1.1.1 leaves the veth)" {
    ip -n "$HOST_NS" link add "$BR_NAME" type bridge
    ip -n "$HOST_NS" addr add 10.9.9.1/24 dev "$BR_NAME"
    ip -n "$HOST_NS" link set "$BR_NAME" up
    cni bridge ADD "$(br_config 1.0.0 "$V4_RANGES")"
    assert_cni_error_any
    jq -e '(.msg + " " + (.details // "")) | test("address|IP"; "i")' <<<"$output" >/dev/null \
        || fail "the error does not mention the address conflict"
    assert_nothing_left
    ! ip -n "$POD_NS" link show eth0 >/dev/null 2>&1 || fail "eth0 left in the pod"
    assert_equal "$(ns_addrs "$HOST_NS" "$BR_NAME")" 10.9.9.1/24 "bridge addresses"
}

@test "forceAddress replaces a different IPv4 address on the bridge" {
    ip -n "$HOST_NS" link add "$BR_NAME" type bridge
    ip -n "$HOST_NS" addr add 10.9.9.1/24 dev "$BR_NAME"
    add_ok "$(br_config 1.0.0 "$V4_RANGES" '{"forceAddress": true}')"
    assert_equal "$(ns_addrs "$HOST_NS" "$BR_NAME")" 10.250.0.1/24 "bridge addresses"
    assert_ping "$POD_NS" 10.250.0.1
}

@test "ADD when IPAM has no address left: error, no veth or rule left, the first pod unharmed (reference 1.1.1 leaves the veth)" {
    local conf
    conf="$(br_config 1.0.0 '[[{"subnet":"10.250.0.0/24","rangeStart":"10.250.0.2","rangeEnd":"10.250.0.2"}]]')"
    add_ok "$conf"
    new_netns p2
    cni bridge ADD "$conf" CNI_CONTAINERID=c2 CNI_NETNS="$(ns_path p2)"
    assert_cni_error_any
    assert_equal "$(host_veths | wc -l)" 1 "host veths"
    assert_equal "$(lease_count)" 1 "leases"
    assert_equal "$(host_masq_jumps | wc -l)" 1 "POSTROUTING jumps"
    ! ip -n "$(ns_name p2)" link show eth0 >/dev/null 2>&1 || fail "eth0 left in the second pod"
    assert_ping "$POD_NS" 10.250.0.1
}

# ---------------------------------------------------------------------------------------------
# Interface details: MAC, MTU, DNS, disableContainerInterface
# ---------------------------------------------------------------------------------------------

@test "container MAC: runtimeConfig.mac over args.cni.mac over CNI_ARGS MAC=" {
    local base conf
    base="$(br_config 1.0.0 "$V4_RANGES")"
    new_netns p2
    new_netns p3
    add_ok "$base" "CNI_ARGS=IgnoreUnknown=1;MAC=02:00:00:00:00:03" CNI_CONTAINERID=c3 CNI_NETNS="$(ns_path p3)"
    assert_equal "$(ip -n "$(ns_name p3)" -j link show eth0 | jq -r '.[0].address')" 02:00:00:00:00:03 "CNI_ARGS MAC"
    assert_jq '.interfaces[2].mac == "02:00:00:00:00:03"'
    conf="$(jq -c '. + {args: {cni: {mac: "02:00:00:00:00:02"}}}' <<<"$base")"
    add_ok "$conf" "CNI_ARGS=IgnoreUnknown=1;MAC=02:00:00:00:00:09" CNI_CONTAINERID=c2 CNI_NETNS="$(ns_path p2)"
    assert_equal "$(ip -n "$(ns_name p2)" -j link show eth0 | jq -r '.[0].address')" 02:00:00:00:00:02 "args.cni.mac"
    conf="$(jq -c '. + {args: {cni: {mac: "02:00:00:00:00:09"}}, runtimeConfig: {mac: "02:00:00:00:00:01"}}' <<<"$base")"
    add_ok "$conf" "CNI_ARGS=IgnoreUnknown=1;MAC=02:00:00:00:00:08"
    assert_equal "$(ip -n "$POD_NS" -j link show eth0 | jq -r '.[0].address')" 02:00:00:00:00:01 "runtimeConfig.mac"
    assert_jq '.interfaces[2].mac == "02:00:00:00:00:01"'
    cni bridge CHECK "$(with_prev "$conf" "$RESULT")"
    assert_success
}

@test "IPv4-only pod: eth0 has its EUI-64 IPv6 link-local at once, not tentative (DAD off), and no other IPv6 address" {
    add_ok "$(br_config 1.0.0 "$V4_RANGES" '{"isGateway": false, "ipMasq": false}')"
    local mac ll expected
    mac="$(ip -n "$POD_NS" -j link show eth0 | jq -r '.[0].address')"
    # fe80:: + the MAC with the universal/local bit flipped and ff:fe in the middle (what addrgenmode eui64 makes)
    expected="$("$SPEC_PYTHON" -c 'import sys,ipaddress; b=bytes.fromhex(sys.argv[1].replace(":","")); print(ipaddress.IPv6Address(b"\xfe\x80"+b"\0"*6+bytes([b[0]^2])+b[1:3]+b"\xff\xfe"+b[3:])) ' "$mac")"
    ll="$(ip -n "$POD_NS" -j -6 addr show dev eth0 | jq -c '[.[0].addr_info[] | {local, prefixlen, scope, tentative: (.tentative // false)}]')"
    assert_equal "$ll" "[{\"local\":\"$expected\",\"prefixlen\":64,\"scope\":\"link\",\"tentative\":false}]" "eth0's IPv6 addresses"
    ip -n "$POD_NS" -6 route show dev eth0 | grep -q '^fe80::/64' || fail "no fe80::/64 route on eth0: $(ip -n "$POD_NS" -6 route show dev eth0)"
}

@test "IPv4-only pod with hairpinMode: an IPv6 address added later in the pod passes DAD (no looped-back failure)" {
    add_ok "$(br_config 1.0.0 "$V4_RANGES" '{"isGateway": false, "ipMasq": false, "hairpinMode": true}')"
    ip -n "$POD_NS" addr add fd00:77::5/64 dev eth0
    local flags="" i
    for i in $(seq 1 40); do
        flags="$(ip -n "$POD_NS" -j -6 addr show dev eth0 | jq -c '[.[0].addr_info[] | select(.local == "fd00:77::5") | {tentative, dadfailed}]')"
        [[ "$flags" == '[{"tentative":null,"dadfailed":null}]' ]] && break
        sleep 0.1
    done
    assert_equal "$flags" '[{"tentative":null,"dadfailed":null}]' "fd00:77::5 after DAD"
}

@test "mtu: both veth ends and a new bridge get it" {
    add_ok "$(br_config 1.0.0 "$V4_RANGES" '{"mtu": 1400}')"
    assert_equal "$(ip -n "$POD_NS" -j link show eth0 | jq '.[0].mtu')" 1400 "container MTU"
    assert_equal "$(ip -n "$HOST_NS" -j link show "$(result_host_veth)" | jq '.[0].mtu')" 1400 "host veth MTU"
    assert_equal "$(ip -n "$HOST_NS" -j link show "$BR_NAME" | jq '.[0].mtu')" 1400 "bridge MTU"
}

@test "dns in the config replaces IPAM's in the result" {
    add_ok "$(br_config 1.0.0 "$V4_RANGES" '{"dns": {"nameservers": ["10.250.0.53"], "search": ["pod.example"]}}')"
    assert_jq '.dns.nameservers == ["10.250.0.53"] and .dns.search == ["pod.example"]'
}

@test "disableContainerInterface (L2 only): the container end stays down (not in reference 1.1.1)" {
    local conf
    conf="$(br_config 1.0.0 "$V4_RANGES" '{"ipam": {}, "isGateway": false, "ipMasq": false, "disableContainerInterface": true}')"
    add_ok "$conf"
    ip -n "$POD_NS" -j link show dev eth0 | jq -e '.[0].flags | index("UP") == null' >/dev/null \
        || fail "container eth0 is up: $(ip -n "$POD_NS" link show dev eth0)"
    cni bridge DEL "$(with_prev "$conf" "$RESULT")"
    assert_success
    assert_no_veths
}

@test "disableContainerInterface with IPAM: error, host unchanged (not in reference 1.1.1)" {
    snapshot_host
    cni bridge ADD "$(br_config 1.0.0 "$V4_RANGES" '{"disableContainerInterface": true}')"
    assert_cni_error_any
    assert_host_unchanged
}
