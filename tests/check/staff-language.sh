#!/bin/sh
# The language `passerelle check` speaks to staff: French unless --lang or the
# locale (LC_ALL, else LC_MESSAGES, else LANG) says English; the same in
# --json; and, when its catalog cannot be read, the message ids with their
# arguments and one note that says so, never a crash; the server's log the
# same. One broken case (an id given twice) is checked under each setting.
# usage: staff-language.sh PASSERELLE
set -eu
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -R "$here/base/intents" "$here/base/locales" "$work/"
cp "$here/cases/duplicate-id/intents/demo/sopot.json" "$work/intents/demo/sopot.json"
unset LC_ALL LC_MESSAGES LANG

fr='intents/demo/sopot.json:3:9: l’identifiant "demo.hello" est déjà celui d’une autre intention (intents/demo/hello.json:3:9) : donnez à celle-ci un identifiant qui lui est propre'
en='intents/demo/sopot.json:3:9: duplicate id "demo.hello" (first defined at intents/demo/hello.json:3:9)'
raw='intents/demo/sopot.json:3:9: intent.duplicate_id (id="demo.hello", where="intents/demo/hello.json:3:9")'
failures=0

# expect NAME WANT_LINE WANT_STATUS ENV... -- ARGS...: runs check in env, compares
# the first line of stdout and the exit status.
expect() {
    name=$1 want=$2 want_status=$3
    shift 3
    vars=""
    while [ "$1" != "--" ]; do vars="$vars $1"; shift; done
    shift
    status=0
    got=$(cd "$work" && env $vars "$check" check "$@" --intents intents --locales locales \
        2>"$work/stderr" | head -n 1) || true
    (cd "$work" && env $vars "$check" check "$@" --intents intents --locales locales \
        >/dev/null 2>&1) || status=$?
    if [ "$got" != "$want" ] || [ "$status" != "$want_status" ]; then
        echo "not ok - $name: status $status (expected $want_status)" >&2
        echo "   got:      $got" >&2
        echo "   expected: $want" >&2
        failures=$((failures + 1))
    else
        echo "ok - $name"
    fi
}

check=$bin
#      name                                  first line status environment -- flags
expect "nothing set: French"                 "$fr" 1 --
expect "LANG=en_US.UTF-8: English"           "$en" 1 LANG=en_US.UTF-8 --
expect "LANG=fr_FR.UTF-8: French"            "$fr" 1 LANG=fr_FR.UTF-8 --
expect "LANG=C.UTF-8: French"                "$fr" 1 LANG=C.UTF-8 --
expect "LC_MESSAGES=en over LANG=fr"         "$en" 1 LC_MESSAGES=en_GB.UTF-8 LANG=fr_FR.UTF-8 --
expect "LC_ALL=fr over LC_MESSAGES=en"       "$fr" 1 LC_ALL=fr_FR.UTF-8 LC_MESSAGES=en_GB.UTF-8 --
expect "--lang en over LANG=fr"              "$en" 1 LANG=fr_FR.UTF-8 -- --lang en
expect "--lang fr over LC_ALL=en"            "$fr" 1 LC_ALL=en_US.UTF-8 -- --lang fr
expect "--lang de: usage error"              ""    2 -- --lang de

# The last line says how it went, in the same language.
(cd "$work" && "$check" check --intents intents --locales locales 2>&1 >/dev/null || true) >"$work/summary"
if [ "$(tail -n 1 "$work/summary")" = "erreurs : 1, avertissements : 0" ]; then
    echo "ok - French summary"
else
    echo "not ok - French summary: $(tail -n 1 "$work/summary")" >&2
    failures=$((failures + 1))
fi

# --json: the machine fields, and the message in the chosen language.
json_has() {
    name=$1 pattern=$2
    shift 2
    if (cd "$work" && "$check" check --json "$@" --intents intents --locales locales 2>/dev/null || true) |
        grep -qF -- "$pattern"; then
        echo "ok - $name"
    else
        echo "not ok - $name: no line with $pattern" >&2
        failures=$((failures + 1))
    fi
}
json_has "--json: code"            '"code": "duplicate_id",'
json_has "--json: message id"      '"message_id": "intent.duplicate_id",'
json_has "--json: arguments"       '"id": "demo.hello",'
json_has "--json: French message"  '"message": "l’identifiant \"demo.hello\" est déjà celui'
json_has "--json --lang en"        '"message": "duplicate id \"demo.hello\" (first defined at' --lang en

# A catalog that cannot be read: the program installed beside a share folder
# whose catalogs are broken (French) and missing (English).
mkdir -p "$work/inst/bin" "$work/inst/share/passerelle/intents" \
    "$work/inst/share/passerelle/locales/staff"
cp "$bin" "$work/inst/bin/passerelle"
printf '{"intent.duplicate_id": "broken' >"$work/inst/share/passerelle/locales/staff/check.fr.json"
check=$work/inst/bin/passerelle
expect "broken catalog: ids and arguments"   "$raw" 1 --
expect "missing catalog: ids and arguments"  "$raw" 1 -- --lang en
(cd "$work" && "$check" check --intents intents --locales locales 2>&1 >/dev/null || true) >"$work/notes"
notes=$(grep -c 'cannot read the message catalog' "$work/notes" || true)
if [ "$notes" = 1 ] && grep -q 'check.fr.json' "$work/notes"; then
    echo "ok - broken catalog: said once"
else
    echo "not ok - broken catalog: said $notes times:" >&2
    cat "$work/notes" >&2
    failures=$((failures + 1))
fi

# The server writes the problems of a knowledge it cannot load (and of a
# broken reload, through the same catalog) as check does: from the staff
# folder of its locales, in the language of its environment.
serve_says() {
    name=$1 want=$2
    shift 2
    got=$(cd "$work" && env "$@" "$bin" serve --listen 127.0.0.1:0 --admin-listen 127.0.0.2:0 \
        --intents intents --locales locales 2>&1 | grep '^intents/' | head -n 1) || true
    if [ "$got" = "$want" ]; then
        echo "ok - $name"
    else
        echo "not ok - $name: $got" >&2
        failures=$((failures + 1))
    fi
}
serve_says "serve, no catalog in its locales: ids" "$raw" LANG=C.UTF-8
mkdir -p "$work/locales/staff"
cp "$here/../../locales/staff/check.fr.json" "$here/../../locales/staff/check.en.json" "$work/locales/staff/"
serve_says "serve: French"                         "$fr"  LANG=C.UTF-8
serve_says "serve, LANG=en_US.UTF-8: English"      "$en"  LANG=en_US.UTF-8

[ "$failures" = 0 ]
