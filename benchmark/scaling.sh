#!/usr/bin/env bash
# How Passerelle scales with the knowledge: for the bundled knowledge and
# knowledge grown 10x and 50x (grow_knowledge.py), prints
#   - load+index time and the time per question (mean, median, p99) of the
#     matcher, in process (bench_dialog), on tests/eval/questions.jsonl and
#     tests/eval/unrelated-dev.jsonl;
#   - the wall time of `passerelle check`;
#   - the server's memory: VmRSS once started, VmHWM (its peak) at start, and
#     the peak during --reloads forced reloads (SIGHUP) of the files as they
#     are, then during as many reloads each after an edit adding one French
#     example (what an editor does), each measured from the peak reset to the
#     RSS of then (echo 5 > /proc/PID/clear_refs); and how many languages an
#     edit's reload built again, on average (the others are shared with the
#     knowledge in service).
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

languages_built() { # 0 from a server that does not count them
    curl -fsS "http://127.0.0.1:$1/metrics" |
        awk '/^passerelle_reload_languages_total\{result="built"\}/ {n = $2} END {print n + 0}'
}

# add_example DIR N: appends a French example to the first intent file (in
# name order) that has French examples.
add_example() {
    python3 - "$1/intents" "$2" <<'PY'
import json, os, sys
root, n = sys.argv[1], sys.argv[2]
for folder, dirs, files in sorted(os.walk(root)):
    dirs.sort()
    for name in sorted(files):
        path = os.path.join(folder, name)
        try:
            with open(path, encoding="utf-8") as f:
                doc = json.load(f)
        except ValueError:
            continue
        examples = doc.get("examples") if isinstance(doc, dict) else None
        if isinstance(examples, dict) and examples.get("fr"):
            examples["fr"].append("c'est quoi le jumelage avec sopot, question %s" % n)
            with open(path, "w", encoding="utf-8") as f:
                json.dump(doc, f, ensure_ascii=False, indent=2)
            sys.exit(0)
sys.exit("no intent with French examples in " + root)
PY
}

# peak_over PID ADMIN [edit]: VmHWM over --reloads SIGHUP reloads, in MiB,
# from the RSS of now; with edit, each after add_example.
peak_over() {
    local pid=$1 admin=$2 n i
    echo 5 >"/proc/$pid/clear_refs" # VmHWM starts again from the RSS of now
    n=$(reloads_ok "$admin")
    for ((i = 1; i <= reloads; i++)); do
        [ "${3:-}" = edit ] && add_example "$MEMORY_DIR" "$i"
        kill -HUP "$pid"
        wait_until 300 reloaded "$admin" $((n + i)) || die "reload $i did not finish"
    done
    mib "$(rss_kib "$pid" VmHWM)"
}

reloaded() { # reloaded ADMIN_PORT N: at least N reloads done
    [ "$(reloads_ok "$1")" -ge "$2" ]
}

mib() {
    awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'
}

# memory DIR: sets RSS (once started), HWM (peak at start), PEAK (during the
# reloads of the files as they are), EDITED (during the reloads after an
# edit each) in MiB, and BUILT (languages those built). On a copy of DIR, which
# the edits change. Not in a subshell: the server must stay in BENCH_PIDS.
memory() {
    local port admin pid built
    MEMORY_DIR=$BENCH_TMP/memory
    rm -rf "$MEMORY_DIR" && mkdir -p "$MEMORY_DIR"
    cp -R "$1/intents" "$1/locales" "$MEMORY_DIR/"
    port=$(free_port) admin=$(free_port)
    start_passerelle "$bin" "$port" "$admin" --intents "$MEMORY_DIR/intents" \
        --locales "$MEMORY_DIR/locales"
    pid=$PASSERELLE_PID
    sleep 1
    RSS=$(mib "$(rss_kib "$pid")") HWM=$(mib "$(rss_kib "$pid" VmHWM)")
    PEAK=$(peak_over "$pid" "$admin")
    built=$(languages_built "$admin")
    EDITED=$(peak_over "$pid" "$admin" edit)
    BUILT=$(awk -v n=$(($(languages_built "$admin") - built)) -v r="$reloads" \
        'BEGIN {printf "%.1f", n / r}')
    stop "$pid"
}

echo "$($bin --version); bench_dialog: $rounds rounds; times in microseconds (mean/median/p99)"
printf '%-6s %9s %-22s %-22s %8s %10s %10s %12s %10s %8s\n' knowl. "load ms" "questions us" \
    "unrelated-dev us" "check s" "RSS MiB" "peak start" "peak reload" "peak edit" "rebuilt"
for f in $factors; do
    dir=$(knowledge "$f")
    read -r load q <<<"$(dialog "$dir" questions)"
    read -r _ u <<<"$(dialog "$dir" unrelated-dev)"
    c=$(check_s "$dir")
    memory "$dir"
    printf '%-6s %9s %-22s %-22s %8s %10s %10s %12s %10s %8s\n' "${f}x" "$load" "$q" "$u" "$c" \
        "$RSS" "$HWM" "$PEAK" "$EDITED" "$BUILT"
done
