#!/bin/sh
# The core library must not see the network: no libwebsockets, no libcurl.
# Its CMake target links neither, but their headers sit in the system include
# folder, where any #include would find them; so this asks the compiler which
# headers each core source really reads (system ones included: -M), and
# fails on a network one.
#
# usage: core-includes.sh CC CORE_DIR -IDIR...
set -eu
cc=$1 core=$2
shift 2
found=0
for src in "$core"/*.c; do
    deps=$("$cc" -M "$@" "$src") || { echo "FAIL: cannot preprocess $src" >&2; exit 1; }
    bad=$(printf '%s\n' "$deps" | tr ' \\' '\n\n' | grep -E '(libwebsockets|/lws[-_]|/curl/)' || true)
    if [ -n "$bad" ]; then
        echo "FAIL: $src reads network headers, which only server/shell may use:" >&2
        printf '  %s\n' $bad >&2
        found=1
    fi
done
[ "$found" -eq 0 ] && echo "ok: no core source reads a libwebsockets or libcurl header"
exit "$found"
