# helpers.bash: shared setup, plugin invocation and assertions for the black-box CNI spec-tests.
#
# Every test gets, in setup/teardown (common_setup / common_teardown):
#   HOST_NS    a private "host" network namespace; every plugin runs inside it (never in the
#              machine's own netns). It has `unreachable default` routes for v4 and v6, so nothing a
#              plugin might send can leave it.
#   POD_NS     a private "container" network namespace; NETNS_PATH=/run/netns/$POD_NS is CNI_NETNS.
#   DATA_DIR   a temporary host-local dataDir (does not exist until a plugin creates it).
#   CID        a container ID unique to the test; IFNAME=eth0; NET_NAME the network name.
# Both namespaces and the data dir are removed in teardown, which bats runs even when a test fails.
#
# The plugin directory under test is $CNI_PLUGIN_DIR (default: this repo's release build).

SPEC_TESTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SPEC_TESTS_DIR/.." && pwd)"
CONF_DIR="$REPO_ROOT/conf"
: "${CNI_PLUGIN_DIR:=$REPO_ROOT/.build/release}"
: "${REFERENCE_PLUGIN_DIR:=/usr/lib/cni}"
: "${SPEC_TEST_TIMEOUT:=60}"
export CNI_PLUGIN_DIR REFERENCE_PLUGIN_DIR

ALL_SPEC_VERSIONS=(0.1.0 0.2.0 0.3.0 0.3.1 0.4.0 1.0.0 1.1.0)

# ---------------------------------------------------------------------------------------------
# Per-test fixture
# ---------------------------------------------------------------------------------------------

common_setup() {
    [[ -d "$CNI_PLUGIN_DIR" ]] || { echo "CNI_PLUGIN_DIR=$CNI_PLUGIN_DIR is not a directory" >&2; return 1; }
    TEST_TAG="swcni-${SPEC_TEST_RUN_ID:+$SPEC_TEST_RUN_ID-}$(printf '%x' "$BASHPID")-${BATS_TEST_NUMBER}"
    HOST_NS="${TEST_TAG}-h"
    POD_NS="${TEST_TAG}-c"
    NETNS_PATH="/run/netns/$POD_NS"
    CID="ctr-${BATS_TEST_NUMBER}-$RANDOM"
    IFNAME=eth0
    NET_NAME="specnet"
    WORK_DIR="$(mktemp -d "${BATS_TEST_TMPDIR:-/tmp}/swcni.XXXXXX")"
    DATA_DIR="$WORK_DIR/data"
    ip netns add "$HOST_NS"
    ip -n "$HOST_NS" link set lo up
    ip -n "$HOST_NS" route add unreachable default
    ip -n "$HOST_NS" -6 route add unreachable default 2>/dev/null || true
    ip netns add "$POD_NS"
}

