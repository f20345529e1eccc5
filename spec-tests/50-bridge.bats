#!/usr/bin/env bats
# 50-bridge.bats: bridge networks that carry traffic. Pods on one bridge reach each other and the
# gateway over IPv4 and IPv6; processes sharing a pod netns share its interfaces; a container on two
# networks; L2-only networks; the conf/bridge* examples run as a runtime would run them.
# Every bridge, veth and firewall rule lives in the test's private HOST_NS; packets only travel
# between namespaces the test created.

load helpers

# add_pod SUFFIX CID CONFIG [env...]: a new pod netns "$TEST_TAG-SUFFIX" and a bridge ADD into it;
# the result is in $output.
add_pod() {
    local suffix=$1 cid=$2 conf=$3; shift 3
    new_netns "$suffix"
    cni bridge ADD "$conf" "CNI_CONTAINERID=$cid" "CNI_NETNS=$(ns_path "$suffix")" "$@"
    assert_success
}

@test "two pods on one bridge ping each other and the gateway over IPv4 and IPv6" {
    local conf r1 r2
    conf="$(br_config 1.0.0 "$DUAL_RANGES")"
    cni bridge ADD "$conf"
    assert_success
    r1="$output"
    assert_jq '(.interfaces | length) == 3 and .interfaces[0].name == "'"$BR_NAME"'"'
    assert_jq '(.interfaces[1].name | test("^veth[0-9a-f]{8}$")) and (.interfaces[1] | has("sandbox") | not)'
    assert_jq '.interfaces[2].name == "eth0" and .interfaces[2].sandbox == "'"$NETNS_PATH"'"'
    assert_jq '(.ips | length) == 2 and (.ips | all(.interface == 2))'
    assert_jq '.ips[0].address == "10.250.0.2/24" and .ips[0].gateway == "10.250.0.1"'
    assert_jq '.ips[1].address == "fd00:5ca1:ab1e::2/64" and .ips[1].gateway == "fd00:5ca1:ab1e::1"'
    add_pod p2 c2 "$conf"
    r2="$output"
    assert_jq '.ips[0].address == "10.250.0.3/24" and .ips[1].address == "fd00:5ca1:ab1e::3/64"'

    # The addresses are where the results say, the gateways are on the bridge, the veths on the bridge.
    assert_equal "$(ns_addrs "$POD_NS" eth0 | tr '\n' ' ')" "10.250.0.2/24 fd00:5ca1:ab1e::2/64 " "pod 1 eth0"
    assert_equal "$(ns_addrs "$(ns_name p2)" eth0 | tr '\n' ' ')" "10.250.0.3/24 fd00:5ca1:ab1e::3/64 " "pod 2 eth0"
    assert_equal "$(ns_addrs "$HOST_NS" "$BR_NAME" | tr '\n' ' ')" "10.250.0.1/24 fd00:5ca1:ab1e::1/64 " "bridge"
    assert_equal "$(ip -n "$HOST_NS" -j link show master "$BR_NAME" | jq -r '[.[].ifname] | sort | join(" ")')" \
        "$(jq -rn --argjson a "$r1" --argjson b "$r2" '[$a.interfaces[1].name, $b.interfaces[1].name] | sort | join(" ")')" \
        "bridge ports"

    assert_ping "$POD_NS" 10.250.0.3
    assert_ping "$POD_NS" fd00:5ca1:ab1e::3
    assert_ping "$(ns_name p2)" 10.250.0.2
    assert_ping "$(ns_name p2)" fd00:5ca1:ab1e::2
    local ns
    for ns in "$POD_NS" "$(ns_name p2)"; do
        assert_ping "$ns" 10.250.0.1
        assert_ping "$ns" fd00:5ca1:ab1e::1
    done
    # Ours gives the host ends no IPv6 addresses (addrgenmode none; bridge/README.md): IPv6 between the
    # pods and to the gateway works without them. The containers keep their link-local addresses.
    if ! is_reference_dir; then
        local port
        for port in "$(result_host_veth "$r1")" "$(result_host_veth "$r2")"; do
            assert_equal "$(ip -n "$HOST_NS" -j -6 addr show dev "$port" | jq -r '[.[].addr_info[]] | length')" "0" "IPv6 addresses on $port"
        done
        assert_equal "$(ip -n "$POD_NS" -j -6 addr show dev eth0 | jq -r '[.[].addr_info[] | select(.scope == "link")] | length')" "1" "pod link-local"
    fi

    cni bridge DEL "$(with_prev "$conf" "$r2")" CNI_CONTAINERID=c2 CNI_NETNS="$(ns_path p2)"
    assert_success
    cni bridge DEL "$(with_prev "$conf" "$r1")"
    assert_success
    assert_nothing_left
}

