#!/usr/bin/env bats
# 20-host-local.bats: host-local ADD/CHECK/DEL/GC/STATUS, result shapes, requested IPs, exhaustion,
# concurrency and the on-disk format.

load helpers

# add_ok CONFIG [env...]: ADD must succeed; leaves the result in $output.
add_ok() {
    cni host-local ADD "$@"
    assert_success
}

@test "ADD IPv4 (1.0.0): one address from the range, gateway .1, no ips[].version, no interfaces" {
    add_ok "$(hl_config 1.0.0 "$V4_RANGES")"
    assert_jq '.cniVersion == "1.0.0"'
    assert_jq '(.ips | length) == 1'
    assert_jq '.ips[0].address == "10.250.0.2/24" and .ips[0].gateway == "10.250.0.1"'
    assert_jq '(.ips[0] | has("version") | not) and (.ips[0] | has("interface") | not)'
    assert_jq 'has("interfaces") | not'
    assert_lease 10.250.0.2 "$CID" "$IFNAME"
}

@test "ADD IPv6 (1.0.0): address ::2/64 with gateway ::1" {
    add_ok "$(hl_config 1.0.0 "$V6_RANGES")"
    assert_jq '(.ips | length) == 1'
    assert_jq '.ips[0].address == "fd00:5ca1:ab1e::2/64" and .ips[0].gateway == "fd00:5ca1:ab1e::1"'
    assert_lease fd00:5ca1:ab1e::2 "$CID" "$IFNAME"
}

@test "ADD dual stack (1.0.0): one address per range set, in range-set order" {
    add_ok "$(hl_config 1.0.0 "$DUAL_RANGES")"
    assert_jq '(.ips | length) == 2'
    assert_jq '.ips[0].address == "10.250.0.2/24" and .ips[1].address == "fd00:5ca1:ab1e::2/64"'
    assert_lease 10.250.0.2 "$CID" "$IFNAME"
    assert_lease fd00:5ca1:ab1e::2 "$CID" "$IFNAME"
    assert_equal "$(cat "$(net_dir)/last_reserved_ip.0")" 10.250.0.2 last_reserved_ip.0
    assert_equal "$(cat "$(net_dir)/last_reserved_ip.1")" fd00:5ca1:ab1e::2 last_reserved_ip.1
}

@test "ADD result shape for 0.3.0, 0.3.1 and 0.4.0: ips[].version" {
    local v i=0
    for v in 0.3.0 0.3.1 0.4.0; do
        i=$((i + 1))
        add_ok "$(hl_config "$v" "$DUAL_RANGES")" "CNI_CONTAINERID=c$i"
        jq -e --arg v "$v" '.cniVersion == $v' <<<"$output" >/dev/null || fail "cniVersion is not $v"
        assert_jq '(.ips | length) == 2 and .ips[0].version == "4" and .ips[1].version == "6"'
        assert_jq '(.ips[0].address | endswith("/24")) and (.ips[1].address | endswith("/64"))'
        assert_jq 'has("ip4") | not'
    done
}

@test "ADD result shape for 0.1.0 and 0.2.0: ip4 and ip6 objects" {
    local v i=0
    for v in 0.1.0 0.2.0; do
        i=$((i + 1))
        add_ok "$(hl_config "$v" "$DUAL_RANGES" '{"routes":[{"dst":"0.0.0.0/0"},{"dst":"::/0"}]}')" "CNI_CONTAINERID=c$i"
        jq -e --arg v "$v" '.cniVersion == $v' <<<"$output" >/dev/null || fail "cniVersion is not $v"
        assert_jq 'has("ips") | not'
        assert_jq '.ip4.ip == "10.250.0.\(1 + '"$i"')/24" and .ip4.gateway == "10.250.0.1"'
        assert_jq '.ip6.ip == "fd00:5ca1:ab1e::\(1 + '"$i"')/64" and .ip6.gateway == "fd00:5ca1:ab1e::1"'
        assert_jq '[.ip4.routes[]?.dst] == ["0.0.0.0/0"] and [.ip6.routes[]?.dst] == ["::/0"]'
    done
}

