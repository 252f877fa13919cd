#!/usr/bin/env python3
"""What the tool's two mechanisms buy, measured: the compiled schema check and the split of one big file.

    python bench/mechanisms.py                  # 20,000 cases in process; 3 rounds of the split
    python bench/mechanisms.py --cases 356000 --rounds 3 --no-split

1. The compiled schema check (SchemaCompiler): a valid case is confirmed by a
   predicate compiled once from schema.yaml; without it, jsonschema's own
   is_valid would run on every case.  Both run in this process over the same
   cases (the first --sample cases of the 356k-case terse ledger, read by the
   tool's own loader), best of 5; the two must agree on every case.
2. The split of one big file (--jobs 2 on a single ledger): `summary --jobs 1`
   against `--jobs 2` on the 356k-case ledger, in rounds (bench/run.py), outputs
   held equal.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))
from run import DATA_DIR, TOOL, ensure_ledger, measure_in_rounds  # noqa: E402

import grassroots_report as gr  # noqa: E402


def sample_cases(ledger: Path, count: int) -> list[dict]:
    """The first `count` cases of a ledger, as the tool's loader builds them."""
    cases = []
    reader = gr.FileReader(gr.Source(str(ledger), 0, ledger), "zh", None)
    items = reader.items()
    for item in items:
        if isinstance(item, gr.CaseItem):
            cases.append(item.data)
            if len(cases) >= count:
                break
    items.close()
    return cases


def best_seconds(check, cases: list[dict], repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for case in cases:
            check(case)
        best = min(best, time.perf_counter() - start)
    return best


def schema_compiler(ledger: Path, sample: int, cases_in_ledger: int) -> None:
    cases = sample_cases(ledger, sample)
    validators = gr.Validators()
    compiled, checked = validators.case_is_valid, validators.case.is_valid
    assert all(compiled(c) == checked(c) for c in cases), "the compiled check and jsonschema disagree"
    ours, theirs = best_seconds(compiled, cases), best_seconds(checked, cases)
    per_ours, per_theirs = ours / len(cases) * 1e6, theirs / len(cases) * 1e6
    print(f"schema check of {len(cases):,} valid cases, best of 5:")
    print(f"  compiled (SchemaCompiler) {per_ours:.1f} µs a case; jsonschema is_valid {per_theirs:.1f} µs a case "
          f"(×{per_theirs / per_ours:.0f})")
    print(f"  on {cases_in_ledger:,} cases: {per_ours * cases_in_ledger / 1e6:.1f} s against "
          f"{per_theirs * cases_in_ledger / 1e6:.1f} s")


def split(ledger: Path, rounds: int) -> None:
    steps = {f"--jobs {n}": ([sys.executable, str(TOOL), "summary", "--format", "json", "--jobs", str(n),
                              str(ledger)], None) for n in (1, 2)}
    results = measure_in_rounds(steps, rounds, 1800)
    one, two = results["--jobs 1"], results["--jobs 2"]
    print(f"summary of the {ledger.name} ({ledger.stat().st_size / 1e6:.0f} MB), best of {rounds} rounds:")
    print(f"  --jobs 1 {one.seconds:.2f} s, {one.rss_mb:.0f} MB; --jobs 2 (split in two) {two.seconds:.2f} s, "
          f"{two.rss_mb:.0f} MB: ×{one.seconds / two.seconds:.2f} faster")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=356_000)
    parser.add_argument("--sample", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-split", action="store_true")
    args = parser.parse_args(argv)
    ledger = ensure_ledger(args.cases, DATA_DIR, False, terse=True)
    schema_compiler(ledger, args.sample, args.cases)
    if not args.no_split:
        split(ledger, args.rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