@test "pod model: two processes that join one pod netns share eth0 and its address and meet on 127.0.0.1" {
    [[ -x "$SPEC_PYTHON" ]] || skip "python3 not installed"
    # What a runtime does for a pod: loopback, then the pod network.
    cni loopback ADD "$(lo_config 1.0.0)" CNI_IFNAME=lo
    assert_success
    cni bridge ADD "$(br_config 1.0.0 "$DUAL_RANGES")"
    assert_success
    local ip4 ip6; ip4="$(result_ip4)"; ip6="$(result_ip6)"

    # Process 1: listens on 127.0.0.1 and tells whoever connects its netns and its view of eth0.
    local portfile="$WORK_DIR/port"
    ip netns exec "$POD_NS" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$SPEC_PYTHON" -c '
import os, socket, subprocess, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0))
s.listen(1)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(s.getsockname()[1]))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
s.settimeout(30)
c, peer = s.accept()
eth0 = subprocess.run(["ip", "-j", "addr", "show", "dev", "eth0"], capture_output=True).stdout
c.sendall((os.readlink("/proc/self/ns/net") + "\n" + peer[0] + "\n").encode() + eth0)
c.close()' "$portfile" 3>&- &
    local try
    for try in $(seq 1 50); do [[ -s "$portfile" ]] && break; sleep 0.1; done
    [[ -s "$portfile" ]] || fail "the listener in the pod never started"

    # Process 2: a separate `ip netns exec` of the same pod connects to 127.0.0.1.
    local reply
    reply="$(ip netns exec "$POD_NS" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$SPEC_PYTHON" -c '
import os, socket, sys
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
data = b""
while True:
    chunk = c.recv(65536)
    if not chunk:
        break
    data += chunk
sys.stdout.write(os.readlink("/proc/self/ns/net") + "\n" + data.decode())' "$(cat "$portfile")")" \
        || fail "the client could not reach the listener on 127.0.0.1"
    wait

    local client_ns listener_ns peer listener_eth0
    client_ns="$(sed -n 1p <<<"$reply")"
    listener_ns="$(sed -n 2p <<<"$reply")"
    peer="$(sed -n 3p <<<"$reply")"
    listener_eth0="$(sed -n '4,$p' <<<"$reply")"
    [[ "$client_ns" == net:* ]] || fail "client netns: $client_ns"
    assert_equal "$listener_ns" "$client_ns" "both processes' netns"
    assert_equal "$peer" 127.0.0.1 "the client's address as the listener saw it"
    # Both see the same eth0, with the address the bridge plugin returned.
    assert_equal "$(jq -r '.[0].ifname' <<<"$listener_eth0")" eth0 "listener's eth0"
    assert_equal "$(jq -r '[.[0].addr_info[] | select(.scope == "global") | .local] | sort | join(" ")' <<<"$listener_eth0")" \
        "$(printf '%s\n' "$ip4" "$ip6" | sort | tr '\n' ' ' | sed 's/ $//')" "listener's eth0 addresses"
    assert_equal "$(jq -r '.[0].address' <<<"$listener_eth0")" \
        "$(ip netns exec "$POD_NS" ip -j link show dev eth0 | jq -r '.[0].address')" "eth0 MAC seen by both"
}