@test "ADD result shape for 1.1.0 (needs spec 1.1.0)" {
    require_spec 1.1.0 host-local
    add_ok "$(hl_config 1.1.0 "$DUAL_RANGES")"
    assert_jq '.cniVersion == "1.1.0" and (.ips | length) == 2 and (.ips | all(has("version") | not))'
}

@test "0.1.0/0.2.0 cannot express two IPv4 addresses: error, nothing allocated" {
    local v
    for v in 0.1.0 0.2.0; do
        snapshot_host
        cni host-local ADD "$(hl_config "$v" '[[{"subnet":"10.250.0.0/24"}],[{"subnet":"10.251.0.0/24"}]]')"
        assert_cni_error_any
        assert_host_unchanged
    done
}

@test "runtimeConfig.ipRanges is prepended to ranges; the leftover capabilities key is tolerated" {
    local conf
    conf="$(hl_config 1.0.0 "$V6_RANGES" '' '{"capabilities":{"ipRanges":true},"runtimeConfig":{"ipRanges":[[{"subnet":"10.252.0.0/24"}]]}}')"
    add_ok "$conf"
    assert_jq '[.ips[].address] == ["10.252.0.2/24","fd00:5ca1:ab1e::2/64"]'
    local prev=$output
    cni host-local CHECK "$(jq -c --argjson p "$prev" '. + {prevResult: $p}' <<<"$conf")"
    assert_success
    cni host-local DEL "$(jq -c --argjson p "$prev" '. + {prevResult: $p}' <<<"$conf")"
    assert_success
    assert_no_leases
}

@test "CHECK and DEL accept a prevResult in an older version or without cniVersion" {
    local conf; conf="$(hl_config 1.0.0 "$V4_RANGES")"
    add_ok "$conf"
    cni host-local CHECK "$(jq -c '. + {prevResult: {ips: [{address: "10.250.0.2/24", gateway: "10.250.0.1"}]}}' <<<"$conf")"
    assert_success
    cni host-local CHECK "$(jq -c '. + {prevResult: {cniVersion: "0.4.0", ips: [{version: "4", address: "10.250.0.2/24"}]}}' <<<"$conf")"
    assert_success
    cni host-local DEL "$(jq -c '.cniVersion = "0.4.0" | . + {prevResult: {cniVersion: "0.2.0", ip4: {ip: "10.250.0.2/24"}}}' <<<"$conf")"
    assert_success
    assert_no_leases
}

@test "ADD passes routes through and reads resolvConf into dns" {
    printf 'nameserver 192.0.2.53\nnameserver 2001:db8::53\ndomain example.test\nsearch a.test b.test\noptions ndots:2\n' \
        >"$WORK_DIR/resolv.conf"
    local routes='[{"dst":"0.0.0.0/0"},{"dst":"192.0.2.0/24","gw":"10.250.0.254"}]'
    add_ok "$(hl_config 1.0.0 "$V4_RANGES" "{\"routes\":$routes,\"resolvConf\":\"$WORK_DIR/resolv.conf\"}")"
    assert_jq '[.routes[] | {dst, gw}] == [{"dst":"0.0.0.0/0","gw":null},{"dst":"192.0.2.0/24","gw":"10.250.0.254"}]'
    assert_jq '.dns.nameservers == ["192.0.2.53","2001:db8::53"] and .dns.domain == "example.test"'
    assert_jq '.dns.search == ["a.test","b.test"] and .dns.options == ["ndots:2"]'
}

@test "legacy top-level subnet/rangeStart/rangeEnd/gateway keys" {
    local conf
    conf="$(jq -cn --arg dd "$DATA_DIR" --arg n "$NET_NAME" '{cniVersion:"1.0.0",name:$n,type:"host-local",
        ipam:{type:"host-local",dataDir:$dd,subnet:"10.250.7.0/24",rangeStart:"10.250.7.100",
              rangeEnd:"10.250.7.101",gateway:"10.250.7.254"}}')"
    add_ok "$conf" CNI_CONTAINERID=a
    assert_jq '.ips[0].address == "10.250.7.100/24" and .ips[0].gateway == "10.250.7.254"'
    add_ok "$conf" CNI_CONTAINERID=b
    assert_jq '.ips[0].address == "10.250.7.101/24"'
    cni host-local ADD "$conf" CNI_CONTAINERID=c
    assert_cni_error_any
}

