#!/usr/bin/env bats
# 60-macvlan.bats: the macvlan plugin on a master that is one end of a veth pair inside the test's
# private HOST_NS (this kernel has no `dummy` link type): pods on one master reach each other in bridge
# mode and not in private mode; the default master comes from the host's default route; bad input leaves
# the host unchanged; CHECK, DEL (twice, after the netns is gone), STATUS, the conf/ example, and interop
# with Debian's reference macvlan both ways.

load helpers

# The master and its peer; both live only in HOST_NS.
MV_MASTER=mvmaster0
MV_PEER=mvpeer0

setup() {
    common_setup
    ip -n "$HOST_NS" link add "$MV_MASTER" type veth peer name "$MV_PEER"
    ip -n "$HOST_NS" link set "$MV_MASTER" up
    ip -n "$HOST_NS" link set "$MV_PEER" up
}

# mv_config CNIVERSION RANGES_JSON [EXTRA_TOP_JSON]: a macvlan network on $MV_MASTER with host-local IPAM
# in $DATA_DIR. EXTRA_TOP_JSON is merged last (e.g. '{"ipam": {}}' for L2 only, '{"master": null}').
mv_config() {
    local v=$1 ranges=$2 top_extra=${3:-}
    [[ -n "$top_extra" ]] || top_extra='{}'
    jq -cn --arg v "$v" --arg name "$NET_NAME" --arg m "$MV_MASTER" --arg dd "$DATA_DIR" \
        --argjson ranges "$ranges" --argjson te "$top_extra" \
        '{cniVersion: $v, name: $name, type: "macvlan", master: $m,
          ipam: {type: "host-local", dataDir: $dd, ranges: $ranges}} + $te | with_entries(select(.value != null))'
}

# pod2 CMD CONFIG [env...]: the plugin for a second pod (netns "$TEST_TAG-p2", container ID "$CID-2").
pod2() { local cmd=$1 conf=$2; shift 2; cni macvlan "$cmd" "$conf" "CNI_NETNS=$(ns_path p2)" "CNI_CONTAINERID=$CID-2" "$@"; }

# pod_link NS [IFNAME]: `ip -d -j link show` of the interface as one JSON object.
pod_link() { ip -n "$1" -d -j link show "${2:-eth0}" | jq -c '.[0]'; }

# master_index: the ifindex of the master in HOST_NS.
master_index() { ip -n "$HOST_NS" -j link show "$MV_MASTER" | jq '.[0].ifindex'; }

# assert_no_macvlan NS: no eth0 in NS.
assert_no_macvlan() {
    ! ip -n "$1" link show eth0 >/dev/null 2>&1 || fail "eth0 still in $1"
}

# assert_message_names FRAGMENT...: the error message (msg and details) contains each fragment.
assert_message_names() {
    local text f
    text="$(jq -r '(.msg // "") + " " + (.details // "")' <<<"$output")"
    for f in "$@"; do [[ "$text" == *"$f"* ]] || fail "error message does not name $f: $text" || return 1; done
}

@test "two pods on one master in bridge mode reach each other over IPv4 and IPv6; one interface in the sandbox, ips on interface 0" {
    local conf; conf="$(mv_config 1.0.0 "$DUAL_RANGES")"
    cni macvlan ADD "$conf"
    assert_success
    local r1="$output"
    assert_jq '(.interfaces | length) == 1 and .interfaces[0].name == "eth0" and .interfaces[0].sandbox == "'"$NETNS_PATH"'"'
    assert_jq '(.ips | length) == 2 and all(.ips[]; .interface == 0)'
    local link; link="$(pod_link "$POD_NS")"
    assert_jq '.linkinfo.info_kind == "macvlan" and .linkinfo.info_data.mode == "bridge"' "$link"
    assert_jq ".link_index == $(master_index)" "$link"
    assert_equal "$(jq -r .address <<<"$link")" "$(jq -r '.interfaces[0].mac' <<<"$r1")" "MAC in the result"
    new_netns p2
    pod2 ADD "$conf"
    assert_success
    local r2="$output"
    assert_ping "$POD_NS" "$(result_ip4 "$r2")"
    assert_ping "$(ns_name p2)" "$(result_ip4 "$r1")"
    assert_ping "$POD_NS" "$(result_ip6 "$r2")"
    assert_equal "$(ip -n "$HOST_NS" -j link show | jq '[.[] | select(.ifname != "lo")] | length')" 2 "links in the host"
    cni macvlan DEL "$(with_prev "$conf" "$r1")"
    assert_success
    pod2 DEL "$(with_prev "$conf" "$r2")"
    assert_success
    assert_no_macvlan "$POD_NS"
    assert_no_macvlan "$(ns_name p2)"
    assert_no_leases
}

