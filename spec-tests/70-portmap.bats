#!/usr/bin/env bats
# 70-portmap.bats: portmap chained after bridge, as a runtime runs it. TCP and UDP to mapped ports
# reach pods from an external netns, from the host (own address and 127.0.0.1) and from another pod
# (hairpin), over IPv4 and IPv6, with both backends; hostIP, DEL ownership, conflicts, UDP conntrack,
# 32 parallel ADDs, interop with the reference, the conf example, GC and STATUS.
# Everything lives in the test's private namespaces; packets only travel between them.

load helpers
load portmap-helpers

setup() {
    common_setup
    [[ -x "$SPEC_PYTHON" ]] || skip "python3 not installed"
    [[ -x "$CNI_PLUGIN_DIR/portmap" ]] || skip "no portmap in $CNI_PLUGIN_DIR"
}

# backend_extra BACKEND: the config keys selecting BACKEND.
backend_extra() { if [[ "$1" == nftables ]]; then echo '{"backend": "nftables"}'; else echo '{}'; fi; }

# require_backend BACKEND: skip nftables against plugins that lack it (the reference 1.1.1).
require_backend() {
    if [[ "$1" == nftables ]] && is_reference_dir; then skip "the reference portmap 1.1.1 has no nftables backend"; fi
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

@test "no portMappings: prevResult comes back unchanged and no rule is touched" {
    pm_pod main c1
    local r1="$output" before
    before="$(host_nat | grep -v '^#'; ip netns exec "$HOST_NS" nft list ruleset 2>/dev/null)"
    pm_portmap ADD "$(pm_config "$r1" '[]')" c1 main
    assert_success
    assert_equal "$(jq -cS 'del(.cniVersion)' <<<"$output")" "$(jq -cS 'del(.cniVersion)' <<<"$r1")" "result"
    assert_equal "$(host_nat | grep -v '^#'; ip netns exec "$HOST_NS" nft list ruleset 2>/dev/null)" "$before" "firewall"
    pm_portmap DEL "$(pm_config "$r1" '[]')" c1 main
    assert_success
}

@test "bad input names the key and the value and touches nothing; ADD without prevResult fails" {
    is_reference_dir && skip "the reference reports these differently"
    pm_pod main c1
    local r1="$output" before conf
    before="$(host_nat | grep -v '^#')"
    for conf in "$(pm_config "$r1" '[{"hostPort": 70000, "containerPort": 80, "protocol": "tcp"}]')" \
                "$(pm_config "$r1" '[{"hostPort": 80, "containerPort": 80, "protocol": "icmp"}]')" \
                "$(pm_config "$r1" '[{"hostPort": 80, "containerPort": 80, "hostIP": "nope", "protocol": "tcp"}]')" \
                "$(pm_config "$r1" '[{"hostPort": 80, "containerPort": 80, "protocol": "tcp"}]' '{"markMasqBit": 32}')" \
                "$(pm_config "$r1" '[{"hostPort": 80, "containerPort": 80, "protocol": "tcp"}]' '{"backend": "pf"}')"; do
        pm_portmap ADD "$conf" c1 main
        assert_cni_error 7
        assert_jq '.msg | test("(hostPort|protocol|hostIP|markMasqBit|backend).*(70000|icmp|nope|32|pf)")'
    done
    pm_portmap ADD "$(jq -c 'del(.prevResult)' <<<"$(pm_config "$r1" '[{"hostPort": 80, "containerPort": 80, "protocol": "tcp"}]')")" c1 main
    assert_cni_error 7
    assert_equal "$(host_nat | grep -v '^#')" "$before" "nat tables"
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

parallel_adds() {
    local backend=$1 extra i pids=() fails=0 prev
    require_backend "$backend"
    extra="$(backend_extra "$backend")"
    mkdir -p "$WORK_DIR/par"
    # Fresh host: no portmap chain or table yet. Pods need not exist for portmap: prevResult is enough.
    for i in $(seq 1 32); do
        prev="$(jq -cn --argjson i "$i" '{cniVersion: "1.0.0", interfaces: [{name: "cni0"}, {name: "veth"}, {name: "eth0", sandbox: "/x"}],
                 ips: [{address: "10.250.1.\($i)/24", interface: 2}, {address: "fd00:250::\($i)/64", interface: 2}]}')"
        ( cni portmap ADD "$(pm_config "$prev" "[{\"hostPort\": $((9000 + i)), \"containerPort\": 80, \"protocol\": \"tcp\"},
                                                   {\"hostPort\": $((9100 + i)), \"containerPort\": 53, \"protocol\": \"udp\"}]" "$extra")" \
              CNI_CONTAINERID="par$i"
          echo "$status" >"$WORK_DIR/par/$i"; echo "$output" >"$WORK_DIR/par/$i.out" ) &
        pids+=($!)
    done
    for i in "${pids[@]}"; do wait "$i"; done
    for i in $(seq 1 32); do
        [[ "$(cat "$WORK_DIR/par/$i")" == 0 ]] || { fails=$((fails + 1)); echo "ADD $i: $(cat "$WORK_DIR/par/$i.out")" >&2; }
    done
    assert_equal "$fails" 0 "failed ADDs of 32"
    if [[ "$backend" == iptables ]]; then
        assert_equal "$(ip netns exec "$HOST_NS" iptables-save -t nat | grep -c '^:CNI-DN-')" 32 "v4 chains"
        assert_equal "$(ip netns exec "$HOST_NS" ip6tables-save -t nat | grep -c '^:CNI-DN-')" 32 "v6 chains"
        assert_equal "$(ip netns exec "$HOST_NS" iptables-save -t nat | grep -c -- '-A PREROUTING .*CNI-HOSTPORT-DNAT')" 1 "one PREROUTING jump"
    else
        assert_equal "$(ip netns exec "$HOST_NS" nft list map inet swcni_portmap dnat4any | grep -c 'comment')" 64 "v4 elements"
    fi
    pids=()
    for i in $(seq 1 32); do
        ( cni portmap DEL "$(pm_config '{}' "[{\"hostPort\": $((9000 + i)), \"containerPort\": 80, \"protocol\": \"tcp\"}]" "$extra" | jq -c 'del(.prevResult)')" \
              CNI_CONTAINERID="par$i"
          echo "$status" >"$WORK_DIR/par/$i"; echo "$output" >"$WORK_DIR/par/$i.out" ) &
        pids+=($!)
    done
    for i in "${pids[@]}"; do wait "$i"; done
    for i in $(seq 1 32); do
        [[ "$(cat "$WORK_DIR/par/$i")" == 0 ]] || fails=$((fails + 1))
    done
    assert_equal "$fails" 0 "failed DELs of 32"
    assert_no_portmap_rules
}

@test "iptables: 32 portmap ADDs at once on a fresh host: 0 failures, then 32 DELs at once" { parallel_adds iptables; }
@test "nftables: 32 portmap ADDs at once on a fresh host: 0 failures, then 32 DELs at once" { parallel_adds nftables; }

@test "CHECK: passes for an IPv4-only pod; fails (104) when a rule is missing" {
    is_reference_dir && skip "the reference 1.1.1 CHECK fails for IPv4-only pods (it checks ip6tables too)"
    local prev conf
    prev='{"cniVersion": "1.0.0", "interfaces": [{"name": "cni0"}, {"name": "veth"}, {"name": "eth0", "sandbox": "/x"}],
           "ips": [{"address": "10.250.0.9/24", "interface": 2}]}'
    conf="$(pm_config "$prev" '[{"hostPort": 8080, "containerPort": 80, "protocol": "tcp"}, {"hostPort": 8053, "containerPort": 53, "protocol": "udp"}]')"
    cni portmap ADD "$conf"; assert_success
    cni portmap CHECK "$conf"; assert_success
    local rule; rule="$(ip netns exec "$HOST_NS" iptables-save -t nat | grep -- '^-A CNI-DN-.*-p udp.*-j DNAT' | sed 's/^-A/-D/')"
    ip netns exec "$HOST_NS" iptables -t nat $rule
    cni portmap CHECK "$conf"
    assert_check_failed
    assert_jq '.msg | test("8053")'
    cni portmap DEL "$conf"; assert_success
    assert_no_portmap_rules
}

@test "interop: the reference portmap removes ours, ours checks and removes the reference's (iptables)" {
    is_reference_dir && skip "CNI_PLUGIN_DIR is the reference"
    [[ -x "$REFERENCE_PLUGIN_DIR/portmap" ]] || skip "no reference portmap"
    local prev conf
    prev='{"cniVersion": "1.0.0", "interfaces": [{"name": "cni0"}, {"name": "veth"}, {"name": "eth0", "sandbox": "/x"}],
           "ips": [{"address": "10.250.0.9/24", "interface": 2}, {"address": "fd00:5ca1:ab1e::9/64", "interface": 2}]}'
    # The reference needs "protocol": it uses it verbatim (an empty one breaks its iptables calls).
    conf="$(pm_config "$prev" '[{"hostPort": 8080, "containerPort": 80, "protocol": "tcp"}, {"hostPort": 8053, "containerPort": 53, "protocol": "udp", "hostIP": "192.168.200.1"}]')"
    cni portmap ADD "$conf"; assert_success
    local ours; ours="$(host_nat | grep -v '^#')"
    cni "$REFERENCE_PLUGIN_DIR/portmap" DEL "$conf"; assert_success
    assert_no_portmap_rules
    cni "$REFERENCE_PLUGIN_DIR/portmap" ADD "$conf"; assert_success
    # Same IPv4 rules as ours, line for line.
    diff <(grep -v '^#' <<<"$ours" | sed -n '1,/^COMMIT/p') <(ip netns exec "$HOST_NS" iptables-save -t nat | grep -v '^#') >&2 \
        || fail "the reference's IPv4 rules differ from ours"
    cni portmap CHECK "$conf"; assert_success
    cni portmap DEL "$conf"; assert_success
    assert_no_portmap_rules
}

@test "conf/bridge.conflist: portmap chained after bridge with runtimeConfig.portMappings, reached from outside and from the host" {
    local list r1
    list="$(conflist_with_datadir "$CONF_DIR/bridge.conflist" |
        jq -c '.plugins |= map(if .type == "portmap" then . + {runtimeConfig: {portMappings: [{hostPort: 8080, containerPort: 80, protocol: "tcp"}]}} else . end)')"
    pm_external
    run_conflist ADD "$list" ""
    assert_success
    r1="$output"
    [[ " ${CONFLIST_SKIPPED[*]} " != *" portmap "* ]] || fail "portmap did not run"
    pm_serve "$POD_NS" 80 pod1
    pm_reach "$(ns_name ext)" tcp $PM_HOST4 8080 pod1
    pm_reach "$HOST_NS" tcp 127.0.0.1 8080 pod1
    run_conflist CHECK "$list" "$r1"
    is_reference_dir || assert_success
    run_conflist DEL "$list" "$r1"
    assert_success
    assert_no_portmap_rules
}

@test "GC removes the mappings of attachments not in cni.dev/valid-attachments; STATUS succeeds" {
    require_spec 1.1.0 portmap
    local prev conf i
    for i in 1 2; do
        prev="$(jq -cn --argjson i "$i" '{cniVersion: "1.0.0", interfaces: [{name: "eth0", sandbox: "/x"}], ips: [{address: "10.250.0.\($i)/24", interface: 0}]}')"
        cni portmap ADD "$(pm_config "$prev" "[{\"hostPort\": $((8080 + i)), \"containerPort\": 80, \"protocol\": \"tcp\"}]")" CNI_CONTAINERID="gc$i"
        assert_success
    done
    conf="$(jq -cn --arg name "$NET_NAME" '{cniVersion: "1.1.0", name: $name, type: "portmap",
             "cni.dev/valid-attachments": [{containerID: "gc1", ifname: "eth0"}]}')"
    cni portmap GC "$conf"; assert_success
    host_nat | grep -q 'id: \\"gc1\\"' || fail "gc1 was removed"
    ! host_nat | grep -q 'id: \\"gc2\\"' || fail "gc2 was kept: $(host_nat)"
    cni portmap STATUS "$conf"; assert_success
    conf="$(jq -c '. + {"cni.dev/valid-attachments": []}' <<<"$conf")"
    cni portmap GC "$conf"; assert_success
    assert_no_portmap_rules
}
