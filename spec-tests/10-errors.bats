#!/usr/bin/env bats
# 10-errors.bats: every class of bad input gives its CNI error code and leaves the host unchanged.

load helpers

PLUGINS=(host-local loopback)

# good_conf PLUGIN CNIVERSION: a valid config for PLUGIN (host-local: v4 range in $DATA_DIR).
good_conf() {
    case "$1" in
        host-local) hl_config "$2" "$V4_RANGES" ;;
        loopback) lo_config "$2" ;;
    esac
}

# expect_error CODE PLUGIN COMMAND CONFIG [env overrides...]: run, expect CODE, host unchanged.
expect_error() {
    local code=$1 plugin=$2 cmd=$3 conf=$4; shift 4
    snapshot_host
    cni "$plugin" "$cmd" "$conf" "$@"
    assert_cni_error "$code" || { echo "($plugin $cmd $*)" >&2; return 1; }
    assert_host_unchanged || { echo "($plugin $cmd $*)" >&2; return 1; }
}

@test "bad JSON on stdin is error 6" {
    for p in "${PLUGINS[@]}"; do
        expect_error 6 "$p" ADD 'this is not json'
        expect_error 6 "$p" ADD '{"cniVersion": "1.0.0", "name": '
        expect_error 6 "$p" DEL '{{'
        expect_error 6 "$p" CHECK ''
    done
}

@test "missing CNI_IFNAME or (for ADD, CHECK) CNI_NETNS is error 4" {
    for p in "${PLUGINS[@]}"; do
        local conf; conf="$(good_conf "$p" 1.0.0)"
        expect_error 4 "$p" ADD "$conf" -CNI_IFNAME
        expect_error 4 "$p" ADD "$conf" -CNI_NETNS
        expect_error 4 "$p" CHECK "$conf" -CNI_NETNS
        expect_error 4 "$p" CHECK "$conf" -CNI_IFNAME
        expect_error 4 "$p" DEL "$conf" -CNI_IFNAME
    done
}

@test "unset CNI_CONTAINERID is error 4 (a missing env var, as in the reference)" {
    for p in "${PLUGINS[@]}"; do
        local conf; conf="$(good_conf "$p" 1.0.0)"
        expect_error 4 "$p" ADD "$conf" -CNI_CONTAINERID
        expect_error 4 "$p" DEL "$conf" -CNI_CONTAINERID
    done
}

@test "empty CNI_CONTAINERID is error 3 (reference 1.1.1 says 4)" {
    for p in "${PLUGINS[@]}"; do
        local conf; conf="$(good_conf "$p" 1.0.0)"
        expect_error 3 "$p" ADD "$conf" CNI_CONTAINERID=
        expect_error 3 "$p" DEL "$conf" CNI_CONTAINERID=
    done
}

@test "CNI_CONTAINERID with invalid characters is error 4" {
    for p in "${PLUGINS[@]}"; do
        local conf; conf="$(good_conf "$p" 1.0.0)"
        for id in 'a/b' '../etc' '-abc' '.abc' 'a b' 'a;b' 'ab:c' 'a*'; do
            expect_error 4 "$p" ADD "$conf" "CNI_CONTAINERID=$id"
        done
    done
}

@test "bad CNI_IFNAME (too long, '/', ':', whitespace, '.', '..', empty) is error 4" {
    for p in "${PLUGINS[@]}"; do
        local conf; conf="$(good_conf "$p" 1.0.0)"
        for ifn in 0123456789abcdef 'eth/0' 'eth:0' 'eth 0' '.' '..' ''; do
            expect_error 4 "$p" ADD "$conf" "CNI_IFNAME=$ifn"
        done
        # 15 characters is the longest valid name: not an env error.
        if [[ "$p" == host-local ]]; then
            cni "$p" ADD "$conf" CNI_IFNAME=0123456789abcde
            assert_success
        fi
    done
}