@test "private mode: two pods on one master cannot reach each other" {
    local conf; conf="$(mv_config 1.0.0 "$V4_RANGES" '{"mode": "private"}')"
    cni macvlan ADD "$conf"
    assert_success
    local r1="$output"
    assert_jq '.linkinfo.info_data.mode == "private"' "$(pod_link "$POD_NS")"
    new_netns p2
    pod2 ADD "$conf"
    assert_success
    local ip2; ip2="$(result_ip4)"
    ! ip netns exec "$POD_NS" ping -n -c 2 -W 1 "$ip2" >/dev/null 2>&1 || fail "private pods reached each other"
    cni macvlan DEL "$(with_prev "$conf" "$r1")"
    assert_success
}

@test "vepa and passthru modes are created as asked" {
    local mode
    for mode in vepa passthru; do
        local conf; conf="$(mv_config 1.0.0 "$V4_RANGES" "{\"mode\": \"$mode\"}")"
        cni macvlan ADD "$conf"
        assert_success
        assert_jq ".linkinfo.info_data.mode == \"$mode\"" "$(pod_link "$POD_NS")"
        cni macvlan DEL "$conf"
        assert_success
        assert_no_macvlan "$POD_NS"
    done
}

@test "default master: without master, the interface of the host's default route" {
    ip -n "$HOST_NS" route replace default dev "$MV_MASTER"
    local conf; conf="$(mv_config 1.0.0 "$V4_RANGES" '{"master": null}')"
    cni macvlan ADD "$conf"
    assert_success
    assert_jq ".link_index == $(master_index)" "$(pod_link "$POD_NS")"
    cni macvlan DEL "$conf"
    assert_success
}

@test "no master and no default route through an interface: error naming master, host unchanged" {
    snapshot_host
    cni macvlan ADD "$(mv_config 1.0.0 "$V4_RANGES" '{"master": null}')"
    assert_cni_error_any
    assert_host_unchanged
    assert_cni_error 7
    assert_message_names master "no default route"
}

@test "a master that does not exist: error naming master and its value, host unchanged, no lease" {
    snapshot_host
    cni macvlan ADD "$(mv_config 1.0.0 "$V4_RANGES" '{"master": "nosuch0"}')"
    assert_cni_error_any
    assert_host_unchanged
    assert_cni_error 7
    assert_message_names master nosuch0
}

@test "mode source and an unknown mode: error naming mode and the value, host unchanged" {
    local mode
    for mode in source bogus; do
        snapshot_host
        cni macvlan ADD "$(mv_config 1.0.0 "$V4_RANGES" "{\"mode\": \"$mode\"}")"
        assert_cni_error_any
        assert_host_unchanged
        assert_cni_error 7
        assert_message_names mode "\"$mode\""
    done
}

@test "an MTU above the master's: error naming mtu and the value, host unchanged" {
    snapshot_host
    cni macvlan ADD "$(mv_config 1.0.0 "$V4_RANGES" '{"mtu": 9000}')"
    assert_cni_error_any
    assert_host_unchanged
    assert_cni_error 7
    assert_message_names mtu 9000 1500
}

