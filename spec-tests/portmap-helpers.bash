# portmap-helpers.bash: topology, servers and clients for the portmap spec-tests (loaded after helpers.bash).
#
# The test's HOST_NS gets a bridge network from the bridge plugin under test (pods) and a veth to an
# "external" netns $TEST_TAG-ext (a third machine): host side 192.168.200.1/24 and fd00:200::1/64
# (the host's own address), external side .2 / ::2. Every server is a python3 listener inside a pod
# netns; clients run in the external netns, in HOST_NS or in another pod.

PM_HOST4=192.168.200.1
PM_HOST6=fd00:200::1
# The dual-stack bridge network the pods use: default routes via the bridge, hairpin for self-access.
pm_br_config() {
    br_config 1.0.0 "$DUAL_RANGES" '{"isDefaultGateway": true, "hairpinMode": true}'
}

# pm_external: the external netns and its veth to HOST_NS.
pm_external() {
    new_netns ext
    local ext; ext="$(ns_name ext)"
    ip -n "$HOST_NS" link add pmhost type veth peer name pmext netns "$ext"
    ip -n "$HOST_NS" addr add "$PM_HOST4/24" dev pmhost
    ip -n "$HOST_NS" addr add "$PM_HOST6/64" dev pmhost nodad
    ip -n "$HOST_NS" link set pmhost up
    ip -n "$ext" link set lo up
    ip -n "$ext" addr add 192.168.200.2/24 dev pmext
    ip -n "$ext" addr add fd00:200::2/64 dev pmext nodad
    ip -n "$ext" link set pmext up
}

# pm_pod SUFFIX CID: a pod netns ("$TEST_TAG-SUFFIX"; "main" is $POD_NS) on the bridge network; the
# bridge result is in $output.
pm_pod() {
    local suffix=$1 cid=$2 path
    if [[ "$suffix" == main ]]; then path="$NETNS_PATH"; else new_netns "$suffix"; path="$(ns_path "$suffix")"; fi
    cni bridge ADD "$(pm_br_config)" "CNI_CONTAINERID=$cid" "CNI_NETNS=$path"
    assert_success
}

# pm_ns SUFFIX: the netns name of a pod ("main" is $POD_NS).
pm_ns() { if [[ "$1" == main ]]; then echo "$POD_NS"; else ns_name "$1"; fi; }

# pm_config PREV_RESULT MAPPINGS_JSON [EXTRA_TOP_JSON]: a portmap config chained after bridge, as a
# runtime sends it (runtimeConfig.portMappings from the portMappings capability).
pm_config() {
    local prev=$1 maps=$2 extra=${3:-}
    [[ -n "$extra" ]] || extra='{}'
    jq -cn --arg name "$NET_NAME" --argjson prev "$prev" --argjson maps "$maps" --argjson te "$extra" \
        '{cniVersion: "1.0.0", name: $name, type: "portmap", capabilities: {portMappings: true},
          runtimeConfig: {portMappings: $maps}, prevResult: $prev} + $te'
}

# pm_portmap COMMAND CONFIG CID SUFFIX: runs portmap for the pod SUFFIX.
pm_portmap() {
    local cmd=$1 conf=$2 cid=$3 suffix=$4 path
    if [[ "$suffix" == main ]]; then path="$NETNS_PATH"; else path="$(ns_path "$suffix")"; fi
    cni portmap "$cmd" "$conf" "CNI_CONTAINERID=$cid" "CNI_NETNS=$path"
}

# pm_serve NS PORT NAME: TCP and UDP servers on PORT (both families) in NS, answering "NAME <peer address>".
pm_serve() {
    local ns=$1 port=$2 name=$3 proto
    for proto in tcp udp; do
        ip netns exec "$ns" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$SPEC_PYTHON" -c '
import socket, sys
port, name, proto = int(sys.argv[1]), sys.argv[2], sys.argv[3]
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.bind(("::", port))
def peer(a): return a[0][7:] if a[0].startswith("::ffff:") else a[0]
if proto == "tcp":
    s.listen(64)
    while True:
        c, a = s.accept(); c.sendall(("%s %s\n" % (name, peer(a))).encode()); c.close()
while True:
    d, a = s.recvfrom(512); s.sendto(("%s %s" % (name, peer(a))).encode(), a)
' "$port" "$name" "$proto" </dev/null >/dev/null 2>&1 &
    done
}

# pm_ask NS PROTO ADDRESS PORT [SOURCE_PORT]: one request from NS; prints the answer ("NAME PEER"),
# or nothing after 1.5 s. UDP requests can come from a fixed SOURCE_PORT.
pm_ask() {
    ip netns exec "$1" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$SPEC_PYTHON" -c '
import socket, sys
proto, addr, port, sport = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM)
s.settimeout(1.5)
try:
    if proto == "tcp":
        s.connect((addr, port)); print(s.recv(512).decode().strip())
    else:
        if sport: s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("", sport))
        s.sendto(b"hi", (addr, port)); print(s.recvfrom(512)[0].decode().strip())
except Exception:
    pass
' "$2" "$3" "$4" "${5:-0}" 2>/dev/null
}

# pm_reach NS PROTO ADDRESS PORT WANT_NAME [SOURCE_PORT]: the answer comes from WANT_NAME (retrying
# for ~5 s while servers start). Sets PM_PEER to the source address the server saw.
pm_reach() {
    local ns=$1 proto=$2 addr=$3 port=$4 want=$5 sport=${6:-0} try got=""
    for try in 1 2 3 4 5 6 7 8 9 10; do
        got="$(pm_ask "$ns" "$proto" "$addr" "$port" "$sport")"
        [[ "${got%% *}" == "$want" ]] && { PM_PEER="${got#* }"; return 0; }
        sleep 0.3
    done
    fail "$proto $addr:$port from $ns: want an answer from $want, got '$got'"
}

# pm_unreachable NS PROTO ADDRESS PORT: no server answers.
pm_unreachable() {
    local got; got="$(pm_ask "$1" "$2" "$3" "$4")"
    [[ -z "$got" ]] || fail "$2 $3:$4 from $1 answered '$got', want no answer"
}

# pm_rules: every portmap rule of HOST_NS (iptables DNAT chains of both families, nft table), one per line.
pm_rules() {
    host_nat | grep -E '^-A (CNI-DN-|CNI-HOSTPORT-DNAT )' || true
    ip netns exec "$HOST_NS" nft list table inet swcni_portmap 2>/dev/null | grep -E 'comment' || true
}

# assert_no_portmap_rules: no per-container iptables chain or jump, no element of ours in nft.
assert_no_portmap_rules() {
    local left; left="$(pm_rules)"
    [[ -z "$left" ]] || fail "portmap rules left: $left"
    ! host_nat | grep -q '^:CNI-DN-' || fail "CNI-DN- chains left: $(host_nat | grep '^:CNI-DN-')"
}

# backend_extra BACKEND: the config keys selecting BACKEND.
backend_extra() { if [[ "$1" == nftables ]]; then echo '{"backend": "nftables"}'; else echo '{}'; fi; }

# require_backend BACKEND: skip nftables against plugins that lack it (the reference 1.1.1).
require_backend() {
    if [[ "$1" == nftables ]] && is_reference_dir; then skip "the reference portmap 1.1.1 has no nftables backend"; fi
}
