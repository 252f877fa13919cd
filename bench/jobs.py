#!/usr/bin/env python3
"""Benchmark `summary --jobs 2` (and partials merged) against `--jobs 1` over six counties.

    python bench/jobs.py                          # six 12,000-case ledgers, 3 rounds
    python bench/jobs.py --merge                  # and the map/reduce path: partials, then merge
    python bench/jobs.py --cases 2000 --repeat 1 --tool grassroots-report

It writes six ledgers with bench/gen_ledger.py into bench/.data/ (kept between
runs, rewritten when gen_ledger.py is newer, or always with --regen), one per
county of 聊城市 (东阿县, 阳谷县, 莘县, 茌平区, 冠县, 高唐县), each with its own
--seed and --id-prefix, so the six never share an id.  Then it times, each as
its own subprocess, in rounds:

  floor     libyaml events of the six files, one after the other, in one
            process (bench/run.py's floor, over six files): the least a
            PyYAML-based tool can cost when it reads them in turn
  jobs 1    grassroots_report.py summary F1 ... F6 --format json --jobs 1
  jobs N    the same with --jobs N (--jobs, default 2)
  merge     with --merge: `summary Fi --format partial > Fi.partial` for the
            six files through `xargs -P N`, then `merge *.partial --format json`
            (what a batch engine would do with the counties)

The tool is run as `python grassroots_report.py`, as bench/run.py runs it;
`--tool CMD` runs CMD instead (e.g. `--tool grassroots-report`, the installed
command).  Every stdout is held to the first `--jobs 1` stdout byte for byte:
a difference is a failure, both outputs are kept in the data dir, and the
script exits 1.  So does any failed run.  A tool without `--jobs` (or, with
--merge, without `merge`) is reported in one line, before anything is timed.

Printed: a Markdown table of the best wall time of each (and its ratio to the
floor of the same rounds) and its peak RSS, then the speed-up jobs 1 / jobs N
(the goal is 1.5 or more with two cores).  The speed-up is a ratio to read,
not asserted: on a busy machine it says so.  Peak RSS is that of the largest
single process of the command (os.wait4 sees the maximum over a process and
the children it reaped), not the sum of the workers running at once.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from run import DATA_DIR, Measurement, failure, failure_detail, generated, log, measure_in_rounds, rss_cell, \
    time_cell, tool  # noqa: E402

# (jurisdiction, id prefix, seed): ASCII prefixes, so the file names are plain too
COUNTIES = [("东阿县", "DA", 371524), ("阳谷县", "YG", 371521), ("莘县", "SX", 371522),
            ("茌平区", "CP", 371503), ("冠县", "GX", 371525), ("高唐县", "GT", 371526)]
SPEED_UP_GOAL = 1.5

# bench/run.py's FLOOR_CODE takes one file; this is the same parse over each
# file in turn, in one process, as the tool with --jobs 1 reads them.
FLOOR_CODE = """\
import sys, yaml
for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as f:
        sum(1 for _ in yaml.parse(f, Loader=yaml.CSafeLoader))
"""


# ---------------------------------------------------------------------------
# The ledgers

def ensure_county(index: int, jurisdiction: str, prefix: str, seed: int, n: int, data_dir: Path,
                  regen: bool) -> Path:
    """County `index`'s N-case ledger in data_dir, generated unless a fresh one is there."""
    # The index first, so that `*.partial` lists the partials in the order of the files.
    path = data_dir.resolve() / f"county-{index}-{prefix}-{n}.yaml"
    return generated(path, n, regen, ["--seed", str(seed), "--jurisdiction", jurisdiction, "--id-prefix", prefix])


# ---------------------------------------------------------------------------
# Holding every output to the first one

