#!/usr/bin/env bash
# How Passerelle scales with the knowledge: for the bundled knowledge and
# knowledge grown 10x and 50x (grow_knowledge.py), prints
#   - load+index time and the time per question (mean, median, p99) of the
#     matcher, in process (bench_dialog), on tests/eval/questions.jsonl and
#     tests/eval/unrelated-dev.jsonl;
#   - the wall time of `passerelle check`;
#   - the server's memory: VmRSS once started, VmHWM (its peak) at start, and
#     the peak during --reloads forced reloads (SIGHUP), measured from the peak
#     reset to the RSS of then (echo 5 > /proc/PID/clear_refs).
#
#   benchmark/scaling.sh [--bin build/passerelle] [--tools build/benchmark]
#       [--factors "1 10 50"] [--rounds 5] [--reloads 3] [--grown DIR]
#
# --grown keeps the grown knowledge in DIR/k10, DIR/k50 (shared with
# cold_start.mjs); without it, it is made in a temporary folder.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
# shellcheck source=benchmark/lib.sh
. "$here/lib.sh"

bin=build/passerelle tools="" factors="1 10 50" rounds=5 reloads=3 grown=$BENCH_TMP
while [ $# -gt 0 ]; do
    case $1 in
    --bin) bin=$2; shift 2 ;;
    --tools) tools=$2; shift 2 ;;
    --factors) factors=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --reloads) reloads=$2; shift 2 ;;
    --grown) grown=$2; shift 2 ;;
    *) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
    esac
done
[ -x "$bin" ] || die "$bin is not built"
tools=$(bench_tools "$bin" "$tools")
[ -x "$tools/bench_dialog" ] || die "$tools/bench_dialog is missing"
mkdir -p "$grown"

# knowledge FACTOR: the folder holding intents/ and locales/.
knowledge() {
    if [ "$1" = 1 ]; then
        echo "$root"
        return
    fi
    [ -d "$grown/k$1" ] || python3 "$here/grow_knowledge.py" --factor "$1" --out "$grown/k$1" >&2
    echo "$grown/k$1"
}

# dialog DIR SET: "load_ms mean/median/p99" of bench_dialog.
dialog() {
    "$tools/bench_dialog" "$root/tests/eval/$2.jsonl" "$rounds" "$1/intents" "$1/locales" |
        awk '/loaded and indexed/ {for (i = 1; i <= NF; i++) if ($i == "ms,") load = $(i - 1)}
             /per question/ {gsub(",", ""); mean = $(NF - 9); med = $(NF - 6); p99 = $(NF - 3)}
             END {printf "%s %s/%s/%s", load, mean, med, p99}'
}

check_s() {
    local t0 t1
    t0=$(now_ns)
    "$bin" check --intents "$1/intents" --locales "$1/locales" >/dev/null 2>&1 || true
    t1=$(now_ns)
    awk -v d=$((t1 - t0)) 'BEGIN {printf "%.2f", d / 1e9}'
}

reloads_ok() {
    curl -fsS "http://127.0.0.1:$1/metrics" | awk '/^passerelle_reloads_total\{result="ok"\}/ {print $2}'
}

reloaded() { # reloaded ADMIN_PORT N: at least N reloads done
    [ "$(reloads_ok "$1")" -ge "$2" ]
}

mib() {
    awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'
}

# memory DIR: sets RSS (once started), HWM (peak at start), PEAK (during the
# reloads), in MiB. Not in a subshell: the server must stay in BENCH_PIDS.
memory() {
    local port admin pid n i
    port=$(free_port) admin=$(free_port)
    start_passerelle "$bin" "$port" "$admin" --intents "$1/intents" --locales "$1/locales"
    pid=$PASSERELLE_PID
    sleep 1
    RSS=$(mib "$(rss_kib "$pid")") HWM=$(mib "$(rss_kib "$pid" VmHWM)")
    echo 5 >"/proc/$pid/clear_refs" # VmHWM starts again from the RSS of now
    n=$(reloads_ok "$admin")
    for ((i = 1; i <= reloads; i++)); do
        kill -HUP "$pid"
        wait_until 300 reloaded "$admin" $((n + i)) || die "reload $i did not finish"
    done
    PEAK=$(mib "$(rss_kib "$pid" VmHWM)")
    stop "$pid"
}

echo "$($bin --version); bench_dialog: $rounds rounds; times in microseconds (mean/median/p99)"
printf '%-6s %9s %-22s %-22s %8s %10s %10s %12s\n' knowl. "load ms" "questions us" "unrelated-dev us" \
    "check s" "RSS MiB" "peak start" "peak reload"
for f in $factors; do
    dir=$(knowledge "$f")
    read -r load q <<<"$(dialog "$dir" questions)"
    read -r _ u <<<"$(dialog "$dir" unrelated-dev)"
    c=$(check_s "$dir")
    memory "$dir"
    printf '%-6s %9s %-22s %-22s %8s %10s %10s %12s\n' "${f}x" "$load" "$q" "$u" "$c" "$RSS" "$HWM" "$PEAK"
done
