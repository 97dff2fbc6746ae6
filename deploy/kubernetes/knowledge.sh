#!/bin/sh
# The knowledge as the two ConfigMaps that deployment.yaml mounts, written as YAML:
#
#   deploy/kubernetes/knowledge.sh [FOLDER] | kubectl apply --server-side -f -
#
# FOLDER holds intents/ and locales/ (default: those of this repository). Run it again after
# every edit: the kubelet swaps the files in the pods (within a minute or so), and the servers
# load them (docs/deployment.md). Only kubectl is needed (or $KUBECTL), no cluster
# (--dry-run=client).
#
# ConfigMap keys cannot hold a "/": a file's path below its folder is its key with "/" written
# "." (intents/partner/sopot.json is partner.sopot.json). The intents are read from every file of
# their folder whatever its name, so the pods get them flat; the locales keep their layout
# through the items of deployment.yaml. Server-side apply: the intents are over the 256 kB that
# a client-side apply can store in its annotation.
set -eu

root=${1:-"$(dirname "$0")/../.."}
for dir in "$root/intents" "$root/locales"; do
    [ -d "$dir" ] || { echo "knowledge.sh: no folder $dir" >&2; exit 1; }
done

# configmap NAME DIR: the .json files below DIR (schemas left out: the server does not read
# them), one key each.
configmap() {
    name=$1 dir=$2
    files=$(cd "$dir" && find . -type f -name '*.json' ! -name '*schema.json' | sed 's|^\./||' | LC_ALL=C sort)
    set --
    for f in $files; do
        set -- "$@" "--from-file=$(printf '%s' "$f" | tr / .)=$dir/$f"
    done
    "${KUBECTL:-kubectl}" create configmap "$name" --dry-run=client -o yaml "$@"
}

configmap passerelle-intents "$root/intents"
echo ---
configmap passerelle-locales "$root/locales"
