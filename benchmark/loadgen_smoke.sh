#!/bin/sh
# benchmark.loadgen-smoke: loadgen, 2 s against the echo server, must count
# answers and no error. Says nothing of speed: only that the tools work.
#   sh benchmark/loadgen_smoke.sh ECHO_SERVER LOADGEN QUESTIONS.jsonl
set -eu
echo_server=$1 loadgen=$2 set=$3
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$echo_server" --listen "127.0.0.1:$port" &
pid=$!
trap 'kill "$pid" 2>/dev/null || true' EXIT
python3 -c 'import socket, sys, time
for _ in range(250):  # 5 s: the server listens within milliseconds
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.02)
sys.exit("the echo server does not listen")' "$port"
out=$("$loadgen" --url "ws://127.0.0.1:$port/ws" --set "$set" --connections 4 --in-flight 2 \
      --seconds 2 --warmup 0.5 --tsv)
echo "$out"
echo "$out" | awk -F'\t' 'NR == 2 {
    if ($6 + 0 < 100) { print "FAIL: only " $6 " answers counted"; exit 1 }
    if ($7 + 0 != 0) { print "FAIL: " $7 " errors"; exit 1 }
    if ($8 + 0 != 4) { print "FAIL: " $8 " of 4 connections opened"; exit 1 }
    print "ok: " $6 " answers, no error" }'