common_teardown() {
    local job
    for job in $(jobs -p); do kill "$job" 2>/dev/null || true; done
    wait 2>/dev/null || true
    [[ -n "${POD_NS:-}" ]] && ip netns del "$POD_NS" 2>/dev/null
    [[ -n "${HOST_NS:-}" ]] && ip netns del "$HOST_NS" 2>/dev/null
    # Extra namespaces of the test (new_netns): every name starts with "$TEST_TAG-".
    local ns
    if [[ -n "${TEST_TAG:-}" ]]; then
        for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -F -- "$TEST_TAG-" || true); do
            [[ "$ns" == "$TEST_TAG-"* ]] && ip netns del "$ns" 2>/dev/null
        done
    fi
    # Our host-local's lease indexes of this test's networks (/run/swift-cni/host-local/<dev>-<ino>.index,
    # each naming its lease directory).
    if [[ -n "${WORK_DIR:-}" && -d /run/swift-cni/host-local ]]; then
        grep -lsF -- ":$WORK_DIR/" /run/swift-cni/host-local/*.index | xargs -r rm -f --
    fi
    [[ -n "${WORK_DIR:-}" && -d "$WORK_DIR" ]] && rm -rf "$WORK_DIR"
    return 0
}

setup() { common_setup; }
teardown() { common_teardown; }

# ---------------------------------------------------------------------------------------------
# Running plugins
# ---------------------------------------------------------------------------------------------

# cni_exec PLUGIN STDIN [NAME=VALUE | -NAME]...
# Runs $CNI_PLUGIN_DIR/PLUGIN (or PLUGIN itself if it is a path) inside HOST_NS with exactly the
# given environment (plus PATH), STDIN on standard input. Later NAME=VALUE entries override earlier
# ones; -NAME removes NAME. Sets: status (exit code), output (stdout), stderr, lines (stdout lines).
# Never fails itself, so tests can assert on status.
cni_exec() {
    local plugin=$1 input=$2; shift 2
    local bin=$plugin
    [[ "$bin" == */* ]] || bin="$CNI_PLUGIN_DIR/$plugin"
    local -A vars=(); local -a order=() envv=()
    local kv name
    for kv in "$@"; do
        if [[ "$kv" == -* ]]; then
            unset "vars[${kv#-}]"
        else
            name=${kv%%=*}
            [[ -v "vars[$name]" ]] || order+=("$name")
            vars[$name]=${kv#*=}
        fi
    done
    for name in "${order[@]}"; do
        [[ -v "vars[$name]" ]] && envv+=("$name=${vars[$name]}")
    done
    local io="$WORK_DIR/io.$BASHPID.$RANDOM"
    printf '%s' "$input" >"$io.in"
    status=0
    timeout "$SPEC_TEST_TIMEOUT" ip netns exec "$HOST_NS" \
        env -i PATH="/usr/sbin:/usr/bin:/sbin:/bin" "${envv[@]}" "$bin" \
        <"$io.in" >"$io.out" 2>"$io.err" || status=$?
    output="$(cat "$io.out")"
    stderr="$(cat "$io.err")"
    mapfile -t lines <<<"$output"
    rm -f "$io.in" "$io.out" "$io.err"
    return 0
}

# cni_burst PLUGIN VERB N CONF: runs VERB for pods p1..pN all at once (CNI_CONTAINERID=p<i>, the netns
# of new_netns "p<i>"); a DEL gets pod i's ADD result ($WORK_DIR/result.<i>) as prevResult. Leaves each
# exit status in $WORK_DIR/status.<i> and each ADD result in $WORK_DIR/result.<i>, prints every failure
# to stderr and sets BURST_FAILED to the number of failed invocations.
cni_burst() {
    local plugin=$1 verb=$2 n=$3 conf=$4 i
    for i in $(seq 1 "$n"); do
        (
            local c=$conf
            [[ "$verb" == DEL ]] && c="$(with_prev "$conf" "$(cat "$WORK_DIR/result.$i")")"
            cni "$plugin" "$verb" "$c" "CNI_CONTAINERID=p$i" "CNI_NETNS=$(ns_path "p$i")"
            printf '%s' "$status" >"$WORK_DIR/status.$i"
            if [[ "$verb" == ADD ]]; then printf '%s' "$output" >"$WORK_DIR/result.$i"; fi
            printf '%s' "$output" >"$WORK_DIR/output.$i"
        ) 3>&- &
    done
    wait
    BURST_FAILED=0
    for i in $(seq 1 "$n"); do
        if [[ "$(cat "$WORK_DIR/status.$i")" != 0 ]]; then
            BURST_FAILED=$((BURST_FAILED + 1))
            echo "$verb p$i failed: $(cat "$WORK_DIR/output.$i")" >&2
        fi
    done
}

