#!/usr/bin/env bats
# 71-portmap-ops.bats: portmap verbs beyond traffic: no mappings (pass-through), bad input, 32 ADDs and
# DELs at once on a fresh host (both backends), CHECK of an IPv4-only pod, interop with the reference,
# the conf/bridge.conflist example with portMappings, GC and STATUS. Private namespaces only.

load helpers
load portmap-helpers

setup() {
    common_setup
    [[ -x "$SPEC_PYTHON" ]] || skip "python3 not installed"
    [[ -x "$CNI_PLUGIN_DIR/portmap" ]] || skip "no portmap in $CNI_PLUGIN_DIR"
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

@test "iptables: an ADD puts back the shared jumps and rules someone removed, and adds the rules of another mark bit" {
    local prev conf i
    host() { ip netns exec "$HOST_NS" iptables-save -t nat; }
    for i in 1 2 3; do
        prev="$(jq -cn --argjson i "$i" '{cniVersion: "1.0.0", interfaces: [{name: "eth0", sandbox: "/x"}], ips: [{address: "10.250.0.\($i)/24", interface: 0}]}')"
        conf="$(pm_config "$prev" "[{\"hostPort\": $((8080 + i)), \"containerPort\": 80, \"protocol\": \"tcp\"}]")"
        [[ $i == 3 ]] && conf="$(jq -c '. + {markMasqBit: 5}' <<<"$conf")"
        cni portmap ADD "$conf" CNI_CONTAINERID="sk$i"
        assert_success
        if [[ $i == 1 ]]; then
            ip netns exec "$HOST_NS" iptables -t nat -D PREROUTING -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT
            ip netns exec "$HOST_NS" iptables -t nat -D POSTROUTING -m comment --comment "CNI portfwd requiring masquerade" -j CNI-HOSTPORT-MASQ
            ip netns exec "$HOST_NS" iptables -t nat -F CNI-HOSTPORT-SETMARK
        fi
    done
    assert_equal "$(host | grep -c -- '-A PREROUTING -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT')" 1 "PREROUTING jump"
    assert_equal "$(host | grep -c -- '-A POSTROUTING -m comment --comment "CNI portfwd requiring masquerade" -j CNI-HOSTPORT-MASQ')" 1 "POSTROUTING jump"
    assert_equal "$(host | grep -c -- '-A CNI-HOSTPORT-SETMARK .* --set-xmark 0x2000/0x2000')" 1 "mark rule of bit 13"
    assert_equal "$(host | grep -c -- '-A CNI-HOSTPORT-SETMARK .* --set-xmark 0x20/0x20')" 1 "mark rule of bit 5"
    assert_equal "$(host | grep -c -- '-A CNI-HOSTPORT-MASQ -m mark --mark 0x20/0x20 -j MASQUERADE')" 1 "masquerade rule of bit 5"
    for i in 1 2 3; do
        cni portmap DEL "$(pm_config '{}' "[{\"hostPort\": $((8080 + i)), \"containerPort\": 80, \"protocol\": \"tcp\"}]" | jq -c 'del(.prevResult)')" CNI_CONTAINERID="sk$i"
        assert_success
    done
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

gc_and_status() {
    local backend=$1 extra prev conf i
    require_spec 1.1.0 portmap
    require_backend "$backend"
    extra="$(backend_extra "$backend")"
    for i in 1 2; do
        prev="$(jq -cn --argjson i "$i" '{cniVersion: "1.0.0", interfaces: [{name: "eth0", sandbox: "/x"}], ips: [{address: "10.250.0.\($i)/24", interface: 0}]}')"
        cni portmap ADD "$(pm_config "$prev" "[{\"hostPort\": $((8080 + i)), \"containerPort\": 80, \"protocol\": \"tcp\"}]" "$extra")" CNI_CONTAINERID="gc$i"
        assert_success
    done
    conf="$(jq -cn --arg name "$NET_NAME" --argjson te "$extra" '{cniVersion: "1.1.0", name: $name, type: "portmap",
             "cni.dev/valid-attachments": [{containerID: "gc1", ifname: "eth0"}]} + $te')"
    cni portmap GC "$conf"; assert_success
    pm_rules | grep -q 'gc1' || fail "gc1 was removed: $(pm_rules)"
    ! pm_rules | grep -q 'gc2' || fail "gc2 was kept: $(pm_rules)"
    cni portmap STATUS "$conf"; assert_success
    conf="$(jq -c '. + {"cni.dev/valid-attachments": []}' <<<"$conf")"
    cni portmap GC "$conf"; assert_success
    assert_no_portmap_rules
}

@test "iptables: GC removes the mappings of attachments not in cni.dev/valid-attachments; STATUS succeeds" { gc_and_status iptables; }
@test "nftables: GC removes the mappings of attachments not in cni.dev/valid-attachments; STATUS succeeds" { gc_and_status nftables; }