@test "one container on two networks (eth0 on bridge A, eth1 on bridge B): DEL of one leaves the other working" {
    local confA confB rA rB
    confA="$(NET_NAME=neta BR_NAME=cnispecA br_config 1.0.0 "$DUAL_RANGES")"
    confB="$(NET_NAME=netb BR_NAME=cnispecB br_config 1.0.0 '[[{"subnet":"10.251.0.0/24"}]]')"
    cni bridge ADD "$confA" CNI_IFNAME=eth0
    assert_success
    rA="$output"
    cni bridge ADD "$confB" CNI_IFNAME=eth1
    assert_success
    rB="$output"
    assert_jq '.interfaces[0].name == "cnispecB" and .interfaces[2].name == "eth1" and .ips[0].address == "10.251.0.2/24"'
    assert_ping "$POD_NS" 10.250.0.1
    assert_ping "$POD_NS" 10.251.0.1

    # DEL A: eth0, its lease and its masquerade go; eth1 keeps working.
    cni bridge DEL "$(with_prev "$confA" "$rA")" CNI_IFNAME=eth0
    assert_success
    ! ip -n "$POD_NS" link show eth0 >/dev/null 2>&1 || fail "eth0 still in the pod"
    assert_equal "$(ns_addrs "$POD_NS" eth1)" 10.251.0.2/24 "eth1 after DEL of A"
    assert_ping "$POD_NS" 10.251.0.1
    NET_NAME=neta assert_no_leases
    assert_equal "$(NET_NAME=netb lease_count)" 1 "leases of B"
    assert_equal "$(host_veths | wc -l)" 1 "host veths"
    ! host_masq_jumps | grep -q 'name: \\"neta\\"' || fail "masquerade of A left: $(host_masq_jumps)"
    host_masq_jumps | grep -q 'name: \\"netb\\"' || fail "masquerade of B gone: $(host_nat)"
    cni bridge CHECK "$(with_prev "$confB" "$rB")" CNI_IFNAME=eth1
    assert_success

    # And the other way round: A again, then DEL B; eth0 keeps working.
    cni bridge ADD "$confA" CNI_IFNAME=eth0
    assert_success
    rA="$output"
    cni bridge DEL "$(with_prev "$confB" "$rB")" CNI_IFNAME=eth1
    assert_success
    ! ip -n "$POD_NS" link show eth1 >/dev/null 2>&1 || fail "eth1 still in the pod"
    assert_ping "$POD_NS" 10.250.0.1
    assert_ping "$POD_NS" fd00:5ca1:ab1e::1
    cni bridge CHECK "$(with_prev "$confA" "$rA")" CNI_IFNAME=eth0
    assert_success
    cni bridge DEL "$(with_prev "$confA" "$rA")" CNI_IFNAME=eth0
    assert_success
    NET_NAME=neta assert_no_leases
    NET_NAME=netb assert_no_leases
    assert_no_veths
    assert_no_masquerade
}

@test "L2-only network (ipam {}): result with interfaces and no ips, container link up, DEL leaves nothing" {
    local conf r
    conf="$(br_config 1.0.0 "$V4_RANGES" '{"ipam": {}, "isGateway": false, "ipMasq": false}')"
    cni bridge ADD "$conf"
    assert_success
    r="$output"
    assert_jq '(.interfaces | length) == 3 and .interfaces[2].name == "eth0" and .interfaces[2].sandbox == "'"$NETNS_PATH"'"'
    assert_jq '(.ips // []) | length == 0'
    ip -n "$POD_NS" -j link show dev eth0 | jq -e '.[0].flags | index("UP") != null' >/dev/null \
        || fail "container eth0 is not up: $(ip -n "$POD_NS" link show dev eth0)"
    [[ -z "$(ns_addrs "$POD_NS" eth0)" ]] || fail "L2 eth0 has addresses: $(ns_addrs "$POD_NS" eth0)"
    [[ ! -e "$DATA_DIR" ]] || fail "L2 ADD touched the IPAM data dir"
    assert_no_masquerade
    cni bridge DEL "$(with_prev "$conf" "$r")"
    assert_success
    cni bridge DEL "$(with_prev "$conf" "$r")"
    assert_success
    assert_no_veths
    ! ip -n "$POD_NS" link show eth0 >/dev/null 2>&1 || fail "eth0 still in the pod"
}

@test "L2-only network (ipam {}): CHECK passes after ADD (reference 1.1.1 runs IPAM CHECK without IPAM)" {
    local conf
    conf="$(br_config 1.0.0 "$V4_RANGES" '{"ipam": {}, "isGateway": false, "ipMasq": false}')"
    cni bridge ADD "$conf"
    assert_success
    cni bridge CHECK "$(with_prev "$conf" "$output")"
    assert_success
}

# ---------------------------------------------------------------------------------------------
# The conf/ examples, run as a runtime runs a network config (list)
# ---------------------------------------------------------------------------------------------

# conf_example FILE: sets LIST (the example as a conflist, dataDir in $DATA_DIR), NET_NAME and BR_NAME.
conf_example() {
    LIST="$(as_conflist "$(conflist_with_datadir "$1")")"
    NET_NAME="$(jq -r .name <<<"$LIST")"
    BR_NAME="$(jq -r '[.plugins[] | select(.type == "bridge")][0].bridge // "cni0"' <<<"$LIST")"
}