# cni PLUGIN COMMAND CONFIG [NAME=VALUE | -NAME]...
# Like cni_exec with the environment a runtime (libcni) would give COMMAND:
#   ADD/CHECK/DEL: CNI_CONTAINERID=$CID CNI_NETNS=$NETNS_PATH CNI_IFNAME=$IFNAME CNI_PATH
#   GC/STATUS:     CNI_PATH          VERSION: nothing else
cni() {
    local plugin=$1 cmd=$2 conf=$3; shift 3
    local -a env=("CNI_COMMAND=$cmd")
    case "$cmd" in
        ADD|CHECK|DEL) env+=("CNI_CONTAINERID=$CID" "CNI_NETNS=$NETNS_PATH" "CNI_IFNAME=$IFNAME"
                             "CNI_PATH=$CNI_PLUGIN_DIR") ;;
        GC|STATUS) env+=("CNI_PATH=$CNI_PLUGIN_DIR") ;;
    esac
    cni_exec "$plugin" "$conf" "${env[@]}" "$@"
}

# ---------------------------------------------------------------------------------------------
# Effective spec version of the plugin directory
# ---------------------------------------------------------------------------------------------

# plugin_versions PLUGIN: prints the plugin's supportedVersions, one per line (empty on error).
plugin_versions() {
    local bin="$CNI_PLUGIN_DIR/$1"
    printf '{"cniVersion":"0.1.0"}' | env -i CNI_COMMAND=VERSION "$bin" 2>/dev/null \
        | jq -r '.supportedVersions[]?' 2>/dev/null
}

# plugin_supports PLUGIN VERSION: true if VERSION is in the plugin's supportedVersions.
plugin_supports() {
    plugin_versions "$1" | grep -qxF "$2"
}

# effective_spec_version PLUGIN: the highest version the plugin claims (sort -V).
effective_spec_version() {
    plugin_versions "$1" | sort -V | tail -n1
}

# require_spec VERSION PLUGIN: skip the test when the plugin does not support VERSION. Used for
# tests of 1.1.0 features (STATUS, GC); README.md lists them as expected to skip on the reference.
require_spec() {
    local want=$1 plugin=$2
    if ! plugin_supports "$plugin" "$want"; then
        skip "needs spec $want; $plugin in $CNI_PLUGIN_DIR supports up to $(effective_spec_version "$plugin")"
    fi
}

# is_reference_dir: true when the directory under test is the reference plugin directory.
is_reference_dir() {
    [[ "$(readlink -f "$CNI_PLUGIN_DIR")" == "$(readlink -f "$REFERENCE_PLUGIN_DIR")" ]]
}

# ---------------------------------------------------------------------------------------------
# Config builders
# ---------------------------------------------------------------------------------------------

V4_SUBNET=10.250.0.0/24
V6_SUBNET=fd00:5ca1:ab1e::/64
V4_RANGES='[[{"subnet":"10.250.0.0/24"}]]'
V6_RANGES='[[{"subnet":"fd00:5ca1:ab1e::/64"}]]'
DUAL_RANGES='[[{"subnet":"10.250.0.0/24"}],[{"subnet":"fd00:5ca1:ab1e::/64"}]]'

# hl_config CNIVERSION RANGES_JSON [EXTRA_IPAM_JSON [EXTRA_TOP_JSON]]
# A minimal network config with a host-local ipam block using $DATA_DIR.
hl_config() {
    local v=$1 ranges=$2 ipam_extra=${3:-} top_extra=${4:-}
    [[ -n "$ipam_extra" ]] || ipam_extra='{}'
    [[ -n "$top_extra" ]] || top_extra='{}'
    jq -cn --arg v "$v" --arg name "$NET_NAME" --arg dd "$DATA_DIR" \
        --argjson ranges "$ranges" --argjson ie "$ipam_extra" --argjson te "$top_extra" \
        '{cniVersion: $v, name: $name, type: "host-local",
          ipam: ({type: "host-local", dataDir: $dd, ranges: $ranges} + $ie)} + $te'
}

# lo_config CNIVERSION [EXTRA_TOP_JSON]
lo_config() {
    local extra=${2:-}
    [[ -n "$extra" ]] || extra='{}'
    jq -cn --arg v "$1" --argjson te "$extra" '{cniVersion: $v, name: "lo", type: "loopback"} + $te'
}