class SameOutput:
    """Verifiers (see bench/run.py) that hold every stdout to the first `--jobs 1` stdout."""

    def __init__(self, cases: int, jurisdictions: list[str], keep_dir: Path):
        self.cases = cases
        self.jurisdictions = jurisdictions
        self.keep_dir = keep_dir
        self.reference: bytes | None = None

    def summary_problem(self, stdout: bytes) -> str:
        """Why stdout is not the JSON summary of the six files, or ''."""
        try:
            summary = json.loads(stdout)
            received = summary["totals"]["received"]
            names = sorted(group["name"] for group in summary["groups"]["jurisdiction"])
        except (ValueError, KeyError, TypeError) as e:
            return f"stdout is not the JSON summary with groups.jurisdiction ({type(e).__name__}: {e})"
        if received != self.cases:
            return f"totals.received is {received!r}, not {self.cases}"
        if names != sorted(self.jurisdictions):
            return f"groups.jurisdiction is {names}, not {sorted(self.jurisdictions)}"
        return ""

    def verifier(self, name: str):
        def verify(stdout: bytes) -> str:
            if self.reference is None:
                if name != "jobs 1":
                    return "no `--jobs 1` output to compare with (it failed first)"
                problem = self.summary_problem(stdout)
                if not problem:
                    self.reference = stdout
                return problem
            return self.difference(name, stdout)
        return verify

    def difference(self, name: str, stdout: bytes) -> str:
        """'' when stdout is the reference's bytes; else where they part, with both kept."""
        if stdout == self.reference:
            return ""
        at = next((i for i, (a, b) in enumerate(zip(stdout, self.reference)) if a != b),
                  min(len(stdout), len(self.reference)))
        self.keep_dir.mkdir(parents=True, exist_ok=True)
        ours = self.keep_dir / f"jobs-differs-{name.replace(' ', '-')}.json"
        theirs = self.keep_dir / "jobs-differs-reference-jobs-1.json"
        ours.write_bytes(stdout)
        theirs.write_bytes(self.reference)
        return (f"stdout differs from `--jobs 1` from byte {at:,} on ({len(stdout):,} bytes against "
                f"{len(self.reference):,}); compare {ours} with {theirs}")


# ---------------------------------------------------------------------------
# The commands

def lacks(tool_cmd: list[str], merge: bool) -> str:
    """What the tool lacks of what this benchmark runs, or ''."""
    try:
        help_text = subprocess.run([*tool_cmd, "summary", "--help"], capture_output=True, text=True,
                                   cwd=BENCH.parent, timeout=120).stdout
        if "--jobs" not in help_text:
            return "`summary --help` lists no --jobs option: this version of the tool has no --jobs yet"
        if merge:
            if "partial" not in help_text:
                return "`summary --help` lists no `--format partial`: this version cannot write partials yet"
            merge_run = subprocess.run([*tool_cmd, "merge", "--help"], capture_output=True, text=True,
                                       cwd=BENCH.parent, timeout=120)
            if merge_run.returncode:
                return "`merge --help` fails: this version of the tool has no merge command yet"
    except FileNotFoundError as e:
        return f"cannot run the tool: {e.strerror}: {e.filename}"
    except subprocess.TimeoutExpired:
        return "`summary --help` did not answer within 120 s"
    return ""


def merge_command(tool_cmd: list[str], files: list[Path], jobs: int, partials: Path) -> list[str]:
    """The map/reduce run as one shell command: partials by `xargs -P`, then `merge`."""
    # xargs appends one file to `sh -c WRITE_ONE sh PARTIALS`: $1 the folder, $2 the file
    write_one = f'{shlex.join(tool_cmd)} summary "$2" --format partial > "$1/$(basename "$2" .yaml).partial"'
    folder = shlex.quote(str(partials))
    script = (f"rm -f {folder}/*.partial && "
              f"printf '%s\\0' {shlex.join(str(f) for f in files)} | "
              f"xargs -0 -P {jobs} -n 1 sh -c {shlex.quote(write_one)} sh {folder} && "
              f"{shlex.join(tool_cmd)} merge {folder}/*.partial --format json")
    return ["sh", "-c", script]


