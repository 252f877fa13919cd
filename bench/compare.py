#!/usr/bin/env python3
"""Two versions of the tool on one ledger, in turn, round after round.

    python bench/compare.py OLD.py NEW.py LEDGER [--rounds 5] [-- COMMAND...]

Runs `python OLD.py COMMAND LEDGER`, then the same with NEW.py, --rounds
times (COMMAND defaults to `summary --format json`), and prints each run's
wall time, CPU time (user + sys) and peak RSS, then the best of each and the
ratios NEW / OLD.  In turn, because on a shared machine a slow spell then
falls on both versions alike; `bench/run.py` runs one version at a time.

For the old version, check out its commit into a folder of its own, e.g.
`git archive fbf65a3 | tar -x -C /tmp/old`.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time


def run(tool: str, command: list[str], ledger: str) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds and peak RSS (MB) of one run; stops on a failure."""
    start = time.perf_counter()
    child = subprocess.Popen([sys.executable, tool, *command, ledger], stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status):
        sys.exit(f"{tool} {' '.join(command)} {ledger}: exit {os.waitstatus_to_exitcode(status)}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    command = ["summary", "--format", "json"]
    if "--" in argv:
        command = argv[argv.index("--") + 1:]
        argv = argv[:argv.index("--")]
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("old")
    parser.add_argument("new")
    parser.add_argument("ledger")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    runs: dict[str, list[tuple[float, float, float]]] = {"old": [], "new": []}
    for round_number in range(1, args.rounds + 1):
        for name, tool in (("old", args.old), ("new", args.new)):
            wall, cpu, rss = run(tool, command, args.ledger)
            runs[name].append((wall, cpu, rss))
            print(f"round {round_number} {name}: wall {wall:.2f} s, cpu {cpu:.2f} s, peak RSS {rss:.0f} MB", flush=True)
    best = {name: (min(r[0] for r in rs), min(r[1] for r in rs), max(r[2] for r in rs)) for name, rs in runs.items()}
    for name, (wall, cpu, rss) in best.items():
        print(f"{name}: best wall {wall:.2f} s, best cpu {cpu:.2f} s, peak RSS {rss:.0f} MB")
    print(f"new / old: wall {best['new'][0] / best['old'][0]:.3f}, cpu {best['new'][1] / best['old'][1]:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
