"""Scoring masking against a labelled corpus (tests/data/pii_tune.yaml, pii_holdout.yaml).

A labelled span counts as printed when it survives masking: its text is still in the
output, or, for the kinds made of digits, a run of six or more of its digits is (an ID
number's first six, its region, may stay: 370404********1234 is the usual masked form).  A clean
snippet counts as changed when the output differs from it at all.
"""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Callable

import yaml

DATA = Path(__file__).parent / "data"
DIGIT_KINDS = {"phone", "id", "card", "qq", "passport", "permit", "gps"}


def load(name: str) -> list[dict]:
    return yaml.safe_load((DATA / name).read_text(encoding="utf-8"))


def printed(span: dict, output: str) -> bool:
    """Whether a labelled span survives in the masked output."""
    text = span["text"]
    if text in output:
        return True
    if span["kind"] in DIGIT_KINDS:
        digits = re.sub(r"\D", "", text.translate({c: c - 0xFEE0 for c in range(0xFF10, 0xFF1A)}))
        # an ID number keeps its region code (the first six digits) when masked, as the convention is
        first = 1 if span["kind"] == "id" else 0
        runs = [digits[i:i + 6] for i in range(first, max(len(digits) - 5, 0))]
        shown = re.findall(r"\d+", output.translate({c: c - 0xFEE0 for c in range(0xFF10, 0xFF1A)}))
        return any(run in number for run in runs for number in shown)
    return False


def overmasked(span: dict, text: str, output: str, mask_name: Callable[[str], str]) -> bool:
    """Whether masking a name took the character after it too (王建上门 -> 王某某门)."""
    at = text.find(span["text"])
    after = text[at + len(span["text"]):at + len(span["text"]) + 1]
    return bool(after) and span["text"] not in output and mask_name(span["text"]) + after not in output


def score(entries: list[dict], mask: Callable[[str], str], mask_name: Callable[[str], str] | None = None) -> dict:
    """Spans per kind and how many were printed; clean snippets and how many changed; the misses;
    with `mask_name`, the names whose masking swallowed the next character."""
    total, leaked = Counter(), Counter()
    clean = changed = swallowed = 0
    misses: list[tuple[str, str, str]] = []
    for entry in entries:
        output = mask(entry["text"])
        if not entry["spans"]:
            clean += 1
            if output != entry["text"]:
                changed += 1
                misses.append(("clean", entry["text"], output))
            continue
        for span in entry["spans"]:
            total[span["kind"]] += 1
            if printed(span, output):
                leaked[span["kind"]] += 1
                misses.append((span["kind"], span["text"], output))
            elif mask_name is not None and span["kind"] == "name" and overmasked(span, entry["text"], output,
                                                                                 mask_name):
                swallowed += 1
                misses.append(("swallowed", span["text"], output))
    return {"total": total, "leaked": leaked, "clean": clean, "changed": changed, "swallowed": swallowed,
            "misses": misses}


def table(result: dict) -> str:
    lines = ["| kind | spans | printed | share |", "|---|---|---|---|"]
    for kind in sorted(result["total"]):
        n, bad = result["total"][kind], result["leaked"][kind]
        lines.append(f"| {kind} | {n} | {bad} | {bad / n:.1%} |")
    lines.append(f"| clean snippets changed | {result['clean']} | {result['changed']} | "
                 f"{result['changed'] / max(result['clean'], 1):.1%} |")
    names = result["total"]["name"]
    lines.append(f"| names masked with the next character | {names} | {result['swallowed']} | "
                 f"{result['swallowed'] / max(names, 1):.1%} |")
    return "\n".join(lines)
