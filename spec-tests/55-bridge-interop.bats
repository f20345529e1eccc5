#!/usr/bin/env bats
# 55-bridge-interop.bats: the plugin under test and Debian's reference bridge (/usr/lib/cni/bridge,
# with the reference host-local as IPAM in its CNI_PATH) share one host: what one ADDs, the other
# CHECKs and DELs, with nothing left behind (veth, lease, iptables chain or jump), both ways; their pods
# share a bridge. Only meaningful when the plugin dir under test is not the reference itself.

load helpers

setup() {
    common_setup
    REF_BR="$REFERENCE_PLUGIN_DIR/bridge"
    [[ -x "$REF_BR" && -x "$REFERENCE_PLUGIN_DIR/host-local" ]] || skip "reference bridge/host-local not installed in $REFERENCE_PLUGIN_DIR"
    is_reference_dir && skip "the plugin dir under test is the reference itself"
    # The reference (1.1.1) speaks up to 1.0.0 and has only the iptables masquerade backend.
    CONF="$(br_config 1.0.0 "$DUAL_RANGES")"
}

# ref CMD CONFIG [env...] / ours CMD CONFIG [env...]: the reference bridge (delegating to the reference
# host-local) / the bridge under test (delegating to the host-local under test).
ref() { local cmd=$1 conf=$2; shift 2; cni "$REF_BR" "$cmd" "$conf" "CNI_PATH=$REFERENCE_PLUGIN_DIR" "$@"; }
ours() { local cmd=$1 conf=$2; shift 2; cni bridge "$cmd" "$conf" "$@"; }

# assert_attached: one veth on the bridge, two leases, masquerade for both families.
assert_attached() {
    assert_equal "$(ip -n "$HOST_NS" -j link show master "$BR_NAME" | jq length)" 1 "bridge ports" || return 1
    assert_equal "$(lease_count)" 2 "leases" || return 1
    assert_equal "$(host_masq_jumps | wc -l)" 2 "POSTROUTING jumps"
}

@test "interop: reference ADD, our CHECK passes, our DEL leaves nothing; reference DEL after it succeeds" {
    ref ADD "$CONF"
    assert_success
    local r="$output"
    assert_attached
    assert_ping "$POD_NS" 10.250.0.1
    ours CHECK "$(with_prev "$CONF" "$r")"
    assert_success
    ours DEL "$(with_prev "$CONF" "$r")"
    assert_success
    assert_nothing_left
    ! ip -n "$POD_NS" link show eth0 >/dev/null 2>&1 || fail "eth0 still in the pod"
    ref DEL "$(with_prev "$CONF" "$r")"
    assert_success
}

@test "interop: our ADD, reference CHECK passes, reference DEL leaves nothing; our DEL after it succeeds" {
    ours ADD "$CONF"
    assert_success
    local r="$output"
    assert_attached
    assert_ping "$POD_NS" fd00:5ca1:ab1e::1
    ref CHECK "$(with_prev "$CONF" "$r")"
    assert_success
    ref DEL "$(with_prev "$CONF" "$r")"
    assert_success
    assert_nothing_left
    ! ip -n "$POD_NS" link show eth0 >/dev/null 2>&1 || fail "eth0 still in the pod"
    ours DEL "$(with_prev "$CONF" "$r")"
    assert_success
}

@test "interop: pods of both on one bridge reach each other; each DELs the other's pod" {
    ref ADD "$CONF"
    assert_success
    local r1="$output"
    new_netns p2
    ours ADD "$CONF" CNI_CONTAINERID=c2 CNI_NETNS="$(ns_path p2)"
    assert_success
    local r2="$output"
    assert_jq '.ips[0].address == "10.250.0.3/24" and .ips[1].address == "fd00:5ca1:ab1e::3/64"' "$r2"
    assert_ping "$POD_NS" 10.250.0.3
    assert_ping "$POD_NS" fd00:5ca1:ab1e::3
    assert_ping "$(ns_name p2)" 10.250.0.2
    assert_ping "$(ns_name p2)" fd00:5ca1:ab1e::1
    # Each still passes its own CHECK and the other's with the other on the bridge.
    ours CHECK "$(with_prev "$CONF" "$r1")"
    assert_success
    ref CHECK "$(with_prev "$CONF" "$r2")" CNI_CONTAINERID=c2 CNI_NETNS="$(ns_path p2)"
    assert_success
    ref DEL "$(with_prev "$CONF" "$r2")" CNI_CONTAINERID=c2 CNI_NETNS="$(ns_path p2)"
    assert_success
    ours DEL "$(with_prev "$CONF" "$r1")"
    assert_success
    assert_nothing_left
}

@test "interop: reference ADD, pod netns deleted, our DEL with prevResult removes the reference's masquerade" {
    ref ADD "$CONF"
    assert_success
    local r="$output"
    assert_attached
    ip netns del "$POD_NS"
    ours DEL "$(with_prev "$CONF" "$r")"
    assert_success
    assert_nothing_left
}
