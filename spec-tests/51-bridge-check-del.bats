#!/usr/bin/env bats
# 51-bridge-check-del.bats: bridge CHECK (passes after ADD; fails once an address, a route or a
# masquerade rule is gone), DEL (twice; after the pod netns is gone; nothing left behind) and 32
# ADDs at once on a host without the bridge. All in the test's private namespaces.

load helpers

# add_ok CONFIG [env...]: bridge ADD must succeed; RESULT holds its result.
add_ok() {
    cni bridge ADD "$@"
    assert_success
    RESULT="$output"
}

@test "CHECK passes after ADD (prevResult = the ADD result), dual stack with ipMasq" {
    local conf
    conf="$(br_config 1.0.0 "$DUAL_RANGES" '{"isDefaultGateway": true}' '{"routes": [{"dst": "10.99.0.0/16", "gw": "10.250.0.1"}]}')"
    add_ok "$conf"
    assert_jq '[.routes[] | .dst] | (index("10.99.0.0/16") != null and index("0.0.0.0/0") != null and index("::/0") != null)'
    cni bridge CHECK "$(with_prev "$conf" "$RESULT")"
    assert_success
    [[ -z "$output" ]] || fail "CHECK printed something on success"
    # CHECK changes nothing and can be repeated.
    cni bridge CHECK "$(with_prev "$conf" "$RESULT")"
    assert_success
}

@test "CHECK passes with an IPAM route without gw (the route goes via the gateway; reference 1.1.1 fails)" {
    local conf
    conf="$(br_config 1.0.0 "$V4_RANGES" '' '{"routes": [{"dst": "10.99.0.0/16"}]}')"
    add_ok "$conf"
    assert_jq '[.routes[] | select(.dst == "10.99.0.0/16")][0] | has("gw") | not'
    ip -n "$POD_NS" route show 10.99.0.0/16 | grep -q "via 10.250.0.1 dev eth0" \
        || fail "IPAM route not in the pod: $(ip -n "$POD_NS" route)"
    cni bridge CHECK "$(with_prev "$conf" "$RESULT")"
    assert_success
}

@test "CHECK fails after the container's address is removed (code 104; reference 1.1.1 says 999)" {
    local conf
    conf="$(br_config 1.0.0 "$V4_RANGES")"
    add_ok "$conf"
    cni bridge CHECK "$(with_prev "$conf" "$RESULT")"
    assert_success
    ip -n "$POD_NS" addr del 10.250.0.2/24 dev eth0
    cni bridge CHECK "$(with_prev "$conf" "$RESULT")"
    assert_check_failed
    cni bridge DEL "$(with_prev "$conf" "$RESULT")"
    assert_success
    assert_nothing_left
}

@test "CHECK fails after a route from IPAM is removed (code 104; reference 1.1.1 says 999)" {
    local conf
    conf="$(br_config 1.0.0 "$V4_RANGES" '' '{"routes": [{"dst": "10.99.0.0/16", "gw": "10.250.0.1"}]}')"
    add_ok "$conf"
    ip -n "$POD_NS" route show 10.99.0.0/16 | grep -q "via 10.250.0.1 dev eth0" \
        || fail "IPAM route not in the pod: $(ip -n "$POD_NS" route)"
    cni bridge CHECK "$(with_prev "$conf" "$RESULT")"
    assert_success
    ip -n "$POD_NS" route del 10.99.0.0/16
    cni bridge CHECK "$(with_prev "$conf" "$RESULT")"
    assert_check_failed
}

@test "CHECK fails after the default route of isDefaultGateway is removed (code 104; reference 1.1.1 says 999)" {
    local conf
    conf="$(br_config 1.0.0 "$V4_RANGES" '{"isDefaultGateway": true}')"
    add_ok "$conf"
    assert_jq '[.routes[]? | select(.dst == "0.0.0.0/0")] | length == 1'
    ip -n "$POD_NS" route show default | grep -q "via 10.250.0.1 dev eth0" \
        || fail "no default route in the pod: $(ip -n "$POD_NS" route)"
    cni bridge CHECK "$(with_prev "$conf" "$RESULT")"
    assert_success
    ip -n "$POD_NS" route del default
    cni bridge CHECK "$(with_prev "$conf" "$RESULT")"
    assert_check_failed
}

