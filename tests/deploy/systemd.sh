#!/bin/sh
# deploy/passerelle.service, checked offline:
#
#   tests/deploy/systemd.sh PASSERELLE_BINARY REPO_ROOT
#
#   - `systemd-analyze verify` finds nothing to say (unknown keys, bad values), with the unit's
#     ExecStart pointed at the binary given (verify wants it to exist);
#   - `systemd-analyze security --offline=true` rates its exposure at most MAX_EXPOSURE (below),
#     the figure the unit reached: a change that loosens it fails here;
#   - LimitNOFILE covers the connections deploy/passerelle.conf allows, and TimeoutStopSec its
#     shutdown-timeout.
#
# Prints `ok - case` / `not ok - case: reason`, then `N passed, N failed`. Exit status 0 when every
# case passed, 1 otherwise, 77 (skipped) when systemd-analyze is not installed (Debian package
# systemd; deploy/setup.sh test installs it), 2 on a usage error.
set -u

MAX_EXPOSURE=1.2 # systemd 252's rating of the unit as it is; lower it when the unit gets tighter

[ $# -eq 2 ] || { echo "usage: tests/deploy/systemd.sh PASSERELLE_BINARY REPO_ROOT" >&2; exit 2; }
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1") root=$2
unit=$root/deploy/passerelle.service
conf=$root/deploy/passerelle.conf

if ! command -v systemd-analyze >/dev/null 2>&1; then
    echo "SKIP: systemd-analyze is not installed (Debian package systemd; deploy/setup.sh test installs it): the unit was not checked."
    exit 77
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0
ok() { echo "ok - $1"; passed=$((passed + 1)); }
not_ok() { echo "not ok - $1: $2"; failed=$((failed + 1)); }

# The unit as installed, but with the binary of this build.
sed "s|/usr/local/bin/passerelle|$bin|g" "$unit" >"$tmp/passerelle.service"
out=$(systemd-analyze verify "$tmp/passerelle.service" 2>&1)
rc=$?
if [ $rc -eq 0 ] && [ -z "$out" ]; then
    ok "systemd-analyze verify finds nothing to say"
else
    not_ok "systemd-analyze verify finds nothing to say" "exit $rc: $(echo "$out" | tr '\n' ' ')"
fi

out=$(systemd-analyze security --offline=true "$unit" 2>&1)
exposure=$(echo "$out" | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
echo "# exposure level: ${exposure:-unknown} (at most $MAX_EXPOSURE)"
if [ -z "$exposure" ]; then
    not_ok "exposure at most $MAX_EXPOSURE" "no exposure level in: $(echo "$out" | tail -n 3 | tr '\n' ' ')"
elif awk -v e="$exposure" -v m="$MAX_EXPOSURE" 'BEGIN { exit !(e <= m) }'; then
    ok "exposure at most $MAX_EXPOSURE"
else
    not_ok "exposure at most $MAX_EXPOSURE" "$exposure; what raised it:
$(echo "$out" | grep '✗' | head -n 15)"
fi

# The settings the example configuration gives (defaults for the rest).
config=$("$bin" serve --config "$conf" --print-config 2>&1) || {
    not_ok "deploy/passerelle.conf is accepted" "$config"
    echo "$passed passed, $failed failed"
    exit 1
}
setting() { echo "$config" | sed -n "s/^$1 = //p"; }
unit_value() { sed -n "s/^$1=//p" "$unit" | tail -n 1; }

need=$(($(setting max-connections) + $(setting admin-max-connections) + 64))
nofile=$(unit_value LimitNOFILE)
nofile=${nofile##*:} # soft:hard, or one value for both
if [ -n "$nofile" ] && [ "$nofile" -ge "$need" ]; then
    ok "LimitNOFILE $nofile covers max-connections + admin-max-connections + 64 = $need"
else
    not_ok "LimitNOFILE covers the connections" "LimitNOFILE ${nofile:-unset}, the configuration needs $need"
fi

stop=$(unit_value TimeoutStopSec)
shutdown=$(setting shutdown-timeout)
if [ -n "$stop" ] && awk -v a="$stop" -v b="$shutdown" 'BEGIN { exit !(a > b) }'; then
    ok "TimeoutStopSec $stop is above shutdown-timeout $shutdown"
else
    not_ok "TimeoutStopSec is above shutdown-timeout" "TimeoutStopSec ${stop:-unset}, shutdown-timeout $shutdown"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