@test "unsupported cniVersion is error 1 naming the version" {
    for p in "${PLUGINS[@]}"; do
        for v in 9.9.9 0.5.0 2.0.0 1.0; do
            expect_error 1 "$p" ADD "$(good_conf "$p" "$v")"
            grep -qF "$v" <<<"$output" || fail "error does not name the config version $v"
        done
    done
}

@test "bad or missing network name is error 7" {
    for p in "${PLUGINS[@]}"; do
        local base; base="$(good_conf "$p" 1.0.0)"
        for name in 'n/../x' '../x' '-x' '.x' 'a b' 'a/b'; do
            expect_error 7 "$p" ADD "$(jq -c --arg n "$name" '.name = $n' <<<"$base")"
        done
        expect_error 7 "$p" ADD "$(jq -c '.name = ""' <<<"$base")"
        expect_error 7 "$p" ADD "$(jq -c 'del(.name)' <<<"$base")"
    done
}

@test "CHECK with a config version below 0.4.0 is error 1" {
    for p in "${PLUGINS[@]}"; do
        for v in 0.1.0 0.2.0 0.3.0 0.3.1; do
            expect_error 1 "$p" CHECK "$(good_conf "$p" "$v")"
        done
    done
}

@test "GC with a config version below 1.1.0 is error 1 (needs spec 1.1.0)" {
    for p in "${PLUGINS[@]}"; do
        require_spec 1.1.0 "$p"
        for v in 0.4.0 1.0.0; do
            local conf
            conf="$(good_conf "$p" "$v" | jq -c '. + {"cni.dev/valid-attachments": []}')"
            expect_error 1 "$p" GC "$conf"
        done
    done
}

@test "STATUS with a config version below 1.1.0 is error 1 (needs spec 1.1.0)" {
    for p in "${PLUGINS[@]}"; do
        require_spec 1.1.0 "$p"
        for v in 0.3.1 1.0.0; do
            expect_error 1 "$p" STATUS "$(good_conf "$p" "$v")"
        done
    done
}

@test "loopback ADD and CHECK with a CNI_NETNS that is a regular file fail, host unchanged" {
    local conf; conf="$(lo_config 1.0.0)"
    local notns="$WORK_DIR/not-a-netns"
    echo "plain file" >"$notns"
    for cmd in ADD CHECK; do
        snapshot_host
        cni loopback "$cmd" "$conf" "CNI_NETNS=$notns"
        assert_cni_error_any
        assert_host_unchanged
        grep -qF "plain file" "$notns" || fail "the file was changed"
    done
    lo_is_up "$POD_NS" && fail "lo in the pod netns came up" || true
}

@test "loopback ADD with a CNI_NETNS that does not exist fails, host unchanged" {
    snapshot_host
    cni loopback ADD "$(lo_config 1.0.0)" "CNI_NETNS=/run/netns/${TEST_TAG}-missing"
    assert_cni_error_any
    assert_host_unchanged
    [[ ! -e "/run/netns/${TEST_TAG}-missing" ]] || fail "a netns file was created"
}

@test "host-local: invalid ipam configs fail without creating state" {
    local bad
    for bad in '[[{"subnet":"10.250.0.0/32"}]]' '[[{"subnet":"10.250.0.0/31"}]]' \
               '[[{"subnet":"fd00::/127"}]]' '[[{"subnet":"fd00::/128"}]]' \
               '[[{"subnet":"10.250.0.0/24"},{"subnet":"10.250.0.128/25"}]]' \
               '[[{"subnet":"10.250.0.0/24"}],[{"subnet":"10.250.0.0/16"}]]' \
               '[[{"subnet":"10.250.0.0/24"},{"subnet":"fd00::/64"}]]' \
               '[[{"subnet":"not-a-subnet"}]]' \
               '[[{"subnet":"10.250.0.0/24","rangeStart":"10.251.0.5"}]]'; do
        snapshot_host
        cni host-local ADD "$(hl_config 1.0.0 "$bad")"
        assert_cni_error_any || { echo "ranges: $bad" >&2; return 1; }
        assert_host_unchanged || { echo "ranges: $bad" >&2; return 1; }
    done
}