@test "on-disk format: file named by IP holding '<id>\\r\\n<ifname>', last_reserved_ip.0, lock" {
    add_ok "$(hl_config 1.0.0 "$V4_RANGES")" CNI_IFNAME=net1
    local d; d="$(net_dir)"
    [[ -d "$d" ]] || fail "no state dir $d"
    assert_lease 10.250.0.2 "$CID" net1
    assert_equal "$(cat "$d/last_reserved_ip.0")" 10.250.0.2 "last_reserved_ip.0"
    [[ -e "$d/lock" ]] || fail "no lock file"
    # Nothing else: reservation, last_reserved_ip.0, lock.
    assert_equal "$(ls -A "$d" | sort | tr '\n' ' ')" "10.250.0.2 last_reserved_ip.0 lock " "state dir contents"
}

@test "legacy lease file holding only the container ID (older reference) is seen by CHECK and released by DEL" {
    local conf; conf="$(hl_config 1.0.0 "$V4_RANGES")"
    mkdir -p "$(net_dir)"
    printf '%s' "$CID" >"$(net_dir)/10.250.0.9"
    cni host-local CHECK "$conf"
    assert_success
    cni host-local ADD "$conf" CNI_CONTAINERID=other CNI_ARGS=IP=10.250.0.9
    assert_cni_error_any
    cni host-local DEL "$conf"
    assert_success
    [[ ! -e "$(net_dir)/10.250.0.9" ]] || fail "legacy lease not released"
}

@test "on-disk modes: reservation files 0600 (reference 1.1.1 writes 0644)" {
    add_ok "$(hl_config 1.0.0 "$V4_RANGES")"
    assert_equal "$(stat -c %a "$(net_dir)/10.250.0.2")" 600 "mode of the reservation file"
}

@test "on-disk modes: state directories 0700 (reference 1.1.1 creates 0755)" {
    add_ok "$(hl_config 1.0.0 "$V4_RANGES")"
    assert_equal "$(stat -c %a "$(net_dir)")" 700 "mode of the network's state directory"
}

@test "CHECK: succeeds for the owner, fails for another container and after DEL" {
    local conf; conf="$(hl_config 1.0.0 "$DUAL_RANGES")"
    add_ok "$conf"
    cni host-local CHECK "$conf"
    assert_success
    cni host-local CHECK "$conf" CNI_CONTAINERID=someone-else
    assert_cni_error_any
    cni host-local CHECK "$conf" CNI_IFNAME=eth9
    assert_cni_error_any
    cni host-local DEL "$conf"
    assert_success
    cni host-local CHECK "$conf"
    assert_cni_error_any
}

@test "DEL releases the reservations; repeated DEL, DEL without ADD, DEL without CNI_NETNS succeed" {
    local conf; conf="$(hl_config 1.0.0 "$DUAL_RANGES")"
    add_ok "$conf"
    assert_equal "$(lease_count)" 2 "leases after ADD"
    cni host-local DEL "$conf"
    assert_success
    assert_equal "$output" "" "DEL stdout"
    assert_no_leases
    cni host-local DEL "$conf"
    assert_success
    cni host-local DEL "$conf" CNI_CONTAINERID=never-added
    assert_success
    add_ok "$conf"
    cni host-local DEL "$conf" -CNI_NETNS
    assert_success
    assert_no_leases
}

@test "DEL releases only the (container ID, ifname) pair it names" {
    local conf; conf="$(hl_config 1.0.0 "$V4_RANGES")"
    add_ok "$conf" CNI_IFNAME=eth0
    add_ok "$conf" CNI_IFNAME=eth1
    add_ok "$conf" CNI_CONTAINERID=other CNI_IFNAME=eth0
    cni host-local DEL "$conf" CNI_IFNAME=eth0
    assert_success
    [[ ! -e "$(net_dir)/10.250.0.2" ]] || fail "eth0's lease was not released"
    assert_lease 10.250.0.3 "$CID" eth1
    assert_lease 10.250.0.4 other eth0
}

@test "ADD twice for the same (container ID, ifname) is an error and allocates nothing" {
    local conf; conf="$(hl_config 1.0.0 "$V4_RANGES")"
    add_ok "$conf"
    cni host-local ADD "$conf"
    assert_cni_error_any
    assert_equal "$(lease_count)" 1 "lease count"
}

