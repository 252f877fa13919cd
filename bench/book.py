#!/usr/bin/env python3
"""No slower than before: the tool against its floors, and against an older version, in one run.

    python bench/book.py --old /tmp/old/grassroots_report.py            # 3 rounds
    python bench/book.py --old OLD.py --rounds 5 --cases 356000 --rows 100000

Each round runs, in turn, as subprocesses of a fresh helper (bench/run.py):
  yaml floor     libyaml's events of the 356k-case terse ledger (bench/run.py's floor)
  summary old    OLD.py summary --format json --jobs 1 LEDGER
  summary new    grassroots_report.py summary --format json --jobs 1 LEDGER
  xlsx floor     python-calamine iterating the rows of the 100k-row export (bench/import.py's floor)
  import old     OLD.py import EXPORT --map MAP -o OUT
  import new     grassroots_report.py import EXPORT --map MAP -o OUT
and prints the best wall time of each with its ratio to its floor, measured in
the same rounds, so that a slow spell of this shared machine falls on all alike.
Without --old, only the floors and this version.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from run import DATA_DIR, FLOOR_CODE, TOOL, ensure_ledger, measure_in_rounds  # noqa: E402

import importlib  # noqa: E402

imports = importlib.import_module("import")  # bench/import.py (a keyword as a module name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", type=Path, default=None, help="an older grassroots_report.py to compare with")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cases", type=int, default=356_000)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--timeout", type=float, default=1200)
    args = parser.parse_args(argv)
    ledger = ensure_ledger(args.cases, DATA_DIR, False, terse=True)
    export = imports.ensure_export(args.rows)
    tools = {"new": TOOL} | ({"old": args.old.resolve()} if args.old else {})
    with tempfile.TemporaryDirectory() as scratch:
        map_path = Path(scratch) / "map.yaml"
        map_path.write_text(imports.MAP, encoding="utf-8")
        steps = {"yaml floor": ([sys.executable, "-c", FLOOR_CODE, str(ledger)], None)}
        for name, tool in tools.items():
            steps[f"summary {name}"] = ([sys.executable, str(tool), "summary", "--format", "json", "--jobs", "1",
                                         str(ledger)], None)
        steps["xlsx floor"] = ([sys.executable, "-c", imports.FLOOR_CODE, str(export)], None)
        for name, tool in tools.items():
            steps[f"import {name}"] = ([sys.executable, str(tool), "import", str(export), "--map", str(map_path),
                                        "-o", str(Path(scratch) / f"{name}.yaml")], None)
        results = measure_in_rounds(steps, args.rounds, args.timeout)
    print(f"{args.cases:,}-case terse ledger, {args.rows:,}-row xlsx export; best of {args.rounds} rounds")
    print("| step | best wall s | × its floor | peak RSS MB |")
    print("|---|---|---|---|")
    for name, result in results.items():
        floor = results["yaml floor" if name.startswith("summary") else "xlsx floor"]
        ratio = "" if "floor" in name or not (result.ok and floor.ok) else f"×{result.seconds / floor.seconds:.2f}"
        seconds = f"{result.seconds:.2f}" if result.ok else f"exit {result.exit_code}"
        print(f"| {name} | {seconds} | {ratio} | {result.rss_mb:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
