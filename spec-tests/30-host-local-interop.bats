#!/usr/bin/env bats
# 30-host-local-interop.bats: leases written by the reference host-local (/usr/lib/cni) are seen and
# released by the plugin under test, and the other way round. Only meaningful when the plugin dir
# under test is not the reference itself; skipped otherwise or when the reference is not installed.

load helpers

setup() {
    common_setup
    REF_HL="$REFERENCE_PLUGIN_DIR/host-local"
    [[ -x "$REF_HL" ]] || skip "reference host-local not installed at $REF_HL"
    is_reference_dir && skip "the plugin dir under test is the reference itself"
    # The reference (1.1.1) speaks up to 1.0.0; use a version both sides support.
    CONF="$(hl_config 1.0.0 "$DUAL_RANGES")"
}

# ref CMD [env...] / ours CMD [env...]: run the reference / the plugin under test on $CONF.
ref() { local cmd=$1; shift; cni "$REF_HL" "$cmd" "$CONF" "$@"; }
ours() { local cmd=$1; shift; cni host-local "$cmd" "$CONF" "$@"; }

@test "interop: reference ADD, our CHECK sees it, our DEL releases it, reference CHECK fails" {
    ref ADD
    assert_success
    local ip4 ip6; ip4="$(result_ip4)"; ip6="$(result_ip6)"
    ours CHECK
    assert_success
    ours CHECK CNI_CONTAINERID=other
    assert_cni_error_any
    ours DEL
    assert_success
    [[ ! -e "$(net_dir)/$ip4" && ! -e "$(net_dir)/$ip6" ]] || fail "our DEL left the reference's leases"
    ref CHECK
    assert_cni_error_any
}

@test "interop: our ADD, reference CHECK sees it, reference DEL releases it, our CHECK fails" {
    ours ADD
    assert_success
    local ip4 ip6; ip4="$(result_ip4)"; ip6="$(result_ip6)"
    assert_lease "$ip4" "$CID" "$IFNAME"
    ref CHECK
    assert_success
    ref CHECK CNI_CONTAINERID=other
    assert_cni_error_any
    ref DEL
    assert_success
    [[ ! -e "$(net_dir)/$ip4" && ! -e "$(net_dir)/$ip6" ]] || fail "the reference DEL left our leases"
    ours CHECK
    assert_cni_error_any
}

@test "interop: allocation continues round-robin from the other's last_reserved_ip, no duplicates" {
    ref ADD CNI_CONTAINERID=r1
    assert_success
    ref ADD CNI_CONTAINERID=r2
    assert_success
    ours ADD CNI_CONTAINERID=o1
    assert_success
    assert_jq '.ips[0].address == "10.250.0.4/24" and .ips[1].address == "fd00:5ca1:ab1e::4/64"'
    ref ADD CNI_CONTAINERID=r3
    assert_success
    assert_jq '.ips[0].address == "10.250.0.5/24" and .ips[1].address == "fd00:5ca1:ab1e::5/64"'
    # Each sees the other's lease as taken: a duplicate ADD and a taken requested IP both fail.
    ours ADD CNI_CONTAINERID=r1
    assert_cni_error_any
    ref ADD CNI_CONTAINERID=o1
    assert_cni_error_any
    ours ADD CNI_CONTAINERID=x CNI_ARGS=IP=10.250.0.2
    assert_cni_error_any
    ref ADD CNI_CONTAINERID=y CNI_ARGS=IP=10.250.0.4
    assert_cni_error_any
    assert_equal "$(lease_count)" 8 "leases"
}

# Our host-local may remember who holds which lease between runs; whatever it remembers must not
# hide a lease the reference made (or removed) in between.
@test "interop: a reference ADD between two of ours: our ADD of its attachment is a duplicate, our DEL releases it" {
    ours ADD CNI_CONTAINERID=o1
    assert_success
    ref ADD CNI_CONTAINERID=r1
    assert_success
    local r4 r6; r4="$(result_ip4)"; r6="$(result_ip6)"
    ours ADD CNI_CONTAINERID=o2
    assert_success
    assert_jq '.ips[0].address == "10.250.0.4/24" and .ips[1].address == "fd00:5ca1:ab1e::4/64"'
    ours ADD CNI_CONTAINERID=r1
    assert_cni_error_any
    jq -e '.msg | test("duplicate allocation")' <<<"$output" >/dev/null || fail "not refused as a duplicate"
    assert_lease "$r4" r1 "$IFNAME"
    assert_equal "$(lease_count)" 6 "leases"
    ours CHECK CNI_CONTAINERID=r1
    assert_success
    ours DEL CNI_CONTAINERID=r1
    assert_success
    [[ ! -e "$(net_dir)/$r4" && ! -e "$(net_dir)/$r6" ]] || fail "our DEL left the reference's leases"
    ref CHECK CNI_CONTAINERID=r1
    assert_cni_error_any
    ours CHECK CNI_CONTAINERID=o1
    assert_success
    ours CHECK CNI_CONTAINERID=o2
    assert_success
    assert_equal "$(lease_count)" 4 "leases"
}

@test "interop: a reference DEL between two of ours: our next ADD of that attachment succeeds" {
    local i
    for i in 1 2 3; do
        ours ADD "CNI_CONTAINERID=o$i"
        assert_success
    done
    ref DEL CNI_CONTAINERID=o2
    assert_success
    ours CHECK CNI_CONTAINERID=o2
    assert_cni_error_any
    ours ADD CNI_CONTAINERID=o2
    assert_success
    assert_lease "$(result_ip4)" o2 "$IFNAME"
    ref ADD CNI_CONTAINERID=r1
    assert_success
    ref DEL CNI_CONTAINERID=o1
    assert_success
    ours DEL CNI_CONTAINERID=r1
    assert_success
    for i in 2 3; do
        ours DEL "CNI_CONTAINERID=o$i"
        assert_success
    done
    assert_no_leases
}

@test "interop: the reference reads our state after 32 parallel ADDs of ours" {
    local i
    for i in $(seq 1 32); do ( ours ADD "CNI_CONTAINERID=p$i" >/dev/null ) & done
    wait
    assert_equal "$(lease_count)" 64 "leases"
    for i in $(seq 1 32); do
        ref CHECK "CNI_CONTAINERID=p$i"
        assert_success
    done
    for i in $(seq 1 32); do
        ref DEL "CNI_CONTAINERID=p$i"
        assert_success
    done
    assert_no_leases
}