@test "allocation is round-robin from last_reserved_ip and never hands out the gateway" {
    local conf
    conf="$(hl_config 1.0.0 '[[{"subnet":"10.250.0.0/29","gateway":"10.250.0.3"}]]')"
    add_ok "$conf" CNI_CONTAINERID=a
    assert_jq '.ips[0].address == "10.250.0.1/29" and .ips[0].gateway == "10.250.0.3"'
    add_ok "$conf" CNI_CONTAINERID=b
    assert_jq '.ips[0].address == "10.250.0.2/29"'
    add_ok "$conf" CNI_CONTAINERID=c
    assert_jq '.ips[0].address == "10.250.0.4/29"'
    cni host-local DEL "$conf" CNI_CONTAINERID=a
    assert_success
    add_ok "$conf" CNI_CONTAINERID=d
    assert_jq '.ips[0].address == "10.250.0.5/29"'
}

@test "exhaustion: a /29 has 5 addresses besides the gateway; the 6th ADD fails, DEL frees one" {
    local conf; conf="$(hl_config 1.0.0 '[[{"subnet":"10.250.0.0/29"}]]')"
    local i
    for i in 1 2 3 4 5; do
        add_ok "$conf" "CNI_CONTAINERID=c$i"
    done
    snapshot_host
    cni host-local ADD "$conf" CNI_CONTAINERID=c6
    assert_cni_error_any
    echo "exhaustion error: $output" >&2
    assert_host_unchanged
    cni host-local DEL "$conf" CNI_CONTAINERID=c3
    assert_success
    add_ok "$conf" CNI_CONTAINERID=c6
    assert_jq '.ips[0].address == "10.250.0.4/29"'
}

@test "exhaustion of one family in dual stack fails the ADD and keeps no partial lease" {
    local conf
    conf="$(hl_config 1.0.0 '[[{"subnet":"10.250.0.0/24"}],[{"subnet":"fd00:5ca1:ab1e::/64","rangeStart":"fd00:5ca1:ab1e::10","rangeEnd":"fd00:5ca1:ab1e::10"}]]')"
    add_ok "$conf" CNI_CONTAINERID=a
    cni host-local ADD "$conf" CNI_CONTAINERID=b
    assert_cni_error_any
    assert_equal "$(lease_count)" 2 "lease count (only a's two leases)"
}

@test "requested IP through runtimeConfig.ips" {
    add_ok "$(hl_config 1.0.0 "$DUAL_RANGES" '' '{"runtimeConfig":{"ips":["10.250.0.42/24","fd00:5ca1:ab1e::42/64"]}}')"
    assert_jq '[.ips[].address] == ["10.250.0.42/24","fd00:5ca1:ab1e::42/64"]'
    assert_lease 10.250.0.42 "$CID" "$IFNAME"
    assert_lease fd00:5ca1:ab1e::42 "$CID" "$IFNAME"
}

@test "requested IP through args.cni.ips" {
    add_ok "$(hl_config 1.0.0 "$V4_RANGES" '' '{"args":{"cni":{"ips":["10.250.0.43"]}}}')"
    assert_jq '[.ips[].address] == ["10.250.0.43/24"]'
    assert_lease 10.250.0.43 "$CID" "$IFNAME"
}

@test "requested IP through CNI_ARGS IP= (with IgnoreUnknown and K8S_ keys)" {
    local conf; conf="$(hl_config 1.0.0 "$V4_RANGES")"
    add_ok "$conf" CNI_ARGS=IP=10.250.0.44
    assert_jq '[.ips[].address] == ["10.250.0.44/24"]'
    add_ok "$conf" CNI_CONTAINERID=k8s \
        "CNI_ARGS=IgnoreUnknown=1;K8S_POD_NAMESPACE=ns;K8S_POD_NAME=pod;K8S_POD_INFRA_CONTAINER_ID=k8s;IP=10.250.0.45"
    assert_jq '[.ips[].address] == ["10.250.0.45/24"]'
    assert_lease 10.250.0.45 k8s "$IFNAME"
}

@test "CNI_ARGS with an unknown key and no IgnoreUnknown fails without a lease" {
    snapshot_host
    cni host-local ADD "$(hl_config 1.0.0 "$V4_RANGES")" "CNI_ARGS=FOO=bar"
    assert_cni_error_any
    assert_host_unchanged
}

