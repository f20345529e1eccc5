#!/usr/bin/env bats
# 40-loopback.bats: loopback ADD/CHECK/DEL in a fresh network namespace.

load helpers

@test "a fresh netns starts with lo down (fixture sanity)" {
    ! lo_is_up "$POD_NS"
}

@test "ADD (1.0.0): lo up, result has lo with 127.0.0.1/8 and ::1/128, sandbox = CNI_NETNS" {
    cni loopback ADD "$(lo_config 1.0.0)"
    assert_success
    lo_is_up "$POD_NS" || fail "lo is not up after ADD"
    assert_jq '.cniVersion == "1.0.0"'
    assert_jq '.interfaces[0].name == "lo"'
    jq -e --arg s "$NETNS_PATH" '.interfaces[0].sandbox == $s' <<<"$output" >/dev/null \
        || fail "interfaces[0].sandbox is not $NETNS_PATH"
    assert_jq '[.ips[].address] | index("127.0.0.1/8") != null'
    assert_jq '.ips | all(.interface == 0)'
    assert_jq '.ips | all(has("version") | not)'
    ip -n "$POD_NS" -j addr show lo | jq -e '.[0].addr_info | any(.local == "127.0.0.1" and .prefixlen == 8)' \
        >/dev/null || fail "127.0.0.1/8 missing on lo"
}

@test "ADD ignores CNI_IFNAME and acts on lo" {
    cni loopback ADD "$(lo_config 1.0.0)" CNI_IFNAME=eth0
    assert_success
    assert_jq '.interfaces[0].name == "lo"'
    lo_is_up "$POD_NS" || fail "lo is not up"
    assert_equal "$(ip -n "$POD_NS" -j link show | jq -r '[.[].ifname] | join(",")')" lo "links in the pod netns"
}

@test "ADD result for 0.3.1 and 0.4.0 carries ips[].version (reference 1.1.1 omits it)" {
    local v
    for v in 0.3.1 0.4.0; do
        cni loopback ADD "$(lo_config "$v")"
        assert_success
        jq -e --arg v "$v" '.cniVersion == $v' <<<"$output" >/dev/null || fail "cniVersion is not $v"
        assert_jq '.ips | length > 0 and all(.version == "4" or .version == "6")'
        assert_jq '.ips[] | select(.address == "127.0.0.1/8") | .version == "4"'
    done
}

@test "ADD result for 0.2.0 is ip4/ip6 (reference 1.1.1 prints the 1.0 shape)" {
    cni loopback ADD "$(lo_config 0.2.0)"
    assert_success
    assert_jq '.cniVersion == "0.2.0" and .ip4.ip == "127.0.0.1/8" and (has("ips") | not)'
}

@test "ADD result for 1.1.0 (needs spec 1.1.0)" {
    require_spec 1.1.0 loopback
    cni loopback ADD "$(lo_config 1.1.0)"
    assert_success
    assert_jq '.cniVersion == "1.1.0" and .interfaces[0].name == "lo"'
    assert_jq '[.ips[].address] | index("127.0.0.1/8") != null'
}

@test "ADD with a prevResult passes it through (chained)" {
    local prev='{"cniVersion":"1.0.0","interfaces":[{"name":"eth0","mac":"02:00:00:00:00:01","sandbox":"/x"}],"ips":[{"address":"10.1.2.3/24","gateway":"10.1.2.1","interface":0}],"routes":[{"dst":"0.0.0.0/0"}],"dns":{"nameservers":["10.1.2.1"]}}'
    cni loopback ADD "$(lo_config 1.0.0 "{\"prevResult\":$prev}")"
    assert_success
    lo_is_up "$POD_NS" || fail "lo is not up"
    assert_jq '.interfaces == [{"name":"eth0","mac":"02:00:00:00:00:01","sandbox":"/x"}]'
    assert_jq '[.ips[].address] == ["10.1.2.3/24"] and .routes == [{"dst":"0.0.0.0/0"}]'
    assert_jq '.dns.nameservers == ["10.1.2.1"]'
}

@test "ADD with a prevResult without cniVersion takes it as the config's version" {
    local prev='{"ips":[{"address":"10.1.2.4/24"}]}'
    cni loopback ADD "$(lo_config 1.0.0 "{\"prevResult\":$prev}")"
    assert_success
    assert_jq '.cniVersion == "1.0.0" and [.ips[].address] == ["10.1.2.4/24"]'
}

@test "ADD with an older-version prevResult converts it (beyond the spec; reference 1.1.1 refuses)" {
    local prev='{"cniVersion":"0.4.0","ips":[{"version":"4","address":"10.1.2.3/24","gateway":"10.1.2.1"}]}'
    cni loopback ADD "$(lo_config 1.0.0 "{\"prevResult\":$prev}")"
    assert_success
    assert_jq '.cniVersion == "1.0.0" and [.ips[].address] == ["10.1.2.3/24"] and (.ips[0] | has("version") | not)'
}

@test "CHECK succeeds after ADD and fails when lo is down" {
    local conf; conf="$(lo_config 1.0.0)"
    cni loopback ADD "$conf"
    assert_success
    cni loopback CHECK "$conf"
    assert_success
    ip -n "$POD_NS" link set lo down
    cni loopback CHECK "$conf"
    assert_cni_error_any
}

@test "DEL sets lo down; repeated DEL succeeds" {
    local conf; conf="$(lo_config 1.0.0)"
    cni loopback ADD "$conf"
    assert_success
    cni loopback DEL "$conf"
    assert_success
    assert_equal "$output" "" "DEL stdout"
    ! lo_is_up "$POD_NS" || fail "lo still up after DEL"
    cni loopback DEL "$conf"
    assert_success
}

@test "DEL without CNI_NETNS (unset or empty) succeeds" {
    cni loopback DEL "$(lo_config 1.0.0)" -CNI_NETNS
    assert_success
    cni loopback DEL "$(lo_config 1.0.0)" CNI_NETNS=
    assert_success
}

@test "DEL with a deleted netns succeeds" {
    local conf; conf="$(lo_config 1.0.0)"
    cni loopback ADD "$conf"
    assert_success
    ip netns del "$POD_NS"
    cni loopback DEL "$conf"
    assert_success
    ip netns add "$POD_NS"   # so teardown has something to remove
}

@test "ADD/DEL leave the host netns untouched" {
    local conf; conf="$(lo_config 1.0.0)"
    local before; before="$(netns_state "$HOST_NS")"
    cni loopback ADD "$conf"
    assert_success
    cni loopback DEL "$conf"
    assert_success
    assert_equal "$(netns_state "$HOST_NS")" "$before" "host netns state"
}

@test "example conf/loopback.conf: ADD, CHECK, DEL" {
    local conf; conf="$(cat "$CONF_DIR/loopback.conf")"
    cni loopback ADD "$conf"
    assert_success
    assert_jq '.interfaces[0].name == "lo"'
    lo_is_up "$POD_NS" || fail "lo is not up"
    cni loopback CHECK "$conf"
    assert_success
    cni loopback DEL "$conf"
    assert_success
    ! lo_is_up "$POD_NS" || fail "lo still up after DEL"
}
