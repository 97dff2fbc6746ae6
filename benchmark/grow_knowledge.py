#!/usr/bin/env python3
"""Grows the bundled knowledge to FACTOR times its intents, for the benchmarks of
how load, `check` and a turn scale with the knowledge.

    python3 benchmark/grow_knowledge.py --factor 10 --out /tmp/knowledge-10x
    time build/passerelle check --intents /tmp/knowledge-10x/intents --locales /tmp/knowledge-10x/locales
    build/benchmark/bench_dialog tests/eval/unrelated-heldout.jsonl 5 \\
        /tmp/knowledge-10x/intents /tmp/knowledge-10x/locales

The copy keeps every bundled file and adds (FACTOR - 1) x (bundled intents)
intents of its own, each with as many examples per language as a bundled
intent has on average, made of 3 to 8 words drawn from dictionaries of real
words (Debian's wfrench, wngerman, wpolish and wportuguese: /usr/share/dict/),
and, for Arabic, from the words of the bundled Arabic examples. The draw is
seeded: the same FACTOR gives the same files.
"""
import argparse
import json
import os
import random
import re
import shutil
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DICTIONARIES = {"fr": "french", "de": "ngerman", "pl": "polish", "pt": "portuguese"}
PACKAGES = "wfrench wngerman wpolish wportuguese"
WORDS_PER_EXAMPLE = (3, 8)


def dictionary(lang, intents):
    """Words of lang: a dictionary of real words, or the bundled examples' for Arabic."""
    if lang in DICTIONARIES:
        path = os.path.join("/usr/share/dict", DICTIONARIES[lang])
        if not os.path.exists(path):
            sys.exit(f"grow_knowledge: {path} is missing: install {PACKAGES} (apt-get install ...)")
        with open(path, encoding="utf-8", errors="ignore") as f:
            words = [w.strip() for w in f if re.fullmatch(r"[^\W\d_]{3,14}", w.strip())]
        return sorted(set(w.lower() for w in words))
    words = set()
    for intent in intents:
        for example in intent.get("examples", {}).get(lang, []):
            words.update(w for w in re.findall(r"[^\W\d_]{2,}", example))
    return sorted(words)


def bundled_intents():
    out = []
    for folder, _, files in os.walk(os.path.join(ROOT, "intents")):
        for name in files:
            if name.endswith(".json") and not name.endswith("schema.json") and folder != os.path.join(ROOT, "intents"):
                with open(os.path.join(folder, name), encoding="utf-8") as f:
                    out.append(json.load(f))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--factor", type=int, required=True, help="intents of the copy, as a multiple of the bundled ones")
    ap.add_argument("--out", required=True, help="a folder to create (it must not exist)")
    args = ap.parse_args()
    if args.factor < 1:
        ap.error("--factor must be 1 or more")
    if os.path.exists(args.out):
        ap.error(f"{args.out} exists")
    intents = [i for i in bundled_intents() if i.get("answers")]
    langs = sorted({l for i in intents for l in i["examples"]})
    per_intent = {l: max(1, round(sum(len(i["examples"].get(l, [])) for i in intents) / len(intents))) for l in langs}
    words = {l: dictionary(l, intents) for l in langs}
    shutil.copytree(os.path.join(ROOT, "intents"), os.path.join(args.out, "intents"))
    shutil.copytree(os.path.join(ROOT, "locales"), os.path.join(args.out, "locales"))
    grown = os.path.join(args.out, "intents", "grown")
    os.makedirs(grown)
    rng = random.Random(args.factor)
    for n in range((args.factor - 1) * len(intents)):
        examples = {}
        for l in langs:
            seen = set()
            while len(seen) < per_intent[l]:
                seen.add(" ".join(rng.choice(words[l]) for _ in range(rng.randint(*WORDS_PER_EXAMPLE))))
            examples[l] = sorted(seen)
        intent = {
            "id": f"grown.topic_{n:05d}",
            "label": {l: f"{n}" for l in langs},
            "examples": examples,
            "answers": {l: " ".join(examples[l][0].split()[:3]) for l in langs},
        }
        with open(os.path.join(grown, f"topic_{n:05d}.json"), "w", encoding="utf-8") as f:
            json.dump(intent, f, ensure_ascii=False, indent=1)
    print(f"{args.out}: {len(intents) * args.factor} intents "
          f"({len(intents)} bundled, {(args.factor - 1) * len(intents)} grown), "
          f"{sum(per_intent.values())} examples per grown intent")


if __name__ == "__main__":
    main()
