#!/usr/bin/env bash
# Proves that the README's `deploy/setup.sh serve` works first time on a bare
# Debian 12: makes one with debootstrap (minbase, plus git), copies the
# repository into it as a clone would have it, runs the serve path there as
# root, and checks that the server answers GET /healthz with 200, then stops
# it with SIGTERM. Also checks, first, that a user who is not root and has
# no sudo is told what to do. See README.md beside this file.
#
#   tests/setup/serve-on-bare-debian.sh [--head] [--keep]
#
# Needs root (debootstrap, mount, chroot) and the Debian mirror.

if [ -z "${BASH_VERSION:-}" ]; then # started by sh: the rest is bash
    exec bash "$0" "$@"
fi
set -euo pipefail

src=$(cd "$(dirname "$0")/../.." && pwd)
suite=bookworm
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
timeout=${SETUP_CHECK_TIMEOUT:-1200} # seconds for the serve path to answer
from=worktree
keep=

usage() {
    cat <<'EOF'
usage: tests/setup/serve-on-bare-debian.sh [--head] [--keep]

Runs `deploy/setup.sh serve` in a bare Debian 12 (debootstrap --variant=minbase
bookworm, plus git) and checks that the server it starts answers GET /healthz
with 200. Needs root and the Debian mirror; takes 2 to 3 minutes.

  --head   copy the committed HEAD (git clone) instead of the working tree's
           files (tracked and untracked but not ignored, as they are now)
  --keep   keep the Debian tree afterwards, to look inside (chroot DIR bash)

Environment: DEBIAN_MIRROR (default http://deb.debian.org/debian),
SETUP_CHECK_TIMEOUT (seconds for serve to answer; default 1200).
Exit status: 0 passed, 1 failed (the message says why and what to do), 2 usage error.
EOF
}

for arg in "$@"; do
    case "$arg" in
    --head) from="head" ;;
    --keep) keep=1 ;;
    -h | --help)
        usage
        exit 0
        ;;
    *)
        echo "bare-debian: unknown option '$arg'" >&2
        usage >&2
        exit 2
        ;;
    esac
done

started=$SECONDS
say() { echo "bare-debian: $*"; }
fail() {
    local line
    echo "bare-debian: FAILED: $1" >&2
    shift
    for line in "$@"; do echo "bare-debian: $line" >&2; done
    exit 1
}
show_log() { # show_log FILE LINES
    echo "---- last $2 lines of $1:" >&2
    tail -n "$2" "$1" 2>/dev/null | sed 's/^/    /' >&2
    echo "----" >&2
}

# ---- preconditions: each one missing is a failure, never a skip ----------

[ "$(id -u)" -eq 0 ] ||
    fail "this check needs root (debootstrap, mount, chroot)." \
         "Run it as root, or with sudo: sudo tests/setup/serve-on-bare-debian.sh"
for tool in chroot mount umount git tar mktemp timeout; do
    command -v "$tool" >/dev/null ||
        fail "$tool not found." "Install it (it is in Debian 12's base: apt-get install coreutils mount git tar), then run this again."
done
git -C "$src" rev-parse --git-dir >/dev/null 2>&1 ||
    fail "$src is not a git checkout, so which files belong to the repository is unknown." \
         "Run this from a git clone of Passerelle."

work=$(mktemp -d "${TMPDIR:-/tmp}/passerelle-bare-debian.XXXXXX")
work=$(cd "$work" && pwd -P) # the path the kernel reports as a chroot's root
logs=$work/logs
R=$work/debian
mkdir -p "$logs"

if ! command -v debootstrap >/dev/null; then
    say "installing debootstrap with apt-get (output in $logs/apt.log)"
    { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends debootstrap; } \
        >"$logs/apt.log" 2>&1 </dev/null || {
        show_log "$logs/apt.log" 20
        fail "could not install debootstrap (above)." \
             "Install it yourself (apt-get install debootstrap), then run this again."
    }
fi

# ---- clean-up: stop what runs in the tree, unmount, remove ----------------