# conf_with_datadir FILE: the example config FILE with its ipam.dataDir pointed at $DATA_DIR.
conf_with_datadir() {
    jq -c --arg dd "$DATA_DIR" 'if .ipam then .ipam.dataDir = $dd else . end' "$1"
}

# net_dir: the host-local state directory of the test network.
net_dir() { echo "$DATA_DIR/$NET_NAME"; }

# ---------------------------------------------------------------------------------------------
# Assertions (print diagnostics to stderr, which bats shows for failed tests)
# ---------------------------------------------------------------------------------------------

_dump() {
    {
        echo "--- status: $status"
        echo "--- stdout:"; printf '%s\n' "$output"
        echo "--- stderr:"; printf '%s\n' "${stderr:-}"
    } >&2
}

fail() { echo "FAIL: $*" >&2; _dump; return 1; }

assert_success() {
    [[ "$status" -eq 0 ]] || fail "expected exit 0"
}

# assert_cni_error CODE: non-zero exit and a CNI error object with that code on stdout.
assert_cni_error() {
    local want=$1
    [[ "$status" -ne 0 ]] || fail "expected a non-zero exit (error code $want)" || return 1
    jq -e 'type == "object" and (.code | type == "number") and (.msg | type == "string" and length > 0)' \
        <<<"$output" >/dev/null 2>&1 || fail "stdout is not a CNI error object" || return 1
    local got; got=$(jq -r '.code' <<<"$output")
    [[ "$got" == "$want" ]] || fail "expected error code $want, got $got"
}

# assert_cni_error_any: non-zero exit and a well-formed CNI error object, any code.
assert_cni_error_any() {
    [[ "$status" -ne 0 ]] || fail "expected a non-zero exit" || return 1
    jq -e 'type == "object" and (.code | type == "number") and (.msg | type == "string" and length > 0)' \
        <<<"$output" >/dev/null 2>&1 || fail "stdout is not a CNI error object"
}

# assert_jq FILTER [JSON]: the jq FILTER is true for JSON (default: $output).
assert_jq() {
    local filter=$1 json=${2-$output}
    jq -e "$filter" <<<"$json" >/dev/null 2>&1 || {
        echo "jq filter failed: $filter" >&2
        echo "on: $json" >&2
        fail "jq assertion"
    }
}

# assert_equal GOT WANT [WHAT]
assert_equal() {
    [[ "$1" == "$2" ]] || fail "${3:-value}: got '$1', want '$2'"
}

# ---------------------------------------------------------------------------------------------
# Host state
# ---------------------------------------------------------------------------------------------

# netns_state NS: links, addresses and routes of NS as JSON (stable fields only).
netns_state() {
    local ns=$1
    {
        ip -n "$ns" -j link show | jq -c '[.[] | {ifname, flags, mtu, address}]'
        ip -n "$ns" -j addr show | jq -c '[.[] | {ifname, a: [.addr_info[]? | {family, local, prefixlen}]}]'
        ip -n "$ns" -j -4 route show table all | jq -c '[.[] | del(.expires)]'
        ip -n "$ns" -j -6 route show table all | jq -c '[.[] | del(.expires)]'
    } 2>&1
}

# snapshot_host: record the state of both test namespaces and the data dir.
snapshot_host() {
    SNAP_HOST="$(netns_state "$HOST_NS")"
    SNAP_POD="$(netns_state "$POD_NS")"
    SNAP_DATA="$(find "$DATA_DIR" 2>/dev/null | sort)"
}

