#!/usr/bin/env bash
# Sets up Passerelle on Debian 12 from a fresh clone, then serves or tests.
#
#   deploy/setup.sh serve [SERVE OPTIONS]   build and run the server on http://127.0.0.1:8080
#   deploy/setup.sh test                    build and run the whole test suite
#   deploy/setup.sh --help                  what both do, in more words
#
# Installs only what is missing (Debian packages with apt-get, the test tools'
# npm packages from their lock files), so it is quick on a machine that has
# them. Run it as root, or as a user who may use sudo.

# Started by sh (dash)? The rest is bash: run it again with bash. POSIX sh
# up to the `fi`, since dash reads this far before it hands over.
if [ -z "${BASH_VERSION:-}" ]; then
    if command -v bash >/dev/null 2>&1; then
        exec bash "$0" "$@"
    fi
    echo "setup: this script needs bash: install it (apt-get install bash), then run: bash $0 $*" >&2
    exit 1
fi
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
logs=$root/build/setup-logs # apt's, npm's and the builds' output

# libssl-dev: the context tokens' HMAC; libcurl: messages to staff and knowledge
# bundles; libarchive: knowledge bundles.
build_packages=(build-essential cmake pkg-config libwebsockets-dev libjansson-dev
                libutf8proc-dev libstemmer-dev libssl-dev libcurl4-openssl-dev libarchive-dev)
# Fonts: chromium only recommends them, and the widget's Arabic needs glyphs.
# debootstrap: tests/setup/ makes a bare Debian 12 to run the serve path in.
# python3-aiosmtpd: the mail server messages to staff are delivered to (tests/handoff/).
# prometheus: its promtool checks the /metrics text.
# openssl: certificates for the HTTPS tests.
# nginx-light: tests/deploy/ runs replicas behind it; python3-yaml reads the
# Kubernetes manifests there; systemd's systemd-analyze checks the unit.
test_packages=(libcmocka-dev clang libclang-rt-14-dev clang-format chromium
               fonts-dejavu-core fonts-liberation debootstrap prometheus openssl
               nginx-light python3-yaml systemd python3-aiosmtpd)
# kubectl (client only) for the manifests: Debian's only when none is installed,
# as it conflicts with the kubectl packages of other sources.
command -v kubectl >/dev/null 2>&1 || test_packages+=(kubernetes-client)

usage() {
    cat <<'EOF'
usage: deploy/setup.sh serve [--listen ADDR:PORT] [--intents DIR] [--locales DIR] [--web DIR] [--max-text CHARS]
       deploy/setup.sh test
       deploy/setup.sh --help
EOF
}