@test "requested IP: taken, outside every range, or the gateway fails without a lease" {
    local conf; conf="$(hl_config 1.0.0 "$V4_RANGES")"
    add_ok "$conf" CNI_CONTAINERID=a CNI_ARGS=IP=10.250.0.50
    local ip
    for ip in 10.250.0.50 10.99.0.5 10.250.0.1; do
        cni host-local ADD "$conf" CNI_CONTAINERID=b "CNI_ARGS=IP=$ip"
        assert_cni_error_any || { echo "requested $ip" >&2; return 1; }
    done
    assert_equal "$(lease_count)" 1 "lease count"
}

@test "requested IPs: two in one range set cannot both be satisfied; nothing is kept" {
    cni host-local ADD "$(hl_config 1.0.0 "$DUAL_RANGES" '' '{"runtimeConfig":{"ips":["10.250.0.60","10.250.0.61"]}}')"
    assert_cni_error_any
    assert_no_leases
}

@test "32 parallel ADDs get 32 distinct addresses" {
    local conf; conf="$(hl_config 1.0.0 "$DUAL_RANGES")"
    local i
    mkdir -p "$WORK_DIR/par"
    for i in $(seq 1 32); do
        (
            cni host-local ADD "$conf" "CNI_CONTAINERID=par$i"
            printf '%s' "$output" >"$WORK_DIR/par/$i.out"
            echo "$status" >"$WORK_DIR/par/$i.rc"
        ) &
    done
    wait
    for i in $(seq 1 32); do
        assert_equal "$(cat "$WORK_DIR/par/$i.rc")" 0 "exit of ADD $i ($(cat "$WORK_DIR/par/$i.out"))"
    done
    local v4 v6
    v4="$(cat "$WORK_DIR"/par/*.out | jq -r '.ips[0].address' | sort -u | wc -l)"
    v6="$(cat "$WORK_DIR"/par/*.out | jq -r '.ips[1].address' | sort -u | wc -l)"
    assert_equal "$v4" 32 "distinct IPv4 addresses"
    assert_equal "$v6" 32 "distinct IPv6 addresses"
    assert_equal "$(lease_count)" 64 "reservation files"
    for i in $(seq 1 32); do
        local ip; ip="$(jq -r '.ips[0].address | split("/")[0]' "$WORK_DIR/par/$i.out")"
        assert_lease "$ip" "par$i" "$IFNAME"
    done
}

@test "parallel DELs release everything" {
    local conf; conf="$(hl_config 1.0.0 "$V4_RANGES")"
    local i
    for i in $(seq 1 16); do add_ok "$conf" "CNI_CONTAINERID=p$i"; done
    for i in $(seq 1 16); do
        ( cni host-local DEL "$conf" "CNI_CONTAINERID=p$i"; echo "$status" >"$WORK_DIR/del$i.rc" ) &
    done
    wait
    for i in $(seq 1 16); do assert_equal "$(cat "$WORK_DIR/del$i.rc")" 0 "exit of DEL $i"; done
    assert_no_leases
}

@test "GC removes reservations not in cni.dev/valid-attachments (needs spec 1.1.0)" {
    require_spec 1.1.0 host-local
    local conf; conf="$(hl_config 1.1.0 "$DUAL_RANGES")"
    add_ok "$conf" CNI_CONTAINERID=keep
    add_ok "$conf" CNI_CONTAINERID=keep CNI_IFNAME=eth1
    add_ok "$conf" CNI_CONTAINERID=stale
    add_ok "$conf" CNI_CONTAINERID=keep2 CNI_IFNAME=net0
    assert_equal "$(lease_count)" 8 "leases before GC"
    cni host-local GC "$(jq -c '. + {"cni.dev/valid-attachments":[{"containerID":"keep","ifname":"eth0"},{"containerID":"keep2","ifname":"net0"}]}' <<<"$conf")"
    assert_success
    assert_equal "$(lease_count)" 4 "leases after GC"
    assert_lease 10.250.0.2 keep eth0
    assert_lease 10.250.0.5 keep2 net0
    cni host-local CHECK "$conf" CNI_CONTAINERID=stale
    assert_cni_error_any
}

