#!/usr/bin/env bats
# 00-version.bats: VERSION of every binary, the "about" text, unknown commands.

load helpers

PLUGINS=(host-local loopback)

@test "every plugin binary exists and is executable" {
    for p in "${PLUGINS[@]}"; do
        [[ -x "$CNI_PLUGIN_DIR/$p" ]] || fail "$CNI_PLUGIN_DIR/$p is not an executable"
    done
}

@test "VERSION: host-local and loopback print a version object on stdout, exit 0" {
    for p in "${PLUGINS[@]}"; do
        cni_exec "$p" '{"cniVersion":"0.3.1"}' CNI_COMMAND=VERSION
        assert_success
        assert_jq '(.cniVersion | type == "string") and (.supportedVersions | type == "array" and length > 0)'
        assert_jq '.supportedVersions | all(type == "string" and test("^[0-9]+\\.[0-9]+\\.[0-9]+$"))'
    done
}

@test "VERSION: every plugin supports 0.1.0 through 1.0.0" {
    for p in "${PLUGINS[@]}"; do
        cni_exec "$p" '{"cniVersion":"1.0.0"}' CNI_COMMAND=VERSION
        assert_success
        for v in 0.1.0 0.2.0 0.3.0 0.3.1 0.4.0 1.0.0; do
            jq -e --arg v "$v" '.supportedVersions | index($v) != null' <<<"$output" >/dev/null \
                || fail "$p does not list $v"
        done
    done
}

@test "VERSION: every plugin supports spec 1.1.0 (expected to fail on Debian's reference 1.1.1)" {
    for p in "${PLUGINS[@]}"; do
        cni_exec "$p" '{"cniVersion":"1.1.0"}' CNI_COMMAND=VERSION
        assert_success
        jq -e '.supportedVersions | index("1.1.0") != null' <<<"$output" >/dev/null \
            || fail "$p does not list 1.1.0"
    done
}

@test "VERSION: works with no other CNI_* variable and with libcni's dummy values" {
    for p in "${PLUGINS[@]}"; do
        cni_exec "$p" '{"cniVersion":"0.4.0"}' CNI_COMMAND=VERSION
        assert_success
        assert_jq '.supportedVersions | length > 0'
        cni_exec "$p" '{"cniVersion":"0.4.0"}' CNI_COMMAND=VERSION CNI_NETNS=dummy CNI_IFNAME=dummy \
            CNI_PATH=dummy CNI_CONTAINERID= CNI_ARGS=
        assert_success
        assert_jq '.supportedVersions | length > 0'
    done
}

@test "VERSION: the result's cniVersion is one the plugin supports" {
    for p in "${PLUGINS[@]}"; do
        cni_exec "$p" '{"cniVersion":"0.2.0"}' CNI_COMMAND=VERSION
        assert_success
        assert_jq '.cniVersion as $v | .supportedVersions | index($v) != null'
    done
}

@test "no CNI_COMMAND: about text with the supported versions on stderr, nothing on stdout, exit 0" {
    for p in "${PLUGINS[@]}"; do
        cni_exec "$p" ''
        assert_success
        assert_equal "$output" "" "stdout of $p without CNI_COMMAND"
        [[ -n "$stderr" ]] || fail "$p printed no about text on stderr"
        for v in $(plugin_versions "$p"); do
            grep -qF "$v" <<<"$stderr" || fail "$p about text does not mention version $v"
        done
    done
}

@test "unknown CNI_COMMAND is error 4" {
    for p in "${PLUGINS[@]}"; do
        cni_exec "$p" '{"cniVersion":"1.0.0","name":"n","type":"x"}' CNI_COMMAND=BOGUS \
            CNI_CONTAINERID=c1 CNI_NETNS="$NETNS_PATH" CNI_IFNAME=eth0 CNI_PATH="$CNI_PLUGIN_DIR"
        assert_cni_error 4
    done
}
