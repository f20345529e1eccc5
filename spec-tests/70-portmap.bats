#!/usr/bin/env bats
# 70-portmap.bats: portmap chained after bridge, as a runtime runs it. TCP and UDP to mapped ports
# reach pods from an external netns, from the host (own address and 127.0.0.1) and from another pod
# (hairpin), over IPv4 and IPv6, with both backends; hostIP, DEL ownership, conflicts, UDP conntrack
# across DEL and recreate. More verbs in 71-portmap-ops.bats.
# Everything lives in the test's private namespaces; packets only travel between them.

load helpers
load portmap-helpers

setup() {
    common_setup
    [[ -x "$SPEC_PYTHON" ]] || skip "python3 not installed"
    [[ -x "$CNI_PLUGIN_DIR/portmap" ]] || skip "no portmap in $CNI_PLUGIN_DIR"
}

connectivity() {
    local backend=$1 extra r1 r2 conf1
    require_backend "$backend"
    extra="$(backend_extra "$backend")"
    pm_external
    pm_pod main c1; r1="$output"
    pm_pod p2 c2; r2="$output"
    conf1="$(pm_config "$r1" '[{"hostPort": 8080, "containerPort": 80, "protocol": "tcp"},
                               {"hostPort": 8053, "containerPort": 53, "protocol": "udp"}]' "$extra")"
    pm_portmap ADD "$conf1" c1 main
    assert_success
    assert_equal "$(jq -cS 'del(.cniVersion)' <<<"$output")" "$(jq -cS 'del(.cniVersion)' <<<"$r1")" "result is prevResult"
    pm_serve "$POD_NS" 80 pod1
    pm_serve "$POD_NS" 53 pod1
    local ext p2 proto port
    ext="$(ns_name ext)"; p2="$(ns_name p2)"
    for proto in tcp udp; do
        port=8080; [[ $proto == udp ]] && port=8053
        pm_reach "$ext" $proto $PM_HOST4 $port pod1 || return 1
        assert_equal "$PM_PEER" 192.168.200.2 "external client seen unmasqueraded ($proto v4)"
        pm_reach "$ext" $proto $PM_HOST6 $port pod1 || return 1
        pm_reach "$HOST_NS" $proto $PM_HOST4 $port pod1 || return 1
        pm_reach "$HOST_NS" $proto $PM_HOST6 $port pod1 || return 1
        pm_reach "$HOST_NS" $proto 127.0.0.1 $port pod1 || return 1
        assert_equal "$PM_PEER" 10.250.0.1 "localhost masqueraded to the bridge address ($proto)"
        pm_reach "$p2" $proto $PM_HOST4 $port pod1 || return 1
        assert_equal "$PM_PEER" 10.250.0.1 "hairpin masqueraded ($proto v4)"
        pm_reach "$p2" $proto $PM_HOST6 $port pod1 || return 1
        assert_equal "$PM_PEER" fd00:5ca1:ab1e::1 "hairpin masqueraded ($proto v6)"
        pm_reach "$POD_NS" $proto $PM_HOST4 $port pod1 || return 1
    done
    pm_portmap CHECK "$conf1" c1 main
    assert_success
    pm_portmap DEL "$conf1" c1 main
    assert_success
    pm_unreachable "$ext" tcp $PM_HOST4 8080
    assert_no_portmap_rules
    pm_portmap DEL "$conf1" c1 main
    assert_success
}

@test "iptables: TCP and UDP reach the pod from outside, from the host (own address, 127.0.0.1) and from another pod, v4 and v6" {
    connectivity iptables
}

@test "nftables: TCP and UDP reach the pod from outside, from the host (own address, 127.0.0.1) and from another pod, v4 and v6" {
    connectivity nftables
}

hostip_restricts() {
    local backend=$1 r1 conf
    require_backend "$backend"
    pm_external
    ip -n "$HOST_NS" addr add 192.168.200.3/24 dev pmhost
    pm_pod main c1; r1="$output"
    conf="$(pm_config "$r1" '[{"hostPort": 8080, "containerPort": 80, "hostIP": "192.168.200.3", "protocol": "tcp"}]' "$(backend_extra "$backend")")"
    pm_portmap ADD "$conf" c1 main
    assert_success
    pm_serve "$POD_NS" 80 pod1
    pm_reach "$(ns_name ext)" tcp 192.168.200.3 8080 pod1
    pm_unreachable "$(ns_name ext)" tcp $PM_HOST4 8080
    pm_unreachable "$(ns_name ext)" tcp $PM_HOST6 8080
    pm_portmap DEL "$conf" c1 main
    assert_success
    assert_no_portmap_rules
}

@test "iptables: hostIP restricts the mapping to that address (and family)" { hostip_restricts iptables; }
@test "nftables: hostIP restricts the mapping to that address (and family)" { hostip_restricts nftables; }