server=
mounts_under_root() { # deepest first
    awk -v r="$R/" 'index($5, r) == 1 { print $5 }' /proc/self/mountinfo | sort -r
}
kill_in_root() { # every process whose root is the Debian tree: only ours
    local p
    for p in /proc/[0-9]*; do
        [ "$(readlink "$p/root" 2>/dev/null)" = "$R" ] && kill -KILL "${p#/proc/}" 2>/dev/null
    done
    return 0
}
cleanup() {
    local rc=$? m left
    trap - EXIT
    [ "$rc" -lt 128 ] || echo "bare-debian: FAILED: stopped by a signal (exit $rc) before the end; run it again." >&2
    if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then
        kill -KILL "$server" 2>/dev/null || true
    fi
    kill_in_root
    sleep 0.2
    for m in $(mounts_under_root); do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; done
    left=$(mounts_under_root)
    if [ -n "$left" ]; then
        echo "bare-debian: still mounted, so $work was left in place: $left" >&2
        echo "bare-debian: unmount them (umount -l PATH), then rm -rf $work" >&2
        [ "$rc" -eq 0 ] && rc=1
    elif [ -n "$keep" ]; then
        say "kept the Debian tree: $R (look inside: chroot $R bash; remove it: rm -rf $work)"
    else
        # --one-file-system: never into a mount, whatever happened above.
        rm -rf --one-file-system "$R"
        if [ "$rc" -eq 0 ]; then
            rm -rf "$work"
        else
            echo "bare-debian: the logs are kept in $logs; run with --keep to keep the Debian tree too." >&2
        fi
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

in_root() { # in_root [chroot options] -- COMMAND...: in the tree, in a clean environment
    local opts=()
    while [ "$1" != "--" ]; do opts+=("$1"); shift; done
    shift
    chroot "${opts[@]}" "$R" /usr/bin/env -i HOME=/root \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"
}

installed_in_root() { # installed_in_root PACKAGE: whether dpkg in the tree has it
    # shellcheck disable=SC2016 # ${Status} is dpkg-query's, not the shell's
    [ "$(in_root -- dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

# ---- 1. a bare Debian 12 --------------------------------------------------

say "making a bare Debian 12: debootstrap --variant=minbase --include=git $suite (output in $logs/debootstrap.log)"
t=$SECONDS
debootstrap --variant=minbase --include=git "$suite" "$R" "$mirror" >"$logs/debootstrap.log" 2>&1 </dev/null || {
    show_log "$logs/debootstrap.log" 15
    [ -f "$R/debootstrap/debootstrap.log" ] && show_log "$R/debootstrap/debootstrap.log" 25
    fail "debootstrap could not make a Debian 12 from $mirror (above)." \
         "Check that the mirror answers (or set DEBIAN_MIRROR to one that does), then run this again."
}
debootstrap_s=$((SECONDS - t))
mount -t proc proc "$R/proc" ||
    fail "cannot mount /proc in $R." "Run this where root may mount (not in a container without CAP_SYS_ADMIN)."

# Bare means bare: with any of these already there, the check would prove nothing.
for p in build-essential gcc cmake pkg-config libwebsockets-dev libjansson-dev libcmocka-dev clang sudo; do
    if installed_in_root "$p"; then
        fail "the new Debian tree already has $p, so it is not the bare system of the report." \
             "debootstrap's minbase changed? Remove $p from it here before running serve."
    fi
done
in_root -- sh -c 'command -v git >/dev/null' ||
    fail "git is missing from the Debian tree (debootstrap --include=git)." "See $logs/debootstrap.log."

# ---- 2. the repository, as a clone has it ---------------------------------

dest=$R/srv/passerelle
if [ "$from" = head ]; then
    say "copying the committed HEAD of $src (git clone)"
    git clone -q --no-hardlinks "$src" "$dest"
else
    say "copying the working tree's files of $src (tracked, and untracked but not ignored)"
    mkdir -p "$dest"
    (cd "$src" && git ls-files -z --cached --others --exclude-standard |
        while IFS= read -r -d '' f; do
            if [ -e "$f" ] || [ -L "$f" ]; then printf '%s\0' "$f"; fi # not the deleted ones
        done | tar --null --no-recursion -T - -cf -) | tar -C "$dest" --no-same-owner -xf -
fi
[ -x "$dest/deploy/setup.sh" ] ||
    fail "deploy/setup.sh is missing or not executable in the copy." "Check its mode in git: git ls-files -s deploy/setup.sh"

# ---- 3. not root, no sudo: a message that says what to do -----------------

say "running sh deploy/setup.sh serve as nobody (no root, no sudo)"
rc=0
in_root --userspec=nobody:nogroup -- sh -c 'cd /srv/passerelle && sh deploy/setup.sh serve' \
    >"$logs/nobody.log" 2>&1 </dev/null || rc=$?
# Reported at the end, so that the serve path below is checked all the same.
nobody_problem=
if [ "$rc" -ne 1 ] || ! grep -q "as root" "$logs/nobody.log" || ! grep -q "install sudo" "$logs/nobody.log" ||
    grep -q "command not found" "$logs/nobody.log"; then
    show_log "$logs/nobody.log" 20
    nobody_problem="started by sh as a user without root nor sudo, setup.sh serve exited $rc without saying to run it as root or install sudo (above)"
    echo "bare-debian: FAILED (reported again at the end): $nobody_problem" >&2
fi

# ---- 4. the serve path, as root -------------------------------------------

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
http_get() { # http_get PORT PATH: the response, head and body
    # shellcheck disable=SC2016 # $1 and $2 are the inner bash's
    timeout 10 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
        printf "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nConnection: close\r\n\r\n" "$2" "$1" >&3
        cat <&3' _ "$1" "$2" 2>/dev/null || true
}
port=
for _ in $(seq 50); do
    p=$((20000 + RANDOM % 40000))
    if port_free "$p"; then port=$p; break; fi
done
[ -n "$port" ] || fail "found no free loopback port in 50 tries." "Free some ports in 20000-59999, then run this again."
# /healthz answers on the admin listener only (docs/operations.md)
admin_port=
for _ in $(seq 50); do
    p=$((20000 + RANDOM % 40000))
    if [ "$p" != "$port" ] && port_free "$p"; then admin_port=$p; break; fi
done
[ -n "$admin_port" ] || fail "found no second free loopback port in 50 tries." "Free some ports in 20000-59999, then run this again."

say "running deploy/setup.sh serve --listen 127.0.0.1:$port --admin-listen 127.0.0.1:$admin_port as root in it (output in $logs/serve.log)"
t=$SECONDS
# Not through in_root: $! must be the server itself (chroot, env, sh and
# setup.sh each exec the next), for SIGTERM to reach it.
chroot "$R" /usr/bin/env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    sh -c "cd /srv/passerelle && exec deploy/setup.sh serve --listen 127.0.0.1:$port --admin-listen 127.0.0.1:$admin_port" \
    >"$logs/serve.log" 2>&1 </dev/null &
server=$!
answer=
while :; do
    if ! kill -0 "$server" 2>/dev/null; then
        rc=0
        wait "$server" || rc=$?
        server=
        show_log "$logs/serve.log" 40
        fail "deploy/setup.sh serve exited ($rc) on a bare Debian 12 before the server answered (above)." \
             "A user of the README would see the same: fix what its last lines say (a package serve does not" \
             "install: deploy/setup.sh; a compile error: the code), then run this again."
    fi
    response=$(http_get "$admin_port" /healthz)
    if [ -n "$response" ]; then
        answer=$response
        break
    fi
    [ $((SECONDS - t)) -lt "$timeout" ] || {
        show_log "$logs/serve.log" 40
        fail "no answer on 127.0.0.1:$admin_port/healthz after $timeout s (above)." \
             "Set SETUP_CHECK_TIMEOUT higher if the mirror is slow, or see what serve is waiting for."
    }
    sleep 2
done
serve_s=$((SECONDS - t))
status=$(printf '%s\n' "$answer" | head -n 1 | tr -d '\r')
body=$(printf '%s\n' "$answer" | tail -n 1)
case "$status" in
"HTTP/1.1 200"*) ;;
*)
    show_log "$logs/serve.log" 20
    fail "GET /healthz answered '$status', not 200: $body" "See the server's log above."
    ;;
esac
grep -q "listening on http://127.0.0.1:$port" "$logs/serve.log" ||
    fail "something answered on port $port, but the server's log does not say it listens there." \
         "Another program took the port? Run this again."
[ -x "$dest/build/passerelle" ] ||
    fail "the server is not at build/passerelle, where the README says it is." "Keep the build in build/."
[ ! -e "$dest/build/tests" ] ||
    fail "serve built the tests (build/tests/ exists): it must build only the server." \
         "Configure with -DPASSERELLE_TESTS=OFF in deploy/setup.sh serve."
for p in libcmocka-dev clang chromium; do
    if installed_in_root "$p"; then
        fail "serve installed $p, a package of the tests only." "Install only the build packages in deploy/setup.sh serve."
    fi
done

# ---- 5. stop it -----------------------------------------------------------

kill -TERM "$server"
for _ in $(seq 50); do
    kill -0 "$server" 2>/dev/null || break
    sleep 0.2
done
if kill -0 "$server" 2>/dev/null; then
    show_log "$logs/serve.log" 10
    fail "the server did not stop within 10 s of SIGTERM." "See pa_server.c's stop deadline."
fi
rc=0
wait "$server" || rc=$?
server=
[ "$rc" -eq 0 ] || {
    show_log "$logs/serve.log" 10
    fail "the server exited $rc on SIGTERM, not 0 (README: SIGINT/SIGTERM exit 0)." "See its log above."
}

[ -z "$nobody_problem" ] ||
    fail "$nobody_problem." \
         "It must exit 1 and say so (install_packages in deploy/setup.sh); the serve path itself passed."
say "passed: on a bare Debian 12, deploy/setup.sh serve installed the build packages, built build/passerelle" \
    "and served /healthz ($body) in ${serve_s} s; debootstrap took ${debootstrap_s} s, all $((SECONDS - started)) s"
