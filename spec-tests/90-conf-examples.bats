#!/usr/bin/env bats
# 90-conf-examples.bats: every example in conf/ is valid JSON (a plugin config or a config list) and is
# exercised by some spec-test.

load helpers

@test "every file in conf/ is valid JSON with cniVersion, name and either type or a non-empty plugins list" {
    local f n=0
    for f in "$CONF_DIR"/*; do
        [[ -f "$f" ]] || continue
        n=$((n + 1))
        jq -e '(.cniVersion | type == "string") and (.name | type == "string")
               and ((.type | type == "string")
                    or ((.plugins | type == "array") and (.plugins | length > 0)
                        and (.plugins | all(.type | type == "string"))))' \
            "$f" >/dev/null || fail "$f is neither a valid plugin config nor a valid config list"
    done
    [[ $n -gt 0 ]] || fail "no examples in $CONF_DIR"
}

@test "every file in conf/ is used by a spec-test" {
    local f base
    for f in "$CONF_DIR"/*; do
        [[ -f "$f" ]] || continue
        base="$(basename "$f")"
        grep -lF "\$CONF_DIR/$base" "$SPEC_TESTS_DIR"/[0-8]*.bats >/dev/null \
            || fail "conf/$base is not exercised by any spec-test"
    done
}