@test "CHECK fails after the masquerade jump is removed from POSTROUTING (iptables; reference 1.1.1 does not check)" {
    local conf line
    conf="$(br_config 1.0.0 "$V4_RANGES")"
    add_ok "$conf"
    [[ -n "$(host_masq_jumps)" ]] || fail "no POSTROUTING jump after ADD: $(host_nat)"
    cni bridge CHECK "$(with_prev "$conf" "$RESULT")"
    assert_success
    line="$(ip netns exec "$HOST_NS" iptables -t nat -L POSTROUTING -n --line-numbers | awk '$2 ~ /^CNI-/ {print $1; exit}')"
    [[ -n "$line" ]] || fail "jump not found in: $(host_nat)"
    ip netns exec "$HOST_NS" iptables -t nat -D POSTROUTING "$line"
    [[ -z "$(host_masq_jumps)" ]] || fail "jump still there: $(host_masq_jumps)"
    cni bridge CHECK "$(with_prev "$conf" "$RESULT")"
    assert_check_failed
    # DEL still removes the (now unreferenced) chain.
    cni bridge DEL "$(with_prev "$conf" "$RESULT")"
    assert_success
    assert_nothing_left
}

@test "CHECK fails after the masquerade rule is removed (ipMasqBackend nftables; not in reference 1.1.1)" {
    local conf handle
    conf="$(br_config 1.0.0 "$V4_RANGES" '{"ipMasqBackend": "nftables"}')"
    add_ok "$conf"
    assert_equal "$(nft_masq_rules | jq length)" 1 "nft masquerade rules"
    cni bridge CHECK "$(with_prev "$conf" "$RESULT")"
    assert_success
    handle="$(nft_masq_rules | jq -r '.[0].handle')"
    ip netns exec "$HOST_NS" nft delete rule inet cni_plugins_masquerade masq_checks handle "$handle"
    assert_equal "$(nft_masq_rules)" "[]" "nft masquerade rules after delete"
    cni bridge CHECK "$(with_prev "$conf" "$RESULT")"
    assert_check_failed
    cni bridge DEL "$(with_prev "$conf" "$RESULT")"
    assert_success
    assert_nothing_left
}

@test "DEL twice succeeds; no veth, lease, CNI- chain or POSTROUTING jump left" {
    local conf
    conf="$(br_config 1.0.0 "$DUAL_RANGES")"
    add_ok "$conf"
    # What ADD made, so the absence afterwards means something.
    assert_equal "$(host_veths | wc -l)" 1 "host veths after ADD"
    assert_equal "$(lease_count)" 2 "leases after ADD"
    assert_equal "$(host_masq_chains | sort -u | wc -l)" 1 "masquerade chains after ADD"
    assert_equal "$(host_masq_jumps | wc -l)" 2 "POSTROUTING jumps after ADD (one per family)"
    cni bridge DEL "$(with_prev "$conf" "$RESULT")"
    assert_success
    assert_nothing_left
    ! ip -n "$POD_NS" link show eth0 >/dev/null 2>&1 || fail "eth0 still in the pod"
    cni bridge DEL "$(with_prev "$conf" "$RESULT")"
    assert_success
    assert_nothing_left
    # The bridge and its gateway addresses stay (as the reference).
    ip -n "$HOST_NS" link show "$BR_NAME" >/dev/null || fail "the bridge was deleted"
}

@test "DEL after the pod netns was deleted (with prevResult) removes the lease and the masquerade rules (reference 1.1.1 leaks them)" {
    local conf
    conf="$(br_config 1.0.0 "$DUAL_RANGES")"
    add_ok "$conf"
    [[ -n "$(host_masq_jumps)" ]] || fail "no masquerade after ADD"
    ip netns del "$POD_NS"
    cni bridge DEL "$(with_prev "$conf" "$RESULT")"
    assert_success
    cni bridge DEL "$(with_prev "$conf" "$RESULT")"
    assert_success
    assert_nothing_left
}

@test "DEL after the pod netns was deleted, without prevResult (a lost cache), still removes the masquerade rules (reference 1.1.1 leaks them)" {
    local conf
    conf="$(br_config 1.0.0 "$DUAL_RANGES")"
    add_ok "$conf"
    ip netns del "$POD_NS"
    cni bridge DEL "$conf"
    assert_success
    assert_nothing_left
}

