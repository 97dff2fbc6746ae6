#!/bin/sh
# Runs `passerelle check` on one case: the base knowledge with the case's files
# laid over it, then compares the output and exit status with the case's
# expected-output (the messages in English, --lang en), expected-output.fr
# (in French, the language check speaks when nothing says otherwise) and
# expected-status files, and the codes of the problems (`check --json`, in
# order) with expected-codes: the codes are what tools rely on, the sentences
# are for people and may be reworded.
# usage: run-case.sh PASSERELLE CASE_DIR
set -eu
# The staff's language comes from the locale when --lang does not say it.
unset LC_ALL LC_MESSAGES LANG
bin=$1 case=$2
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -R "$here/base/intents" "$here/base/locales" "$work/"
(cd "$case" && find . -type f ! -name 'expected-*' -exec sh -c 'mkdir -p "$1/$(dirname "$2")" && cp "$2" "$1/$2"' _ "$work" {} \;)
status=0
(cd "$work" && "$bin" check --lang en --intents intents --locales locales >output 2>/dev/null) || status=$?
if ! diff -u "$case/expected-output" "$work/output"; then
    echo "FAIL: $(basename "$case"): output differs" >&2
    exit 1
fi
(cd "$work" && "$bin" check --intents intents --locales locales >output.fr 2>/dev/null) || true
if ! diff -u "$case/expected-output.fr" "$work/output.fr"; then
    echo "FAIL: $(basename "$case"): French output differs" >&2
    exit 1
fi
(cd "$work" && "$bin" check --json --intents intents --locales locales 2>/dev/null || true) |
    sed -n 's/^ *"code": "\([a-z_]*\)",$/\1/p' >"$work/codes"
if ! diff -u "$case/expected-codes" "$work/codes"; then
    echo "FAIL: $(basename "$case"): codes differ" >&2
    exit 1
fi
want=$(cat "$case/expected-status")
if [ "$status" != "$want" ]; then
    echo "FAIL: $(basename "$case"): exit status $status, expected $want" >&2
    exit 1
fi