# two_pods_on_list: ADD $LIST for POD_NS (R1) and a second pod p2 (R2), CHECK both.
two_pods_on_list() {
    run_conflist ADD "$LIST" ""
    assert_success
    R1="$output"
    new_netns p2
    run_conflist ADD "$LIST" "" CNI_CONTAINERID=c2 CNI_NETNS="$(ns_path p2)"
    assert_success
    R2="$output"
    run_conflist CHECK "$LIST" "$R1"
    assert_success
    run_conflist CHECK "$LIST" "$R2" CNI_CONTAINERID=c2 CNI_NETNS="$(ns_path p2)"
    assert_success
}

# del_two_pods_on_list: DEL both pods (reverse plugin order), twice, and check nothing is left.
del_two_pods_on_list() {
    local i
    for i in 1 2; do
        run_conflist DEL "$LIST" "$R2" CNI_CONTAINERID=c2 CNI_NETNS="$(ns_path p2)"
        assert_success
        run_conflist DEL "$LIST" "$R1"
        assert_success
    done
    assert_nothing_left
}

@test "conf/bridge.conflist: plugins in order (portmap when built), two pods reach each other and the gateway, DEL in reverse" {
    conf_example "$CONF_DIR/bridge.conflist"
    assert_equal "$(jq -r '[.plugins[].type] | join(",")' <<<"$LIST")" "bridge,portmap" "plugins"
    assert_jq '.plugins[1].capabilities.portMappings == true' "$LIST"
    two_pods_on_list
    assert_jq '.ips[0].address == "10.88.0.2/16" and .ips[0].gateway == "10.88.0.1"' "$R1"
    assert_jq '.ips[0].address == "10.88.0.3/16"' "$R2"
    assert_jq '[.routes[]?.dst] == ["0.0.0.0/0"]' "$R1"
    ip -n "$POD_NS" route show default | grep -q "via 10.88.0.1 dev eth0" \
        || fail "no default route via the gateway: $(ip -n "$POD_NS" route)"
    assert_ping "$POD_NS" 10.88.0.3
    assert_ping "$(ns_name p2)" 10.88.0.2
    assert_ping "$POD_NS" 10.88.0.1
    # hairpinMode from the example, for portmap's hairpin traffic.
    ip netns exec "$HOST_NS" bridge -d -j link show dev "$(result_host_veth "$R1")" | jq -e '.[0].hairpin == true' >/dev/null \
        || fail "hairpin is off on the host veth"
    host_masq_jumps | grep -q 'name: \\"bridge-net\\"' || fail "no masquerade for the pods: $(host_nat)"
    del_two_pods_on_list
}

@test "conf/bridge-dualstack.conf: two pods reach each other and the gateways over IPv4 and IPv6, default routes" {
    conf_example "$CONF_DIR/bridge-dualstack.conf"
    two_pods_on_list
    assert_jq '.ips[0].address == "10.89.0.2/24" and .ips[1].address == "fd00:89::2/64"' "$R1"
    assert_jq '([.routes[]?.dst] | sort) == ["0.0.0.0/0", "::/0"]' "$R1"
    ip -n "$POD_NS" -4 route show default | grep -q "via 10.89.0.1" || fail "no v4 default route: $(ip -n "$POD_NS" route)"
    ip -n "$POD_NS" -6 route show default | grep -q "via fd00:89::1" || fail "no v6 default route: $(ip -n "$POD_NS" -6 route)"
    assert_ping "$POD_NS" 10.89.0.3
    assert_ping "$POD_NS" fd00:89::3
    assert_ping "$(ns_name p2)" fd00:89::2
    assert_ping "$(ns_name p2)" 10.89.0.1
    assert_ping "$(ns_name p2)" fd00:89::1
    del_two_pods_on_list
}

@test "conf/bridge-l2.conf: two pods on one L2 segment, addressed by hand, reach each other" {
    conf_example "$CONF_DIR/bridge-l2.conf"
    assert_jq '.plugins[0].ipam == {}' "$LIST"
    run_conflist ADD "$LIST" ""
    assert_success
    R1="$output"
    new_netns p2
    run_conflist ADD "$LIST" "" CNI_CONTAINERID=c2 CNI_NETNS="$(ns_path p2)"
    assert_success
    R2="$output"
    assert_jq '((.ips // []) | length) == 0' "$R1"
    # L2 only: addressing is someone else's job (here: the test's).
    ip -n "$POD_NS" addr add 192.168.77.1/24 dev eth0
    ip -n "$(ns_name p2)" addr add 192.168.77.2/24 dev eth0
    assert_ping "$POD_NS" 192.168.77.2
    assert_ping "$(ns_name p2)" 192.168.77.1
    del_two_pods_on_list
}