@test "CNI_IFNAME already taken in the pod: error 102, the pod's link survives, host unchanged" {
    ip -n "$POD_NS" link add eth0 type veth peer name other0
    snapshot_host
    cni macvlan ADD "$(mv_config 1.0.0 "$V4_RANGES")"
    assert_cni_error_any
    assert_host_unchanged
    assert_jq '.linkinfo.info_kind == "veth"' "$(pod_link "$POD_NS")"
    assert_cni_error 102
}

@test "mtu, bcqueuelen and the MAC from runtimeConfig (over CNI_ARGS and mac) reach the link" {
    local conf
    conf="$(mv_config 1.0.0 "$V4_RANGES" '{"mtu": 1400, "bcqueuelen": 321, "mac": "02:00:00:00:0a:03",
                                          "runtimeConfig": {"mac": "02:00:00:00:0a:01"}}')"
    cni macvlan ADD "$conf" "CNI_ARGS=IgnoreUnknown=1;MAC=02:00:00:00:0a:02"
    assert_success
    local link; link="$(pod_link "$POD_NS")"
    assert_jq '.mtu == 1400 and .address == "02:00:00:00:0a:01"' "$link"
    assert_jq '.interfaces[0].mac == "02:00:00:00:0a:01"'
    cni macvlan DEL "$conf"
    conf="$(mv_config 1.0.0 "$V4_RANGES" '{"mac": "02:00:00:00:0a:03"}')"
    cni macvlan ADD "$conf" "CNI_ARGS=IgnoreUnknown=1;MAC=02:00:00:00:0a:02"
    assert_success
    assert_jq '.address == "02:00:00:00:0a:02"' "$(pod_link "$POD_NS")"
    cni macvlan DEL "$conf"
    assert_jq '.linkinfo.info_data.bcqueuelen == 321' "$link"
}

@test "L2 only (ipam {}): no ips, the link is up, CHECK passes, DEL removes it" {
    local conf; conf="$(mv_config 1.0.0 "$V4_RANGES" '{"ipam": {}}')"
    cni macvlan ADD "$conf"
    assert_success
    local r="$output"
    assert_jq '(.ips // []) == [] and (.interfaces | length) == 1'
    assert_jq '.flags | index("UP") != null' "$(pod_link "$POD_NS")"
    cni macvlan CHECK "$(with_prev "$conf" "$r")"
    assert_success
    cni macvlan DEL "$(with_prev "$conf" "$r")"
    assert_success
    assert_no_macvlan "$POD_NS"
}

@test "linkInContainer: the master is a link inside the pod" {
    ip -n "$POD_NS" link add inner0 type veth peer name inner1
    ip -n "$POD_NS" link set inner0 up
    ip -n "$POD_NS" link set inner1 up
    local conf; conf="$(mv_config 1.0.0 "$V4_RANGES" '{"master": "inner0", "linkInContainer": true}')"
    cni macvlan ADD "$conf"
    assert_success
    assert_jq '.link == "inner0" and .linkinfo.info_kind == "macvlan"' "$(pod_link "$POD_NS")"
    cni macvlan CHECK "$(with_prev "$conf" "$output")"
    assert_success
    cni macvlan DEL "$conf"
    assert_success
    assert_no_macvlan "$POD_NS"
}

@test "CHECK passes after ADD; fails (104) after the mode changes, an address goes, or the master goes" {
    local conf; conf="$(mv_config 1.0.0 "$DUAL_RANGES")"
    cni macvlan ADD "$conf"
    assert_success
    local r="$output" prev; prev="$(with_prev "$conf" "$r")"
    cni macvlan CHECK "$prev"
    assert_success
    ip -n "$POD_NS" link set eth0 type macvlan mode private
    cni macvlan CHECK "$prev"
    assert_check_failed
    ip -n "$POD_NS" link set eth0 type macvlan mode bridge
    cni macvlan CHECK "$prev"
    assert_success
    ip -n "$POD_NS" addr del "$(jq -r '.ips[0].address' <<<"$r")" dev eth0
    cni macvlan CHECK "$prev"
    assert_check_failed
    ip -n "$POD_NS" addr add "$(jq -r '.ips[0].address' <<<"$r")" dev eth0
    ip -n "$HOST_NS" link del "$MV_MASTER"
    cni macvlan CHECK "$prev"
    assert_check_failed
}

