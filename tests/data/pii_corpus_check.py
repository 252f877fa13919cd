"""Check the labelled personal-data corpora pii_tune.yaml and pii_holdout.yaml.

    python3 tests/data/pii_corpus_check.py

Checks that every span text occurs in its snippet, that kinds are known, that
18-digit ID numbers have a real birth date and a correct check digit (15-digit
ones a real birth date), that bank cards pass Luhn, and that labelled names
do not overlap the cue-free anonymous forms (王某).  Prints a table of counts
per kind per file and exits non-zero on any error.
"""
import datetime
import re
import sys
from collections import Counter
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
# the tuning half, the held-out half, and the sets written blind (by helpers who never read the rules)
FILES = [f for f in ["pii_tune.yaml", "pii_holdout.yaml", "pii_blind.yaml", "pii_final.yaml", "pii_last.yaml"]
         if (HERE / f).exists()]
HALVES = ("pii_tune.yaml", "pii_holdout.yaml")  # the size: each >= 300 snippets, >= 80 clean
KINDS = ["name", "phone", "id", "card", "email", "plate", "address",
         "wechat", "qq", "passport", "permit", "gps"]
WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def id_ok(s):
    if len(s) == 18:
        if not re.fullmatch(r"\d{17}[\dX]", s):
            return "not 17 digits + digit/X"
        check = "10X98765432"[sum(int(c) * w for c, w in zip(s[:17], WEIGHTS)) % 11]
        if s[17] != check:
            return f"check digit {s[17]} != {check}"
        y, m, d = int(s[6:10]), int(s[10:12]), int(s[12:14])
    elif len(s) == 15:
        if not s.isdigit():
            return "not 15 digits"
        y, m, d = 1900 + int(s[6:8]), int(s[8:10]), int(s[10:12])
    else:
        return f"length {len(s)}"
    try:
        born = datetime.date(y, m, d)
    except ValueError:
        return "no such birth date"
    if not (datetime.date(1900, 1, 1) <= born <= datetime.date.today()):
        return "birth date out of range"
    return None


def luhn_ok(s):
    digits = re.sub(r"[ -]", "", s)
    if not digits.isdigit() or not 13 <= len(digits) <= 19:
        return False
    tot = 0
    for i, c in enumerate(reversed(digits)):
        n = int(c)
        if i % 2:
            n *= 2
            if n > 9:
                n -= 9
        tot += n
    return tot % 10 == 0


def check(path):
    errors = []
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(entries, list):
        return None, [f"{path.name}: top level is not a list"]
    kinds = Counter()
    clean = 0
    texts = Counter(e.get("text") for e in entries)
    for t, n in texts.items():
        if n > 1:
            errors.append(f"{path.name}: duplicate snippet {t!r}")
    for i, e in enumerate(entries):
        where = f"{path.name}[{i}]"
        text = e.get("text")
        spans = e.get("spans")
        if not isinstance(text, str) or not text:
            errors.append(f"{where}: no text")
            continue
        if not isinstance(spans, list):
            errors.append(f"{where}: spans is not a list")
            continue
        if not spans:
            clean += 1
        seen = set()
        for s in spans:
            kind, st = s.get("kind"), s.get("text")
            if kind not in KINDS:
                errors.append(f"{where}: unknown kind {kind!r}")
            if not isinstance(st, str) or not st:
                errors.append(f"{where}: span without text")
                continue
            if st not in text:
                errors.append(f"{where}: span {st!r} not in text {text!r}")
            if (kind, st) in seen:
                errors.append(f"{where}: span {st!r} listed twice")
            seen.add((kind, st))
            kinds[kind] += 1
            if kind == "id" and (why := id_ok(st)):
                errors.append(f"{where}: id {st}: {why}")
            if kind == "card" and not luhn_ok(st):
                errors.append(f"{where}: card {st} fails Luhn")
            if kind == "name" and re.search(r"某", st):
                errors.append(f"{where}: {st!r} is already anonymous, should not be labelled")
    return dict(n=len(entries), clean=clean, kinds=kinds,
                tags=Counter(t for e in entries for t in e.get("tags", []))), errors


def main():
    stats, errors = {}, []
    for f in FILES:
        s, errs = check(HERE / f)
        errors += errs
        if s:
            stats[f] = s
    cols = list(stats)
    w = 10
    print(f"{'':16}" + "".join(f"{c.replace('.yaml', ''):>{w + 4}}" for c in cols))
    print(f"{'snippets':16}" + "".join(f"{stats[c]['n']:>{w + 4}}" for c in cols))
    print(f"{'clean (no PII)':16}" + "".join(f"{stats[c]['clean']:>{w + 4}}" for c in cols))
    for k in KINDS:
        print(f"{'span ' + k:16}" + "".join(f"{stats[c]['kinds'][k]:>{w + 4}}" for c in cols))
    tags = sorted({t for c in cols for t in stats[c]["tags"]})
    if tags:
        print("snippets per tag:")
        for t in tags:
            print(f"  {t:14}" + "".join(f"{stats[c]['tags'][t]:>{w + 4}}" for c in cols))
    for c in cols:
        if c in HALVES and (stats[c]["n"] < 300 or stats[c]["clean"] < 80):
            errors.append(f"{c}: needs >=300 snippets and >=80 clean ones")

    def names(c):
        d = yaml.safe_load((HERE / c).read_text(encoding="utf-8"))
        return {s["text"] for e in d for s in e["spans"] if s["kind"] == "name"}
    for i, first in enumerate(cols):
        for second in cols[i + 1:]:
            shared = names(first) & names(second)
            print(f"names in both {first} and {second}: {len(shared)} {sorted(shared)[:10]}")
    for e in errors:
        print("ERROR", e)
    print("OK" if not errors else f"{len(errors)} errors")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
