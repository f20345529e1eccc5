# scripts/lib.sh: shared steps of scripts/test and scripts/demo (sourced, not executed):
# finding Swift, installing apt dependencies, building the static release plugins, checking linkage.

# Repo root, whatever the caller's working directory.
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# Debian packages the suite needs to build, test and demo (Swift itself is not packaged by Debian).
BUILD_PACKAGES=(libnl-3-dev libnl-route-3-dev libjansson-dev pkg-config)
TEST_PACKAGES=(bats jq iptables nftables iproute2 containernetworking-plugins conntrack iputils-ping python3-minimal)
# What the Swift toolchain needs at build time on Debian 12 (swift.org's list, minus the editors' extras).
TOOLCHAIN_PACKAGES=(binutils git libc6-dev libgcc-12-dev libstdc++-12-dev libedit2 libsqlite3-0
                    libxml2-dev libncurses-dev libz3-dev libpython3-dev zlib1g-dev tzdata)

# Swift toolchain locations tried when `swift` is not on PATH.
SWIFT_CANDIDATES=(${SWIFT_HOME:+"$SWIFT_HOME/usr/bin"} /opt/swift/usr/bin /usr/share/swift/usr/bin /usr/local/swift/usr/bin)

# Release build settings; the static .pc files name libnl's and jansson's archives.
# Fully static executables: no dynamic loader or libstdc++ relocation at each exec (~0.4 ms per plugin run).
RELEASE_FLAGS=(-c release -Xswiftc -static-executable -Xlinker -s)
# SWIFT_SCRATCH_PATH: build directory other than .build (e.g. to not disturb a developer's build).
SCRATCH_FLAGS=(${SWIFT_SCRATCH_PATH:+--scratch-path "$SWIFT_SCRATCH_PATH"})

log() { printf '==> %s\n' "$*" >&2; }
warn() { printf 'warning: %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# ensure_swift: put a Swift toolchain on PATH or fail with a clear message.
ensure_swift() {
    if ! command -v swift >/dev/null 2>&1; then
        local d
        for d in "${SWIFT_CANDIDATES[@]}"; do
            if [[ -x "$d/swift" ]]; then PATH="$d:$PATH"; export PATH; break; fi
        done
    fi
    command -v swift >/dev/null 2>&1 || {
        printf 'error: no Swift toolchain found (tried PATH and %s).\n' "${SWIFT_CANDIDATES[*]}" >&2
        printf '       Install Swift 6 for Debian 12 from swift.org into /opt/swift (or set SWIFT_HOME).\n' >&2
        return 1
    }
    log "using $(swift --version 2>/dev/null | head -n1)"
}

# missing_packages PKG...: prints the packages that are not installed.
missing_packages() {
    local p
    for p in "$@"; do
        dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || echo "$p"
    done
}

# ensure_packages: apt-get install whatever of the lists above is missing (quick no-op when complete).
ensure_packages() {
    local -a missing
    mapfile -t missing < <(missing_packages "${BUILD_PACKAGES[@]}" "${TEST_PACKAGES[@]}" "${TOOLCHAIN_PACKAGES[@]}")
    if [[ ${#missing[@]} -eq 0 ]]; then
        log "apt dependencies already installed"
        return 0
    fi
    [[ $(id -u) -eq 0 ]] || { echo "error: need root to install: ${missing[*]}" >&2; return 1; }
    command -v apt-get >/dev/null 2>&1 || { echo "error: apt-get not found; install: ${missing[*]}" >&2; return 1; }
    log "installing with apt: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q </dev/null || return 1
    apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null || return 1
}

# build_release: static release build of every plugin into $BIN_DIR.
build_release() {
    log "building release plugins (static Swift runtime, libnl, jansson)"
    (cd "$REPO_ROOT" && PKG_CONFIG_PATH="$REPO_ROOT/pkgconfig/static" swift build "${SCRATCH_FLAGS[@]}" "${RELEASE_FLAGS[@]}") || return 1
    BIN_DIR="$(cd "$REPO_ROOT" && PKG_CONFIG_PATH="$REPO_ROOT/pkgconfig/static" \
        swift build "${SCRATCH_FLAGS[@]}" "${RELEASE_FLAGS[@]}" --show-bin-path)" || return 1
    export BIN_DIR
    log "plugins in $BIN_DIR: $(plugin_binaries | xargs -n1 basename | tr '\n' ' ')"
}

# plugin_binaries: the executables of the build (one per CNI type), full paths.
plugin_binaries() {
    find "$BIN_DIR" -maxdepth 1 -type f -perm -u+x ! -name '*.so' ! -name '*.json' ! -name '*.o' \
        ! -name '*.xctest' ! -name '*Tests*' | sort
}

# check_static: every plugin needs only libc-level shared libraries (no libnl, jansson or Swift .so).
check_static() {
    local bin bad=0 deps
    for bin in $(plugin_binaries); do
        deps="$(ldd "$bin" 2>&1)"
        if grep -Eq 'libnl|libjansson|libswift|libFoundation|libdispatch|not found' <<<"$deps"; then
            echo "error: $(basename "$bin") is not statically linked against libnl/jansson/Swift:" >&2
            grep -E 'libnl|libjansson|libswift|libFoundation|libdispatch|not found' <<<"$deps" >&2
            bad=1
        fi
    done
    [[ $bad -eq 0 ]] && log "static linkage ok: $(ldd "$(plugin_binaries | head -n1)" 2>&1 \
        | awk '/=>/ {print $1} /not a dynamic/ {print "fully static"}' | sort | tr '\n' ' ')"
    return $bad
}