@test "DEL twice succeeds; no macvlan and no lease left" {
    local conf; conf="$(mv_config 1.0.0 "$DUAL_RANGES")"
    cni macvlan ADD "$conf"
    assert_success
    local prev; prev="$(with_prev "$conf" "$output")"
    cni macvlan DEL "$prev"
    assert_success
    cni macvlan DEL "$prev"
    assert_success
    assert_no_macvlan "$POD_NS"
    assert_no_leases
    assert_equal "$(ip -n "$HOST_NS" -j link show | jq -c '[.[].ifname] | sort')" '["lo","mvmaster0","mvpeer0"]' "host links"
}

@test "DEL after the pod netns was deleted releases the lease; DEL without CNI_NETNS too" {
    local conf; conf="$(mv_config 1.0.0 "$V4_RANGES")"
    cni macvlan ADD "$conf"
    assert_success
    local prev; prev="$(with_prev "$conf" "$output")"
    ip netns del "$POD_NS"
    cni macvlan DEL "$prev"
    assert_success
    assert_no_leases
    cni macvlan DEL "$prev" CNI_NETNS=
    assert_success
}

@test "16 ADDs launched at once on one master: 0 failures, 16 distinct addresses, pods reach each other; 16 DELs leave nothing" {
    local conf i n=16
    conf="$(mv_config 1.0.0 "$V4_RANGES")"
    for i in $(seq 1 $n); do new_netns "p$i"; done
    cni_burst macvlan ADD $n "$conf"
    assert_equal "$BURST_FAILED" 0 "failed ADDs"
    assert_equal "$(for i in $(seq 1 $n); do jq -r '.ips[0].address' "$WORK_DIR/result.$i"; done | sort -u | wc -l)" "$n" \
        "distinct addresses"
    assert_equal "$(lease_count)" "$n" "leases"
    assert_ping "$(ns_name p1)" "$(result_ip4 "$(cat "$WORK_DIR/result.$n")")"
    cni_burst macvlan DEL $n "$conf"
    for i in $(seq 1 $n); do assert_no_macvlan "$(ns_name "p$i")" || return 1; done
    assert_equal "$BURST_FAILED" 0 "failed DELs"
    assert_no_leases
}

@test "STATUS (1.1.0): success with the master, error 50 without it (needs spec 1.1.0)" {
    require_spec 1.1.0 macvlan
    local conf; conf="$(mv_config 1.1.0 "$V4_RANGES")"
    cni macvlan STATUS "$conf"
    assert_success
    ip -n "$HOST_NS" link del "$MV_MASTER"
    cni macvlan STATUS "$conf"
    assert_cni_error 50
    assert_message_names "$MV_MASTER"
}

@test "GC (1.1.0): delegates to IPAM, which releases the lease of the attachment not in cni.dev/valid-attachments (needs spec 1.1.0)" {
    require_spec 1.1.0 macvlan
    local conf; conf="$(mv_config 1.1.0 "$V4_RANGES")"
    cni macvlan ADD "$conf"
    assert_success
    local ip1; ip1="$(result_ip4)"
    new_netns p2
    pod2 ADD "$conf"
    assert_success
    assert_equal "$(lease_count)" 2 "leases before GC"
    cni macvlan GC "$(jq -c --arg cid "$CID" '. + {"cni.dev/valid-attachments": [{containerID: $cid, ifname: "eth0"}]}' <<<"$conf")"
    assert_success
    assert_equal "$(lease_count)" 1 "leases after GC"
    assert_lease "$ip1" "$CID" eth0
}

@test "IPv6 only: the pod gets its address and reaches a second pod" {
    local conf; conf="$(mv_config 1.0.0 "$V6_RANGES")"
    cni macvlan ADD "$conf"
    assert_success
    assert_jq '(.ips | length) == 1 and (.ips[0].address | test(":")) and .ips[0].interface == 0'
    new_netns p2
    pod2 ADD "$conf"
    assert_success
    assert_ping "$POD_NS" "$(result_ip6)"
}

