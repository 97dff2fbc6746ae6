# shellcheck shell=bash
# Helpers of the benchmark drivers (bash), sourced by server_bench.sh,
# idle_memory.sh and scaling.sh. Every process started is remembered and
# stopped on exit; temporary files live in $BENCH_TMP, removed on exit.

# The settings that lift Passerelle's per-address limits for a benchmark whose
# connections all come from 127.0.0.1 (docs/operations.md: with the defaults,
# one address holds 64 connections and gets 10 answers a second after a burst
# of 40, and one connection 1 a second after 8). max-connections stays at its
# default, 10,000, above every benchmark here.
BENCH_LIFT=(--max-connections-per-address 100000
            --rate-burst 1000000 --rate-per-second 1000000
            --address-rate-burst 1000000 --address-rate-per-second 1000000)

BENCH_TMP=$(mktemp -d "${TMPDIR:-/tmp}/passerelle-bench.XXXXXX")
BENCH_PIDS=()
bench_cleanup() {
    local pid
    for pid in "${BENCH_PIDS[@]}"; do
        kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    done
    rm -rf "$BENCH_TMP"
}
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

# Each connection is a descriptor in the server and one in the client:
# the soft limit goes as high as the hard one allows.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

die() {
    echo "$(basename "$0"): $*" >&2
    exit 1
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

now_ns() {
    date +%s%N
}

# wait_until SECONDS COMMAND...: runs COMMAND every 20 ms until it succeeds.
wait_until() {
    local deadline=$(($(date +%s) + $1))
    shift
    until "$@" >/dev/null 2>&1; do
        [ "$(date +%s)" -lt "$deadline" ] || return 1
        sleep 0.02
    done
}

port_open() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

healthy() {
    curl -fsS -o /dev/null "http://127.0.0.1:$1/healthz"
}

# start_passerelle BIN PORT ADMIN_PORT [SERVE OPTIONS...]: starts it with the
# limits lifted and waits for /healthz; sets PASSERELLE_PID. Its log and staff
# log go to $BENCH_TMP (a file, as in production; stderr would be the journal).
start_passerelle() {
    local bin=$1 port=$2 admin=$3
    shift 3
    "$bin" serve --listen "127.0.0.1:$port" --admin-listen "127.0.0.1:$admin" "${BENCH_LIFT[@]}" \
        --staff-log "$BENCH_TMP/staff-$port.jsonl" "$@" 2>"$BENCH_TMP/passerelle-$port.log" &
    PASSERELLE_PID=$!
    BENCH_PIDS+=("$PASSERELLE_PID")
    wait_until 120 healthy "$admin" ||
        die "passerelle did not start: $(cat "$BENCH_TMP/passerelle-$port.log")"
}

# stop PID: SIGTERM, then waits for it.
stop() {
    kill "$1" 2>/dev/null
    wait "$1" 2>/dev/null || true
}

# rss_kib PID [FIELD]: VmRSS (or VmHWM...) of the process, in KiB.
rss_kib() {
    awk -v f="${2:-VmRSS}:" '$1 == f {print $2}' "/proc/$1/status"
}

# bench_tools BIN [DIR]: the folder of loadgen and echo_server: DIR, else
# <build>/benchmark/ beside BIN.
bench_tools() {
    local dir=${2:-"$(dirname "$1")/benchmark"}
    { [ -x "$dir/loadgen" ] && [ -x "$dir/echo_server" ]; } ||
        die "$dir/loadgen and echo_server are missing: build first (cmake --build $(dirname "$1")), or say where they are (--tools DIR)"
    echo "$dir"
}
