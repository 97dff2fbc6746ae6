#!/usr/bin/env bash
# Memory per idle WebSocket connection: the server's resident memory
# (/proc/PID/status VmRSS) before and while N connections are open and idle
# (each has had its welcome frame), for Passerelle and for the echo server:
#
#   benchmark/idle_memory.sh [--bin build/passerelle] [--tools build/benchmark]
#       [--connections "1000 5000"] [-- PASSERELLE SERVE OPTIONS...]
#
# A fresh server for each N; loadgen --in-flight 0 holds the connections.
# Prints KiB before and with them, bytes per connection, and the bytes of one
# more connection between two N (what the first ones add is partly fixed). Passerelle's
# per-address limits are lifted (lib.sh); max-connections (10,000) stays.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=benchmark/lib.sh
. "$here/lib.sh"

bin=build/passerelle tools="" connections="1000 5000" extra=()
HOLD_S=30 # loadgen holds the connections this long at most; stopped once measured
while [ $# -gt 0 ]; do
    case $1 in
    --bin) bin=$2; shift 2 ;;
    --tools) tools=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    *) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
    esac
done
[ -x "$bin" ] || die "$bin is not built"
tools=$(bench_tools "$bin" "$tools")

# hold PID PORT N LABEL: opens N idle connections to the server PID, prints its RSS.
hold() {
    local pid=$1 port=$2 n=$3 label=$4 before after lg
    sleep 0.5 # what the start left behind settles
    before=$(rss_kib "$pid")
    "$tools/loadgen" --url "ws://127.0.0.1:$port/ws" --connections "$n" --in-flight 0 \
        --seconds "$HOLD_S" --warmup 0 >/dev/null 2>"$BENCH_TMP/hold.log" &
    lg=$!
    BENCH_PIDS+=("$lg")
    wait_until 60 grep -q connected "$BENCH_TMP/hold.log" || die "loadgen did not connect"
    sleep 1
    after=$(rss_kib "$pid")
    printf '%-11s %6d %-10s %10d %10d %8d\n' "$label" "$n" "$(cut -d' ' -f2 <"$BENCH_TMP/hold.log")" \
        "$before" "$after" "$(((after - before) * 1024 / n))"
    GROWTH[$label]+="$n $((after - before)) "
    stop "$lg"
}

declare -A GROWTH # label -> "N KiB N KiB ...": what N connections added
printf '%-11s %6s %-10s %10s %10s %8s\n' server N opened "KiB before" "KiB with" "B/conn"
for n in $connections; do
    port=$(free_port) admin=$(free_port)
    start_passerelle "$bin" "$port" "$admin" "${extra[@]}"
    hold "$PASSERELLE_PID" "$port" "$n" Passerelle
    stop "$PASSERELLE_PID"
    port=$(free_port)
    "$tools/echo_server" --listen "127.0.0.1:$port" &
    pid=$!
    BENCH_PIDS+=("$pid")
    wait_until 10 port_open "$port" || die "the echo server did not start"
    hold "$pid" "$port" "$n" echo
    stop "$pid"
done
# Part of what the first connections add is fixed (tables, buffers, arenas
# the server allocates once): between two N, the cost of one more connection.
for label in Passerelle echo; do
    awk -v l="$label" '{for (i = 3; i < NF; i += 2)
        printf "%s: %.0f B per connection between %d and %d connections\n", l,
               ($(i + 1) - $(i - 1)) * 1024 / ($i - $(i - 2)), $(i - 2), $i}' <<<"${GROWTH[$label]}"
done