@test "conf/macvlan.conflist: two pods on the example network reach each other; DEL leaves nothing" {
    local list
    list="$(conflist_with_datadir "$CONF_DIR/macvlan.conflist" | jq -c --arg m "$MV_MASTER" '.plugins[0].master = $m')"
    NET_NAME="$(jq -r .name <<<"$list")"
    run_conflist ADD "$list" ""
    assert_success
    local r1="$output"
    new_netns p2
    run_conflist ADD "$list" "" "CNI_NETNS=$(ns_path p2)" "CNI_CONTAINERID=$CID-2"
    assert_success
    local r2="$output"
    assert_ping "$POD_NS" "$(result_ip4 "$r2")"
    run_conflist DEL "$list" "$r1"
    assert_success
    run_conflist DEL "$list" "$r2" "CNI_NETNS=$(ns_path p2)" "CNI_CONTAINERID=$CID-2"
    assert_success
    assert_no_macvlan "$POD_NS"
    assert_no_leases
}

# --- Interop with Debian's reference macvlan (and its host-local) -------------------------------

# ref CMD CONFIG [env...]: the reference macvlan delegating to the reference host-local.
ref() { local cmd=$1 conf=$2; shift 2; cni "$REFERENCE_PLUGIN_DIR/macvlan" "$cmd" "$conf" "CNI_PATH=$REFERENCE_PLUGIN_DIR" "$@"; }

require_reference() {
    [[ -x "$REFERENCE_PLUGIN_DIR/macvlan" && -x "$REFERENCE_PLUGIN_DIR/host-local" ]] \
        || skip "reference macvlan/host-local not installed in $REFERENCE_PLUGIN_DIR"
    is_reference_dir && skip "the plugin dir under test is the reference itself"
    return 0
}

@test "interop: reference ADD, our CHECK passes, our DEL leaves nothing; reference DEL after it succeeds" {
    require_reference
    local conf; conf="$(mv_config 1.0.0 "$DUAL_RANGES" '{"mode": "vepa"}')"
    ref ADD "$conf"
    assert_success
    local prev; prev="$(with_prev "$conf" "$output")"
    assert_equal "$(lease_count)" 2 "leases"
    cni macvlan CHECK "$prev"
    assert_success
    cni macvlan DEL "$prev"
    assert_success
    assert_no_macvlan "$POD_NS"
    assert_no_leases
    ref DEL "$prev"
    assert_success
}

@test "interop: our ADD, reference CHECK passes, reference DEL leaves nothing; our DEL after it succeeds" {
    require_reference
    local conf; conf="$(mv_config 1.0.0 "$DUAL_RANGES" '{"mode": "private"}')"
    cni macvlan ADD "$conf"
    assert_success
    local prev; prev="$(with_prev "$conf" "$output")"
    ref CHECK "$prev"
    assert_success
    ref DEL "$prev"
    assert_success
    assert_no_macvlan "$POD_NS"
    assert_no_leases
    cni macvlan DEL "$prev"
    assert_success
}

@test "interop: a pod of each on one master reach each other; each DELs the other's pod" {
    require_reference
    local conf; conf="$(mv_config 1.0.0 "$V4_RANGES")"
    ref ADD "$conf"
    assert_success
    local r1="$output"
    new_netns p2
    pod2 ADD "$conf"
    assert_success
    local r2="$output"
    assert_ping "$(ns_name p2)" "$(result_ip4 "$r1")"
    cni macvlan DEL "$(with_prev "$conf" "$r1")"
    assert_success
    ref DEL "$(with_prev "$conf" "$r2")" "CNI_NETNS=$(ns_path p2)" "CNI_CONTAINERID=$CID-2"
    assert_success
    assert_no_macvlan "$POD_NS"
    assert_no_macvlan "$(ns_name p2)"
    assert_no_leases
}