@test "DEL with CNI_NETNS unset (prevResult) removes the lease and the masquerade rules (reference 1.1.1 leaks them)" {
    local conf
    conf="$(br_config 1.0.0 "$DUAL_RANGES")"
    add_ok "$conf"
    cni bridge DEL "$(with_prev "$conf" "$RESULT")" -CNI_NETNS
    assert_success
    assert_no_leases
    assert_no_masquerade
}

@test "DEL after the pod netns was deleted removes the nftables masquerade rules (ipMasqBackend nftables; not in reference 1.1.1)" {
    local conf
    conf="$(br_config 1.0.0 "$DUAL_RANGES" '{"ipMasqBackend": "nftables"}')"
    add_ok "$conf"
    assert_equal "$(nft_masq_rules | jq length)" 2 "nft masquerade rules after ADD"
    ip netns del "$POD_NS"
    cni bridge DEL "$(with_prev "$conf" "$RESULT")"
    assert_success
    assert_nothing_left
}

@test "32 ADDs launched at once on a host with no bridge yet: 0 failures, 32 distinct addresses; 32 DELs leave nothing" {
    local conf i n=32
    conf="$(br_config 1.0.0 "$V4_RANGES")"
    for i in $(seq 1 $n); do new_netns "p$i"; done
    ! ip -n "$HOST_NS" link show "$BR_NAME" >/dev/null 2>&1 || fail "the bridge exists before the first ADD"
    cni_burst bridge ADD $n "$conf"
    assert_equal "$BURST_FAILED" 0 "failed ADDs"
    local addrs
    addrs="$(for i in $(seq 1 $n); do jq -r '.ips[0].address' "$WORK_DIR/result.$i"; done | sort -u)"
    assert_equal "$(wc -l <<<"$addrs")" "$n" "distinct addresses"
    assert_equal "$(lease_count)" "$n" "leases"
    assert_equal "$(ip -n "$HOST_NS" -j link show master "$BR_NAME" | jq length)" "$n" "ports on the bridge"
    assert_equal "$(ip -n "$HOST_NS" -j addr show dev "$BR_NAME" | jq '[.[0].addr_info[] | select(.family == "inet")] | length')" 1 \
        "IPv4 addresses on the bridge"
    # Every pod reaches the gateway.
    for i in 1 $((n / 2)) $n; do assert_ping "$(ns_name "p$i")" 10.250.0.1; done

    cni_burst bridge DEL $n "$conf"
    assert_equal "$BURST_FAILED" 0 "failed DELs"
    assert_nothing_left
}

@test "a repeated ADD fails with 102 and keeps the first attachment's lease and addresses" {
    local conf
    conf="$(br_config 1.0.0 "$V4_RANGES")"
    add_ok "$conf"
    local first="$RESULT"
    cni bridge ADD "$conf"
    assert_cni_error_any
    [[ "$(lease_count)" -eq 1 ]] || fail "the first ADD's lease was released: $(ls "$(net_dir)")"
    cni bridge CHECK "$(with_prev "$conf" "$first")"
    assert_success
    cni bridge DEL "$(with_prev "$conf" "$first")"
    assert_success
    assert_nothing_left
}

@test "two interfaces of one container on one network: DEL of one keeps the other's masquerade" {
    local conf
    conf="$(br_config 1.0.0 "$V4_RANGES")"
    add_ok "$conf"
    local eth0="$RESULT"
    cni bridge ADD "$conf" CNI_IFNAME=eth1
    assert_success
    local eth1="$output"
    # The reference's chain name ignores ifname, so both interfaces jump to one chain.
    [[ "$(host_masq_jumps | wc -l)" -eq 2 ]] || fail "expected 2 jumps: $(host_masq_jumps)"
    cni bridge DEL "$(with_prev "$conf" "$eth1")" CNI_IFNAME=eth1
    assert_success
    cni bridge CHECK "$(with_prev "$conf" "$eth0")"
    assert_success
    [[ "$(host_masq_jumps | wc -l)" -eq 1 ]] || fail "eth0's jump must stay: $(host_masq_jumps)"
    # Without prevResult, the addresses are read off the interface before it goes.
    cni bridge ADD "$conf" CNI_IFNAME=eth1
    assert_success
    cni bridge DEL "$conf" CNI_IFNAME=eth1
    assert_success
    cni bridge CHECK "$(with_prev "$conf" "$eth0")"
    assert_success
    cni bridge DEL "$(with_prev "$conf" "$eth0")"
    assert_success
    assert_nothing_left
}
