#!/bin/sh
# Runs `passerelle report` on one case folder and compares what it printed
# with what the folder expects (tests/report/README.md):
#
#   log.jsonl        the staff log, also given on standard input (for --log -)
#   args             the arguments, on one line ("--log log.jsonl" is not added)
#   expected.txt     standard output, exactly
#   expected-stderr  standard error, exactly (without it or stderr-contains: empty)
#   stderr-contains  lines that standard error must contain
#   expected-status  the exit status (without the file: 0)
#   env              VAR=VALUE lines for the environment (else only PATH and LANG=C.UTF-8)
#   html-contains    lines that the written page must contain (--html report.html)
#   html-absent      lines that it must not contain, in any case
#
# In every file but expected-status, @DAY-N@ stands for the day N days before
# today (UTC) as YYYY-MM-DD, @FR-N@ for the same as DD/MM/YYYY, @ROOT@ for the
# source tree: the default period is "the last 7 days", which moves.
# usage: run-case.sh PASSERELLE CASE_DIR
set -eu
bin=$1 case=$2
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The sed script of the placeholders, days 0 to 31 ago.
n=0
: >"$work/subst.sed"
while [ $n -le 31 ]; do
    iso=$(date -u -d "$n days ago" +%Y-%m-%d)
    fr=$(date -u -d "$n days ago" +%d/%m/%Y)
    printf 's|@DAY-%d@|%s|g\ns|@FR-%d@|%s|g\n' $n "$iso" $n "$fr" >>"$work/subst.sed"
    n=$((n + 1))
done
printf 's|@ROOT@|%s|g\n' "$root" >>"$work/subst.sed"
for f in "$case"/*; do
    sed -f "$work/subst.sed" "$f" >"$work/$(basename "$f")"
done

cd "$work"
set -f # the arguments are split on spaces, never globbed
args=$(cat args)
vars=$(cat env 2>/dev/null || true)
status=0
# shellcheck disable=SC2086 # splitting args and vars is the point
env -i PATH="$PATH" LANG=C.UTF-8 ${ASAN_OPTIONS:+ASAN_OPTIONS="$ASAN_OPTIONS"} $vars \
    "$bin" report $args <log.jsonl >stdout 2>stderr || status=$?

name=$(basename "$case")
failed=0
if ! diff -u expected.txt stdout; then
    echo "FAIL: $name: standard output differs" >&2
    failed=1
fi
if [ -f expected-stderr ]; then
    if ! diff -u expected-stderr stderr; then
        echo "FAIL: $name: standard error differs" >&2
        failed=1
    fi
elif [ -f stderr-contains ]; then
    while IFS= read -r line; do
        if ! grep -qF -- "$line" stderr; then
            echo "FAIL: $name: standard error lacks: $line" >&2
            cat stderr >&2
            failed=1
        fi
    done <stderr-contains
elif [ -s stderr ]; then
    echo "FAIL: $name: unexpected standard error:" >&2
    cat stderr >&2
    failed=1
fi
want=$(cat expected-status 2>/dev/null || echo 0)
if [ "$status" != "$want" ]; then
    echo "FAIL: $name: exit status $status, expected $want" >&2
    failed=1
fi
if [ -f html-contains ]; then
    while IFS= read -r line; do
        if ! grep -qF -- "$line" report.html; then
            echo "FAIL: $name: the page lacks: $line" >&2
            failed=1
        fi
    done <html-contains
fi
if [ -f html-absent ]; then
    while IFS= read -r line; do
        if grep -qiF -- "$line" report.html; then
            echo "FAIL: $name: the page contains: $line" >&2
            grep -iF -- "$line" report.html >&2
            failed=1
        fi
    done <html-absent
fi
[ $failed = 0 ] && echo "PASS: $name"
exit $failed
