#!/usr/bin/env bash
# Passerelle's server against its ceiling (a bare libwebsockets echo server)
# and against NLP.js served by Node, in one run, with the same load generator:
#
#   benchmark/server_bench.sh [--bin build/passerelle] [--tools build/benchmark]
#       [--seconds 10] [--warmup 2]
#       [--connections "50 1000"] [--in-flight 1] [--threads 1]
#       [--sets "tests/eval/questions.jsonl tests/eval/unrelated-dev.jsonl"]
#       [--no-nlpjs] [-- PASSERELLE SERVE OPTIONS...]
#
# Each server in turn (Passerelle; Passerelle with --workers 1 and --workers 2
# when it has that setting; the echo server; NLP.js when
# benchmark/nlpjs has its packages) is started alone on a free loopback port,
# then build/benchmark/loadgen runs against it for each set and each number of
# connections. Prints one table: answers per second, median and p99 latency
# and errors, then the ratios Passerelle/echo and Passerelle/NLP.js. Options
# after -- go to every `passerelle serve`. Passerelle's per-address limits are
# lifted (lib.sh, BENCH_LIFT). A measurement: exit 0 whatever the figures.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
# shellcheck source=benchmark/lib.sh
. "$here/lib.sh"

bin=build/passerelle tools="" seconds=10 warmup=2 connections="50 1000" in_flight=1 threads=1 nlpjs=1
sets="tests/eval/questions.jsonl tests/eval/unrelated-dev.jsonl"
extra=()
while [ $# -gt 0 ]; do
    case $1 in
    --bin) bin=$2; shift 2 ;;
    --tools) tools=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --in-flight) in_flight=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --sets) sets=$2; shift 2 ;;
    --no-nlpjs) nlpjs=0; shift ;;
    --) shift; extra=("$@"); break ;;
    *) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
    esac
done
[ -x "$bin" ] || die "$bin is not built (cmake -S . -B build && cmake --build build)"
tools=$(bench_tools "$bin" "$tools")
results=$BENCH_TMP/results.tsv
: >"$results"

# measure LABEL PORT: loadgen against ws://127.0.0.1:PORT/ws for every set
# and number of connections; one line of $results each.
measure() {
    local label=$1 port=$2 set n out
    for set in $sets; do
        for n in $connections; do
            out=$("$tools/loadgen" --url "ws://127.0.0.1:$port/ws" --set "$root/$set" \
                --connections "$n" --in-flight "$in_flight" --threads "$threads" \
                --seconds "$seconds" --warmup "$warmup" --tsv 2>/dev/null | tail -1)
            printf '%s\t%s\t%s\t%s\n' "$label" "$(basename "$set" .jsonl)" "$n" "$out" >>"$results"
            echo "  $label, $(basename "$set"), $n connections: $(cut -f1 <<<"$out") answers/s" >&2
        done
    done
}

bench_passerelle() {
    local label=$1 port admin
    shift
    port=$(free_port) admin=$(free_port)
    echo "$label: passerelle serve $* ${extra[*]}" >&2
    start_passerelle "$bin" "$port" "$admin" "$@" "${extra[@]}"
    measure "$label" "$port"
    stop "$PASSERELLE_PID"
}

bench_echo() {
    local port pid
    port=$(free_port)
    echo "echo: $tools/echo_server" >&2
    "$tools/echo_server" --listen "127.0.0.1:$port" &
    pid=$!
    BENCH_PIDS+=("$pid")
    wait_until 10 port_open "$port" || die "the echo server did not start"
    measure echo "$port"
    stop "$pid"
}

bench_nlpjs() {
    local port pid
    if [ ! -d "$here/nlpjs/node_modules/ws" ] || [ ! -d "$here/nlpjs/node_modules/node-nlp" ]; then
        echo "NLP.js: skipped (npm ci --prefix benchmark/nlpjs first)" >&2
        return
    fi
    port=$(free_port)
    echo "NLP.js: node benchmark/nlpjs/serve.mjs (training...)" >&2
    node "$here/nlpjs/serve.mjs" --bin "$bin" --port "$port" "${extra_knowledge[@]}" \
        >"$BENCH_TMP/nlpjs.log" 2>&1 &
    pid=$!
    BENCH_PIDS+=("$pid")
    wait_until 300 grep -q ready "$BENCH_TMP/nlpjs.log" || die "NLP.js did not start: $(cat "$BENCH_TMP/nlpjs.log")"
    measure NLP.js "$port"
    stop "$pid"
}

# NLP.js learns the knowledge Passerelle serves: --intents/--locales passed after -- go to both.
extra_knowledge=()
for ((i = 0; i < ${#extra[@]}; i++)); do
    case ${extra[i]} in --intents | --locales) extra_knowledge+=("${extra[i]}" "${extra[i + 1]}") ;; esac
done

echo "$($bin --version), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)," \
    "open-file limit $(ulimit -n); $seconds s per measure after $warmup s of warm-up" >&2
bench_passerelle Passerelle
# --workers: in `serve --help`, or a setting that --print-config lists.
# (Read whole before grep: grep -q stopping early would break the pipe, and pipefail.)
if grep -q -e --workers -e '^workers *=' <<<"$("$bin" serve --help 2>&1; "$bin" serve --print-config 2>/dev/null)"; then
    bench_passerelle "Passerelle-w1" --workers 1
    bench_passerelle "Passerelle-w2" --workers 2
else
    echo "(passerelle serve has no --workers option: one configuration only)" >&2
fi
bench_echo
[ "$nlpjs" = 1 ] && bench_nlpjs

awk -F'\t' -f "$here/server_table.awk" "$results"