@test "GC accepts the older cni.dev/attachments key (needs spec 1.1.0)" {
    require_spec 1.1.0 host-local
    local conf; conf="$(hl_config 1.1.0 "$V4_RANGES")"
    add_ok "$conf" CNI_CONTAINERID=keep
    add_ok "$conf" CNI_CONTAINERID=stale
    cni host-local GC "$(jq -c '. + {"cni.dev/attachments":[{"containerID":"keep","ifname":"eth0"}]}' <<<"$conf")"
    assert_success
    assert_equal "$(lease_count)" 1 "leases after GC"
    assert_lease 10.250.0.2 keep eth0
}

@test "GC with an empty valid list removes every reservation and keeps the network usable (needs spec 1.1.0)" {
    require_spec 1.1.0 host-local
    local conf; conf="$(hl_config 1.1.0 "$V4_RANGES")"
    add_ok "$conf" CNI_CONTAINERID=a
    add_ok "$conf" CNI_CONTAINERID=b
    cni host-local GC "$(jq -c '. + {"cni.dev/valid-attachments":[]}' <<<"$conf")"
    assert_success
    assert_no_leases
    add_ok "$conf" CNI_CONTAINERID=c
}

@test "STATUS succeeds on a usable network (needs spec 1.1.0)" {
    require_spec 1.1.0 host-local
    local conf; conf="$(hl_config 1.1.0 "$DUAL_RANGES")"
    cni host-local STATUS "$conf"
    assert_success
    add_ok "$conf"
    cni host-local STATUS "$conf"
    assert_success
}

@test "STATUS needs no CNI_PATH and no container variables (needs spec 1.1.0)" {
    require_spec 1.1.0 host-local
    cni_exec host-local "$(hl_config 1.1.0 "$V4_RANGES")" CNI_COMMAND=STATUS
    assert_success
}

@test "STATUS is error 50 when every address of a range set is taken (needs spec 1.1.0)" {
    require_spec 1.1.0 host-local
    local conf; conf="$(hl_config 1.1.0 '[[{"subnet":"10.250.0.0/24"}],[{"subnet":"10.251.0.0/24","rangeStart":"10.251.0.10","rangeEnd":"10.251.0.11"}]]')"
    add_ok "$conf" CNI_CONTAINERID=a
    cni host-local STATUS "$conf"
    assert_success
    add_ok "$conf" CNI_CONTAINERID=b
    cni host-local STATUS "$conf"
    assert_cni_error 50
    cni host-local DEL "$conf" CNI_CONTAINERID=a
    cni host-local STATUS "$conf"
    assert_success
}

@test "STATUS is error 50 when the data dir is unusable (needs spec 1.1.0)" {
    require_spec 1.1.0 host-local
    echo "not a directory" >"$WORK_DIR/file"
    local conf; conf="$(hl_config 1.1.0 "$V4_RANGES" "{\"dataDir\":\"$WORK_DIR/file\"}")"
    cni host-local STATUS "$conf"
    assert_cni_error 50
}

@test "example conf/host-local-v4.json: ADD, CHECK, DEL" {
    local conf; conf="$(conf_with_datadir "$CONF_DIR/host-local-v4.json")"
    NET_NAME="$(jq -r .name <<<"$conf")"
    add_ok "$conf"
    assert_jq '(.ips | length) == 1 and (.ips[0].address | test("^[0-9.]+/[0-9]+$"))'
    assert_lease "$(result_ip4)" "$CID" "$IFNAME"
    cni host-local CHECK "$conf"
    assert_success
    cni host-local DEL "$conf"
    assert_success
    assert_no_leases
}

@test "example conf/host-local-dualstack.json: ADD, CHECK, DEL" {
    local conf; conf="$(conf_with_datadir "$CONF_DIR/host-local-dualstack.json")"
    NET_NAME="$(jq -r .name <<<"$conf")"
    add_ok "$conf"
    assert_jq '(.ips | length) == 2'
    assert_lease "$(result_ip4)" "$CID" "$IFNAME"
    assert_lease "$(result_ip6)" "$CID" "$IFNAME"
    cni host-local CHECK "$conf"
    assert_success
    cni host-local DEL "$conf"
    assert_success
    assert_no_leases
}