help() {
    usage
    cat <<'EOF'

Sets up Passerelle on Debian 12 from a clone of its repository, then serves
or tests. Run it from anywhere; it works on the clone it is part of.

  serve  Installs the Debian packages the build needs, builds the server
         (without the tests) into build/, then runs build/passerelle serve
         with the options given: by default on http://127.0.0.1:8080 with the
         bundled knowledge. Ctrl-C stops it. `build/passerelle serve --help`
         explains the options.
  test   Installs what the tests need as well (cmocka, clang, clang-format,
         Chromium and fonts, debootstrap, Node.js from Debian when there is no
         `node`, the test tools' npm packages), then runs: the clang-format
         check; the ASan+UBSan build (build-asan/) and its tests but the
         browser's; the ThreadSanitizer build (build-tsan/) and its unit and
         workers tests; a short run of each fuzzer (build-fuzz/); the serve path
         on a bare Debian 12 made with debootstrap (tests/setup/); the regular
         build with -Werror (build/) and every test.

Only what is missing is installed, so a second run is quick. Installing
needs root: run this as root, or as a user who may use sudo. The output of
apt-get, npm and the builds goes to build/setup-logs/, and is shown when a
step fails.

Environment: FUZZ_SECONDS, how long each fuzzer runs in `test` (default 30).
Exit status: 0 done, 1 a step failed (its message says what to do next),
2 usage error. Once the server runs, `serve` exits with the server's own
status (0 when stopped with Ctrl-C).
EOF
}

say() { echo "setup: $*"; }

# Each failure says what happened and what to do, then exits 1. Failures the
# script did not foresee get a last line from on_exit.
reported=
fail() {
    local line
    for line in "$@"; do echo "setup: $line" >&2; done
    reported=1
    exit 1
}

mode=
step="starting"
on_exit() {
    local rc=$?
    if [ "$rc" -ne 0 ] && [ -z "$reported" ]; then
        echo "setup: stopped while $step (exit $rc): the lines above say why." >&2
        echo "setup: fix that, then run deploy/setup.sh $mode again." >&2
    fi
}
trap on_exit EXIT

show_log() { # show_log FILE LINES: the last lines of a log, indented, under its path
    echo "---- last $2 lines of $1:" >&2
    tail -n "$2" "$1" | sed 's/^/    /' >&2
    echo "----" >&2
}

open_log() { # open_log NAME: sets log to the path of a fresh, empty log file
    log=$logs/$1
    if ! { mkdir -p "$logs" && : >"$log"; } 2>/dev/null; then
        fail "cannot write $log: run this as a user who may write to $root (its owner), or from a clone of your own."
    fi
}

can_root() { [ "$(id -u)" -eq 0 ] || command -v sudo >/dev/null; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing_packages() {
    local p
    for p in "$@"; do
        [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] ||
            echo "$p"
    done
}

install_packages() {
    local missing log rc=0
    mapfile -t missing < <(missing_packages "$@")
    # Node.js may come from elsewhere than Debian (with its own npm, which
    # Debian's npm package would conflict with): install it only when absent.
    # Debian 12's is Node 18: the test tools' npm packages are pinned to
    # versions that still run on it (playwright-core 1.61).
    if [[ " $* " == *" chromium "* ]] && ! command -v node >/dev/null; then
        missing+=(nodejs npm)
    fi
    [ ${#missing[@]} -eq 0 ] && return 0
    step="installing ${missing[*]}"
    can_root ||
        fail "these Debian packages are missing: ${missing[*]}" \
             "Installing them needs root, and this user is not root and there is no sudo. Either:" \
             "  - run it as root: su -c '$root/deploy/setup.sh $mode', or" \
             "  - have root run: apt-get install --no-install-recommends ${missing[*]}" \
             "    then run deploy/setup.sh $mode again as yourself, or" \
             "  - install sudo (as root: apt-get install sudo; adduser $(id -un) sudo) and run this again."
    open_log apt.log
    say "installing with apt-get: ${missing[*]} (this can take minutes; output in $log)"
    {
        as_root apt-get update &&
            as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
    } >>"$log" 2>&1 </dev/null || rc=$?
    if [ "$rc" -ne 0 ]; then
        show_log "$log" 25
        fail "apt-get failed (exit $rc) installing: ${missing[*]}" \
             "Fix what the lines above say (the network, the apt sources in /etc/apt/, another apt or dpkg running," \
             "a sudo password refused), then run deploy/setup.sh $mode again; the whole output is in $log."
    fi
}

npm_install() { # installs a test tool's npm packages from its lock file, once per lock
    local dir=$1 log rc=0
    if [ ! -f "$dir/node_modules/.package-lock.json" ] ||
        ! cmp -s "$dir/package-lock.json" "$dir/node_modules/.lock-installed"; then
        step="installing the npm packages of ${dir#"$root"/}"
        command -v npm >/dev/null ||
            fail "node is installed but npm is not: install the npm that goes with this Node.js" \
                 "(Node.js from Debian: apt-get install npm), then run deploy/setup.sh test again."
        open_log "npm-$(basename "$dir").log"
        say "installing the npm packages of ${dir#"$root"/} (npm ci; output in $log)"
        (cd "$dir" && npm ci --no-audit --no-fund) >"$log" 2>&1 </dev/null || rc=$?
        if [ "$rc" -ne 0 ]; then
            show_log "$log" 25
            fail "npm ci failed (exit $rc) in ${dir#"$root"/}" \
                 "Fix what the lines above say (access to the npm registry, a Node.js too old: 18 or later is needed)," \
                 "then run deploy/setup.sh test again; the whole output is in $log."
        fi
        cp "$dir/package-lock.json" "$dir/node_modules/.lock-installed"
    fi
}

build() { # build DIR [CMAKE OPTIONS]: quiet when it works, CMake's own output when not
    local dir=$1 name log rc=0
    shift
    name=$(basename "$dir")
    step="configuring $name"
    open_log "$name-configure.log"
    cmake -S "$root" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >"$log" 2>&1 </dev/null || rc=$?
    if [ "$rc" -ne 0 ]; then
        echo "---- CMake's output:" >&2
        sed 's/^/    /' "$log" >&2
        echo "----" >&2
        fail "CMake could not configure $name/ (exit $rc): its output is above (and in $log)." \
             "A library or program it could not find? Install its Debian package (apt-get install ...)," \
             "or run deploy/setup.sh $mode again to install what is missing; else report the output above."
    fi
    step="building $name"
    open_log "$name.log"
    say "building $name/ (output in $log)"
    cmake --build "$dir" -j"$(nproc)" >"$log" 2>&1 </dev/null || rc=$?
    if [ "$rc" -ne 0 ]; then
        show_log "$log" 60
        fail "the build of $name/ failed (exit $rc): the compiler's errors are above (all of its output is in $log)." \
             "Fix them, or report them with that file; then run deploy/setup.sh $mode again."
    fi
}

run_ctest() { # run_ctest DIR [CTEST OPTIONS]
    local dir=$1 rc=0
    shift
    step="running the tests of $(basename "$dir")"
    (cd "$dir" && ctest --output-on-failure "$@") || rc=$?
    if [ "$rc" -ne 0 ]; then
        fail "tests failed in $(basename "$dir") (their output is above)." \
             "Run one again with: cd ${dir#"$root"/} && ctest --output-on-failure -R NAME"
    fi
}

check_format() {
    local files rc=0
    step="checking the formatting"
    mapfile -t files < <(cd "$root" && { git ls-files '*.c' '*.h' 2>/dev/null ||
                                         find server tests -name '*.[ch]'; })
    (cd "$root" && clang-format --dry-run --Werror "${files[@]}") || rc=$?
    if [ "$rc" -ne 0 ]; then
        fail "these files do not match .clang-format (above)." \
             "Format them with: clang-format -i FILE..., then run deploy/setup.sh test again."
    fi
    say "formatting matches .clang-format"
}

fuzz() { # a short run of every fuzzer, from its seed corpus
    build "$root/build-fuzz" -DPASSERELLE_FUZZ=ON -DPASSERELLE_TESTS=OFF \
        -DPASSERELLE_SANITIZE=OFF -DPASSERELLE_WERROR=OFF -DCMAKE_C_COMPILER=clang
    local target corpus log bin crashes="$root/build-fuzz/crashes" rc
    mkdir -p "$crashes"
    for target in protocol dialog knowledge mask contact; do
        step="fuzzing with fuzz_$target"
        bin=$root/build-fuzz/tests/fuzz/fuzz_$target
        open_log "fuzz_$target.log"
        corpus=$(mktemp -d)
        rc=0
        "$bin" -max_total_time="${FUZZ_SECONDS:-30}" -max_len=4096 -print_final_stats=0 \
            -artifact_prefix="$crashes/fuzz_$target-" "$corpus" "$root/tests/fuzz/corpus/$target" \
            >"$log" 2>&1 </dev/null || rc=$?
        rm -rf "$corpus"
        if [ "$rc" -ne 0 ]; then
            show_log "$log" 40
            fail "fuzz_$target failed (exit $rc): its report is above (all of it in $log)." \
                 "The input that made it fail is in $crashes/ (the file named in the report);" \
                 "run it again with: $bin FILE, fix the bug, and add FILE to tests/fuzz/corpus/$target/."
        fi
        echo "fuzz_$target: $(tail -n 1 "$log")"
    done
}

case "${1:-}" in
-h | --help | help)
    reported=1
    help
    exit 0
    ;;
serve | test)
    mode=$1
    shift
    ;;
"")
    echo "setup: no mode given: run deploy/setup.sh serve (build and run the server) or deploy/setup.sh test (run every test)." >&2
    usage >&2
    echo "More: deploy/setup.sh --help" >&2
    reported=1
    exit 2
    ;;
*)
    echo "setup: unknown mode '$1': the modes are serve and test." >&2
    usage >&2
    echo "More: deploy/setup.sh --help" >&2
    reported=1
    exit 2
    ;;
