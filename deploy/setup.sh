#!/usr/bin/env bash
# Sets up Passerelle on Debian 12 from a fresh clone, then serves or tests.
#
#   deploy/setup.sh serve [SERVE OPTIONS]   build and run the server on http://127.0.0.1:8080
#   deploy/setup.sh test                    build and run the whole test suite
#
# Installs only what is missing (Debian packages with apt-get, the test tools'
# npm packages from their lock files), so it is quick on a machine that has
# them. Run it as root, or as a user who may use sudo.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
mode=${1:-}
[ $# -gt 0 ] && shift

build_packages=(build-essential cmake pkg-config libwebsockets-dev libjansson-dev
                libutf8proc-dev libstemmer-dev)
# Fonts: chromium only recommends them, and the widget's Arabic needs glyphs.
test_packages=(libcmocka-dev clang libclang-rt-14-dev clang-format chromium
               fonts-dejavu-core fonts-liberation)

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing_packages() {
    local p
    for p in "$@"; do
        dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
            echo "$p"
    done
}

install_packages() {
    local missing
    missing=$(missing_packages "$@")
    # Node.js may come from elsewhere than Debian (with its own npm, which
    # Debian's npm package would conflict with): install it only when absent.
    # Debian 12's is Node 18: the test tools' npm packages are pinned to
    # versions that still run on it (playwright-core 1.61).
    if [[ " $* " == *" chromium "* ]] && ! command -v node >/dev/null; then
        missing="$missing nodejs npm"
    fi
    [ -z "${missing// /}" ] && return 0
    echo "setup: installing:" $missing
    as_root apt-get update -qq
    # shellcheck disable=SC2086
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
}

npm_install() { # installs a test tool's npm packages from its lock file, once per lock
    local dir=$1
    if [ ! -f "$dir/node_modules/.package-lock.json" ] ||
        ! cmp -s "$dir/package-lock.json" "$dir/node_modules/.lock-installed"; then
        (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
        cp "$dir/package-lock.json" "$dir/node_modules/.lock-installed"
    fi
}

build() { # build DIR [CMAKE OPTIONS]
    local dir=$1
    shift
    cmake -S "$root" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
    cmake --build "$dir" -j"$(nproc)"
}

check_format() {
    local files
    mapfile -t files < <(cd "$root" && git ls-files '*.c' '*.h' 2>/dev/null ||
                         find server tests -name '*.[ch]')
    (cd "$root" && clang-format --dry-run --Werror "${files[@]}")
    echo "setup: formatting matches .clang-format"
}

fuzz() { # a short run of every fuzzer, from its seed corpus
    build "$root/build-fuzz" -DPASSERELLE_FUZZ=ON -DPASSERELLE_TESTS=OFF \
        -DCMAKE_C_COMPILER=clang
    local target corpus
    for target in protocol dialog knowledge; do
        corpus=$(mktemp -d)
        "$root/build-fuzz/tests/fuzz/fuzz_$target" -max_total_time="${FUZZ_SECONDS:-30}" \
            -max_len=4096 -print_final_stats=0 "$corpus" "$root/tests/fuzz/corpus/$target" \
            2>&1 | tail -n 1
        rm -rf "$corpus"
    done
}

case "$mode" in
serve)
    install_packages "${build_packages[@]}"
    build "$root/build"
    exec "$root/build/passerelle" serve "$@"
    ;;
test)
    install_packages "${build_packages[@]}" "${test_packages[@]}"
    npm_install "$root/tests/e2e"
    npm_install "$root/tests/browser"
    check_format
    # Sanitizers first: every test but the browser's, under ASan and UBSan.
    build "$root/build-asan" -DPASSERELLE_SANITIZE=ON -DPASSERELLE_WERROR=ON
    (cd "$root/build-asan" && ctest --output-on-failure -LE browser)
    fuzz
    # Then the whole suite on the regular build; its summary closes the run.
    build "$root/build" -DPASSERELLE_WERROR=ON
    cd "$root/build" && ctest --output-on-failure
    ;;
*)
    echo "usage: deploy/setup.sh serve [--listen ADDR:PORT ...] | deploy/setup.sh test" >&2
    exit 2
    ;;
esac