# ---------------------------------------------------------------------------
# Command line

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=12_000, help="cases per county (default 12000)")
    parser.add_argument("--jobs", type=int, default=2, help="the N of --jobs N and xargs -P N (default 2)")
    parser.add_argument("--repeat", type=int, default=3, help="rounds, best kept (default 3)")
    parser.add_argument("--merge", action="store_true",
                        help="also time partials written through xargs -P N, then merged")
    parser.add_argument("--tool", metavar="CMD", type=shlex.split, default=None,
                        help="the command to run (default: python grassroots_report.py of this checkout), "
                             "e.g. --tool grassroots-report")
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR,
                        help="where generated ledgers are kept (default bench/.data)")
    parser.add_argument("--regen", action="store_true", help="regenerate the ledgers")
    parser.add_argument("--timeout", type=float, default=600, help="seconds before one run is killed (default 600)")
    args = parser.parse_args(argv)
    if args.repeat < 1 or args.jobs < 2 or args.cases < 1:
        parser.error("--repeat and --cases must be at least 1, --jobs at least 2")
    tool_cmd = args.tool or tool()

    missing = lacks(tool_cmd, args.merge)
    if missing:
        print(f"bench/jobs.py: {shlex.join(tool_cmd)}: {missing}; nothing measured.", file=sys.stderr)
        return 2

    files = [ensure_county(i, name, prefix, seed, args.cases, args.data_dir, args.regen)
             for i, (name, prefix, seed) in enumerate(COUNTIES, 1)]
    same = SameOutput(args.cases * len(files), [name for name, _, _ in COUNTIES], args.data_dir.resolve())
    summary = [*tool_cmd, "summary", *map(str, files), "--format", "json"]
    parallel = f"jobs {args.jobs}"
    with tempfile.TemporaryDirectory(prefix="grassroots-jobs-") as partials:
        steps = {
            "floor": ([sys.executable, "-c", FLOOR_CODE, *map(str, files)], None),
            "jobs 1": ([*summary, "--jobs", "1"], same.verifier("jobs 1")),
            parallel: ([*summary, "--jobs", str(args.jobs)], same.verifier(parallel)),
        }
        if args.merge:
            steps["merge"] = (merge_command(tool_cmd, files, args.jobs, Path(partials)), same.verifier("merge"))
        log(f"{len(files)} files of {args.cases:,} cases:")
        results = measure_in_rounds(steps, args.repeat, args.timeout)

    labels = {"floor": f"floor: PyYAML parse of the {len(files)} files in turn",
              "jobs 1": "summary --format json --jobs 1",
              parallel: f"summary --format json --jobs {args.jobs}",
              "merge": f"{len(files)} × summary --format partial (xargs -P {args.jobs}), then merge"}
    floor = results["floor"]
    print(f"Python {platform.python_version()}, PyYAML {yaml.__version__} "
          f"(libyaml: {'yes' if yaml.__with_libyaml__ else 'no'}), {os.cpu_count()} CPUs; "
          f"{len(files)} ledgers of {args.cases:,} cases ({sum(f.stat().st_size for f in files) / 1e6:.1f} MB); "
          f"best of {args.repeat} rounds; ×N = time / floor")
    print()
    print("| run | best wall s | peak RSS MB |")
    print("|---|---|---|")
    for name, m in results.items():
        print(f"| {labels[name]} | {time_cell(m, floor if name != 'floor' else None)} | {rss_cell(m)} |")
    print()
    print(speed_up(f"--jobs 1 / --jobs {args.jobs}", results["jobs 1"], results[parallel], SPEED_UP_GOAL))
    if args.merge:
        print(speed_up("--jobs 1 / partials and merge", results["jobs 1"], results["merge"]))

    failures = [f"- {labels[name]}: {failure_detail(m)}" for name, m in results.items() if failure(m)]
    if failures:
        print()
        print("Failures:")
        print("\n".join(failures))
        differs = any("differs" in m.bad_output for m in results.values())
        log("bench/jobs.py: FAILED: " + ("the outputs are not byte-identical (see Failures)" if differs
                                         else "a run failed (see Failures)"))
        return 1
    return 0


def speed_up(what: str, one: Measurement, many: Measurement, goal: float | None = None) -> str:
    """'speed-up A / B: 1.62', with whether it meets `goal`."""
    if failure(one) or failure(many):
        return f"speed-up {what}: —"
    ratio = one.seconds / many.seconds
    if goal is None:
        return f"speed-up {what}: {ratio:.2f}"
    verdict = "meets" if ratio >= goal else "misses"
    return f"speed-up {what}: {ratio:.2f} ({verdict} the goal of {goal} with 2 cores; {os.cpu_count()} here)"

if __name__ == "__main__":
    sys.exit(main())