# assert_host_unchanged: both namespaces and the data dir equal the last snapshot_host.
assert_host_unchanged() {
    local now
    now="$(netns_state "$HOST_NS")"
    [[ "$now" == "$SNAP_HOST" ]] || fail "host netns changed: before: $SNAP_HOST after: $now" || return 1
    now="$(netns_state "$POD_NS")"
    [[ "$now" == "$SNAP_POD" ]] || fail "pod netns changed: before: $SNAP_POD after: $now" || return 1
    now="$(find "$DATA_DIR" 2>/dev/null | sort)"
    [[ "$now" == "$SNAP_DATA" ]] || fail "data dir changed: before: [$SNAP_DATA] after: [$now]"
}

# assert_no_leases: the network's state dir holds no reservation files (only lock/last_reserved).
assert_no_leases() {
    local left
    left="$(find "$(net_dir)" -maxdepth 1 -type f ! -name lock ! -name 'last_reserved_ip.*' 2>/dev/null || true)"
    [[ -z "$left" ]] || fail "reservation files left: $left"
}

# lease_count: number of reservation files in the network's state dir.
lease_count() {
    find "$(net_dir)" -maxdepth 1 -type f ! -name lock ! -name 'last_reserved_ip.*' 2>/dev/null | wc -l
}

# assert_lease IP CONTAINERID IFNAME: the reservation file for IP holds exactly "<id>\r\n<ifname>".
assert_lease() {
    local file; file="$(net_dir)/$1"
    [[ -f "$file" ]] || fail "no reservation file $file (dir: $(ls -A "$(net_dir)" 2>&1 | tr '\n' ' '))" || return 1
    local got want
    got="$(od -An -c "$file" | tr -s ' \n' ' ')"
    want="$(printf '%s\r\n%s' "$2" "$3" | od -An -c | tr -s ' \n' ' ')"
    [[ "$got" == "$want" ]] || fail "reservation $1 holds [$got], want [$want]"
}

# lo_is_up NS: true if lo in NS has the UP flag.
lo_is_up() {
    ip -n "$1" -j link show lo | jq -e '.[0].flags | index("UP") != null' >/dev/null
}

# result_ip4 / result_ip6: the first v4 / v6 address (without prefix) in a ≥0.3.0 result ($output).
result_ip4() { jq -r '[.ips[]?.address | select(test(":") | not)][0] // empty | split("/")[0]' <<<"${1-$output}"; }
result_ip6() { jq -r '[.ips[]?.address | select(test(":"))][0] // empty | split("/")[0]' <<<"${1-$output}"; }

# ---------------------------------------------------------------------------------------------
# Bridge networks: extra namespaces, configs, conflists, connectivity and firewall state
# ---------------------------------------------------------------------------------------------

# The bridge used by bridge tests. It lives in the test's private HOST_NS, so a fixed name is safe.
BR_NAME=cnispec0
# A python3 that does not depend on the caller's PATH (used as a tiny TCP listener and client).
SPEC_PYTHON="$(command -v /usr/bin/python3 || command -v python3 || echo python3)"

# new_netns SUFFIX: creates the extra network namespace "$TEST_TAG-SUFFIX" (a second pod, say).
# Teardown deletes every namespace named "$TEST_TAG-…", even when it was created in a subshell.
# ns_name SUFFIX / ns_path SUFFIX: its name and its /run/netns path.
ns_name() { echo "$TEST_TAG-$1"; }
ns_path() { echo "/run/netns/$TEST_TAG-$1"; }
new_netns() {
    ip netns add "$TEST_TAG-$1"
}

# br_config CNIVERSION RANGES_JSON [EXTRA_TOP_JSON [EXTRA_IPAM_JSON]]
# A bridge network on $BR_NAME with isGateway and ipMasq and host-local IPAM in $DATA_DIR.
# EXTRA_TOP_JSON is merged last, so it can override any key (e.g. '{"ipam": {}}' for L2 only).
br_config() {
    local v=$1 ranges=$2 top_extra=${3:-} ipam_extra=${4:-}
    [[ -n "$ipam_extra" ]] || ipam_extra='{}'
    [[ -n "$top_extra" ]] || top_extra='{}'
    jq -cn --arg v "$v" --arg name "$NET_NAME" --arg br "$BR_NAME" --arg dd "$DATA_DIR" \
        --argjson ranges "$ranges" --argjson ie "$ipam_extra" --argjson te "$top_extra" \
        '{cniVersion: $v, name: $name, type: "bridge", bridge: $br, isGateway: true, ipMasq: true,
          ipam: ({type: "host-local", dataDir: $dd, ranges: $ranges} + $ie)} + $te'
}