esac

case "$mode" in
serve)
    install_packages "${build_packages[@]}"
    # Only the server: the tests need packages serve does not install.
    build "$root/build" -DPASSERELLE_TESTS=OFF -DPASSERELLE_SANITIZE=OFF -DPASSERELLE_WERROR=OFF \
        -DPASSERELLE_FUZZ=OFF
    say "starting build/passerelle serve${*:+ $*} (Ctrl-C stops it)"
    exec "$root/build/passerelle" serve "$@"
    ;;
test)
    if [ $# -gt 0 ]; then
        echo "setup: test takes no options, and was given: $*" >&2
        usage >&2
        reported=1
        exit 2
    fi
    install_packages "${build_packages[@]}" "${test_packages[@]}"
    npm_install "$root/tests/e2e"
    npm_install "$root/tests/browser"
    check_format
    # Sanitizers first: every test but the browser's, under ASan and UBSan.
    build "$root/build-asan" -DPASSERELLE_TESTS=ON -DPASSERELLE_SANITIZE=ON -DPASSERELLE_WERROR=ON \
        -DPASSERELLE_FUZZ=OFF
    run_ctest "$root/build-asan" -LE browser
    # ThreadSanitizer on what runs threads: the core's parallel load and the
    # unit tests of the shell, and the server's workers end to end.
    build "$root/build-tsan" -DPASSERELLE_TESTS=ON -DPASSERELLE_TSAN=ON -DPASSERELLE_WERROR=ON \
        -DPASSERELLE_FUZZ=OFF
    TSAN_OPTIONS=halt_on_error=1 run_ctest "$root/build-tsan" -R '^unit\.|^e2e\.workers$'
    fuzz
    # `serve` from a clone on a Debian 12 that has nothing but git (needs root).
    step="checking the serve path on a bare Debian 12"
    can_root ||
        fail "the check of the serve path (tests/setup/serve-on-bare-debian.sh) needs root for debootstrap" \
             "and chroot: run deploy/setup.sh test as root, or install sudo and run it as a user who may use it."
    as_root "$root/tests/setup/serve-on-bare-debian.sh" ||
        fail "the serve path failed on a bare Debian 12 (above): a user following the README would fail the same way." \
             "Fix deploy/setup.sh (or what it builds), then check again with: tests/setup/serve-on-bare-debian.sh"
    # Then the whole suite on the regular build; its summary closes the run.
    build "$root/build" -DPASSERELLE_TESTS=ON -DPASSERELLE_SANITIZE=OFF -DPASSERELLE_WERROR=ON \
        -DPASSERELLE_FUZZ=OFF
    run_ctest "$root/build"
    ;;
esac