del_only_own() {
    local backend=$1 extra r1 r2 c1 c2
    require_backend "$backend"
    extra="$(backend_extra "$backend")"
    pm_external
    pm_pod main c1; r1="$output"
    pm_pod p2 c2; r2="$output"
    c1="$(pm_config "$r1" '[{"hostPort": 8081, "containerPort": 80, "protocol": "tcp"}]' "$extra")"
    c2="$(pm_config "$r2" '[{"hostPort": 8082, "containerPort": 80, "protocol": "tcp"}]' "$extra")"
    pm_portmap ADD "$c1" c1 main; assert_success
    pm_portmap ADD "$c2" c2 p2; assert_success
    pm_serve "$POD_NS" 80 pod1
    pm_serve "$(ns_name p2)" 80 pod2
    pm_reach "$(ns_name ext)" tcp $PM_HOST4 8081 pod1
    pm_reach "$(ns_name ext)" tcp $PM_HOST4 8082 pod2
    pm_portmap DEL "$c1" c1 main; assert_success
    pm_unreachable "$(ns_name ext)" tcp $PM_HOST4 8081
    pm_reach "$(ns_name ext)" tcp $PM_HOST4 8082 pod2
    pm_reach "$(ns_name ext)" tcp $PM_HOST6 8082 pod2
    pm_portmap CHECK "$c2" c2 p2; assert_success
    pm_portmap DEL "$c2" c2 p2; assert_success
    assert_no_portmap_rules
}

@test "iptables: DEL removes only its own mappings; nothing is left after the last DEL" { del_only_own iptables; }
@test "nftables: DEL removes only its own mappings; nothing is left after the last DEL" { del_only_own nftables; }

conflict_refused() {
    local backend=$1 extra r1 r2 c1 c2
    require_backend "$backend"
    is_reference_dir && skip "the reference lets the last ADD win (no reservation)"
    extra="$(backend_extra "$backend")"
    pm_external
    pm_pod main c1; r1="$output"
    pm_pod p2 c2; r2="$output"
    c1="$(pm_config "$r1" '[{"hostPort": 8080, "containerPort": 80, "protocol": "tcp"}]' "$extra")"
    pm_portmap ADD "$c1" c1 main; assert_success
    pm_serve "$POD_NS" 80 pod1
    for maps in '[{"hostPort": 8080, "containerPort": 80, "protocol": "tcp"}]' '[{"hostPort": 8080, "containerPort": 80, "hostIP": "192.168.200.1", "protocol": "tcp"}]'; do
        c2="$(pm_config "$r2" "$maps" "$extra")"
        pm_portmap ADD "$c2" c2 p2
        assert_cni_error 102
        assert_jq '.msg | test("tcp/.*8080.*already mapped.*c1")'
    done
    # Another protocol on the same port is fine.
    pm_portmap ADD "$(pm_config "$r2" '[{"hostPort": 8080, "containerPort": 80, "protocol": "udp"}]' "$extra")" c2 p2
    assert_success
    pm_reach "$(ns_name ext)" tcp $PM_HOST4 8080 pod1
    pm_portmap DEL "$c1" c1 main; assert_success
    pm_portmap DEL "$(pm_config "$r2" '[{"hostPort": 8080, "containerPort": 80, "protocol": "udp"}]' "$extra")" c2 p2
    assert_success
    assert_no_portmap_rules
}

@test "iptables: a host port mapped by another pod is refused with a clear error; the original keeps working" { conflict_refused iptables; }
@test "nftables: a host port mapped by another pod is refused with a clear error; the original keeps working" { conflict_refused nftables; }

udp_recreate() {
    local backend=$1 extra r1 c1 ext
    require_backend "$backend"
    extra="$(backend_extra "$backend")"
    pm_external; ext="$(ns_name ext)"
    pm_pod main c1; r1="$output"
    c1="$(pm_config "$r1" '[{"hostPort": 8053, "containerPort": 53, "protocol": "udp"}]' "$extra")"
    pm_portmap ADD "$c1" c1 main; assert_success
    pm_serve "$POD_NS" 53 pod1
    pm_reach "$ext" udp $PM_HOST4 8053 pod1 40053
    # The pod goes away; the client keeps sending from the same port (its flow stays in conntrack).
    pm_portmap DEL "$c1" c1 main; assert_success
    # DEL forgot the flow: a host service on the port now gets it (the reference keeps the old DNAT).
    pm_serve "$HOST_NS" 8053 host
    pm_reach "$ext" udp $PM_HOST4 8053 host 40053
    cni bridge DEL "$(with_prev "$(pm_br_config)" "$r1")" CNI_CONTAINERID=c1; assert_success
    pm_ask "$ext" udp $PM_HOST4 8053 40053 >/dev/null
    # Recreated with a new IP (the old one is taken by a filler pod): the same flow reaches it.
    pm_pod filler c0
    local r3 c3
    new_netns p3
    cni bridge ADD "$(pm_br_config)" CNI_CONTAINERID=c3 CNI_NETNS="$(ns_path p3)"; assert_success
    r3="$output"
    [[ "$(result_ip4 "$r3")" != "$(result_ip4 "$r1")" ]] || fail "recreated pod got the same IP"
    c3="$(pm_config "$r3" '[{"hostPort": 8053, "containerPort": 53, "protocol": "udp"}]' "$extra")"
    pm_serve "$(ns_name p3)" 53 pod3
    pm_ask "$ext" udp $PM_HOST4 8053 40053 >/dev/null
    pm_portmap ADD "$c3" c3 p3; assert_success
    pm_reach "$ext" udp $PM_HOST4 8053 pod3 40053
    pm_portmap DEL "$c3" c3 p3; assert_success
    assert_no_portmap_rules
}

@test "iptables: a UDP flow to a mapped port reaches the pod again after it is deleted and recreated with a new IP" { udp_recreate iptables; }
@test "nftables: a UDP flow to a mapped port reaches the pod again after it is deleted and recreated with a new IP" { udp_recreate nftables; }