# with_prev CONFIG RESULT: CONFIG with prevResult = RESULT (what a runtime sends to CHECK and DEL).
with_prev() {
    jq -c --argjson r "$2" '. + {prevResult: $r}' <<<"$1"
}

# conflist_with_datadir FILE: the example FILE (a conflist or a single config) with every
# ipam.dataDir pointed at $DATA_DIR.
conflist_with_datadir() {
    jq -c --arg dd "$DATA_DIR" '
        def dd: if (.ipam | type) == "object" and (.ipam.type // "") != "" then .ipam.dataDir = $dd else . end;
        if has("plugins") then .plugins |= map(dd) else dd end' "$1"
}

# as_conflist JSON: a single plugin config turned into a one-plugin conflist (a conflist unchanged).
as_conflist() {
    jq -c 'if has("plugins") then . else {cniVersion, name, plugins: [del(.cniVersion, .name)]} end' <<<"$1"
}

# run_conflist COMMAND CONFLIST PREV_RESULT [NAME=VALUE | -NAME]...   (PREV_RESULT "" for ADD)
# What a runtime (libcni) does with a network config list: every plugin gets the list's cniVersion
# and name. ADD runs the plugins in order, each with the previous plugin's result as prevResult;
# CHECK runs them in order and DEL in reverse order, each with PREV_RESULT (the cached ADD result) as
# prevResult when it is not empty. Only plugins whose binary exists in $CNI_PLUGIN_DIR run (so a conflist can
# name plugins not built yet, e.g. portmap); CONFLIST_SKIPPED lists the others. Stops at the first
# failure. Sets status/output/stderr as cni does; for ADD, output is the final result.
run_conflist() {
    local cmd=$1 list=$2 prev=$3; shift 3
    local n i type conf
    local -a idx=()
    n="$(jq '.plugins | length' <<<"$list")"
    if [[ "$cmd" == DEL ]]; then
        for ((i = n - 1; i >= 0; i--)); do idx+=("$i"); done
    else
        for ((i = 0; i < n; i++)); do idx+=("$i"); done
    fi
    CONFLIST_SKIPPED=()
    status=0 output="$prev" stderr=""
    for i in "${idx[@]}"; do
        type="$(jq -r --argjson i "$i" '.plugins[$i].type' <<<"$list")"
        if [[ ! -x "$CNI_PLUGIN_DIR/$type" ]]; then
            CONFLIST_SKIPPED+=("$type")
            continue
        fi
        conf="$(jq -c --argjson i "$i" --arg prev "$prev" \
            '.plugins[$i] + {cniVersion, name} + (if $prev == "" then {} else {prevResult: ($prev | fromjson)} end)' \
            <<<"$list")"
        cni "$type" "$cmd" "$conf" "$@"
        [[ "$status" -eq 0 ]] || return 0
        [[ "$cmd" == ADD ]] && prev="$output"
    done
    [[ "$cmd" == ADD ]] && output="$prev"
    return 0
}

# ns_ping NS ADDRESS: one echo reply from ADDRESS (v4 or v6) in NS, retrying for up to ~6 s (a fresh
# IPv6 gateway address may still be tentative). Prints ping's output on failure.
ns_ping() {
    local ns=$1 addr=$2 try out
    for try in 1 2 3 4 5 6 7 8 9 10 11 12; do
        out="$(ip netns exec "$ns" ping -n -c 1 -W 1 "$addr" 2>&1)" && return 0
        sleep 0.5
    done
    echo "no reply from $addr in netns $ns: $out" >&2
    return 1
}

# assert_ping NS ADDRESS: ns_ping or fail.
assert_ping() {
    ns_ping "$1" "$2" || fail "ping $2 from $1"
}

# result_gw4 / result_gw6: the gateway of the first v4 / v6 address of a ≥0.3.0 result.
result_gw4() { jq -r '[.ips[]? | select(.address | test(":") | not) | .gateway][0] // empty' <<<"${1-$output}"; }
result_gw6() { jq -r '[.ips[]? | select(.address | test(":")) | .gateway][0] // empty' <<<"${1-$output}"; }
# result_host_veth: the host veth's name in a bridge result (interfaces[1]).
result_host_veth() { jq -r '.interfaces[1].name // empty' <<<"${1-$output}"; }

# ns_addrs NS IFNAME: the global addresses of IFNAME in NS as "addr/prefix", sorted, one per line.
ns_addrs() {
    ip -n "$1" -j addr show dev "$2" scope global | jq -r '.[].addr_info[] | select(.local) | "\(.local)/\(.prefixlen)"' | sort
}

# host_veths: names of the veth links in HOST_NS, one per line.
host_veths() { ip -n "$HOST_NS" -j link show type veth | jq -r '.[].ifname'; }

# host_nat: the iptables and ip6tables nat tables of HOST_NS (iptables-save format).
host_nat() {
    ip netns exec "$HOST_NS" iptables-save -t nat 2>/dev/null
    ip netns exec "$HOST_NS" ip6tables-save -t nat 2>/dev/null
    return 0
}

# host_masq_chains: the CNI-… chains of both nat tables in HOST_NS, one per line (may repeat per family).
host_masq_chains() { host_nat | sed -n 's/^:\(CNI-[^ ]*\) .*/\1/p'; }

# host_masq_jumps: POSTROUTING rules jumping to a CNI-… chain, both families.
host_masq_jumps() { host_nat | grep -E '^-A POSTROUTING .*-j CNI-' || true; }

# nft_masq_rules: the rules of the reference nftables masquerade chain (inet cni_plugins_masquerade
# masq_checks) in HOST_NS as a JSON array ([] when the table does not exist).
nft_masq_rules() {
    local json
    json="$(ip netns exec "$HOST_NS" nft -j -a list table inet cni_plugins_masquerade 2>/dev/null)" || json='{"nftables":[]}'
    jq -c '[.nftables[] | select(.rule and .rule.chain == "masq_checks") | .rule]' <<<"$json"
}

# assert_no_masquerade: no CNI- chain or POSTROUTING jump (iptables, both families), no nft masquerade rule.
assert_no_masquerade() {
    local chains jumps nft
    chains="$(host_masq_chains)"; jumps="$(host_masq_jumps)"; nft="$(nft_masq_rules)"
    [[ -z "$chains" ]] || fail "masquerade chains left: $chains" || return 1
    [[ -z "$jumps" ]] || fail "POSTROUTING jumps left: $jumps" || return 1
    [[ "$nft" == "[]" ]] || fail "nft masquerade rules left: $nft"
}

# assert_no_veths: no veth left in HOST_NS (waits up to ~5 s: a deleted netns takes its veths down
# asynchronously).
assert_no_veths() {
    local left try
    for try in $(seq 1 25); do
        left="$(host_veths)"
        [[ -z "$left" ]] && return 0
        sleep 0.2
    done
    fail "veths left in the host netns: $(tr '\n' ' ' <<<"$left")"
}

# assert_nothing_left: no veth, no lease, no masquerade rule in the host.
assert_nothing_left() {
    assert_no_veths && assert_no_leases && assert_no_masquerade
}

# assert_check_failed: CHECK reported the failure: a CNI error object (spec), with code 104 (this
# suite's code for "CHECK found a difference"; the spec leaves 100+ to plugins).
assert_check_failed() {
    assert_cni_error_any || return 1
    assert_cni_error 104
}
