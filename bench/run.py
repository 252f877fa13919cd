#!/usr/bin/env python3
"""Benchmark grassroots-report against the cost of just parsing the YAML.

    python bench/run.py                              # sizes 10000,100000,1000000
    python bench/run.py --sizes 10000,100000 --repeat 1
    python bench/run.py --sizes 356000 --terse       # ~300-byte cases (gen_ledger.py --terse)
    python bench/run.py --sizes 356000 --terse --phone-share 0.3   # 30% with a phone

For each size N it uses a ledger of N cases written by bench/gen_ledger.py
into bench/.data/ (kept between runs, rewritten when gen_ledger.py is newer,
or always with --regen), then times, each as its own subprocess:

  floor     sum(1 for _ in yaml.parse(f, Loader=yaml.CSafeLoader)): libyaml
            events only, the least any PyYAML-based checker can cost (f is
            opened as text, as open(path) gives it)
  check     grassroots_report.py check FILE
  summary   grassroots_report.py summary --format json FILE
  report    grassroots_report.py report FILE -o TMP/report.md
  check-jsonschema --schemafile schema.yaml FILE, for comparison, only when
            that command is on PATH and N <= --jsonschema-max (100000)

and once `grassroots_report.py --help` (start-up cost).  The tool is run as
`python grassroots_report.py`, so it needs no install.

Each timing is wall-clock, the best (minimum) of --repeat rounds; a round
runs every command of a size once, in turn, so that the floor and the tool
see the same spells of a shared machine.  Peak RSS is
the child's own ru_maxrss, read from os.wait4 on that child (not
RUSAGE_CHILDREN, which only keeps the maximum over all children so far).
The result is a Markdown table on stdout; progress goes to stderr.  A command
that fails shows as `exit N` in its cell, with its last stderr line listed
under the table; the benchmark itself still exits 0.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import yaml

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
TOOL = ROOT / "grassroots_report.py"
SCHEMA = ROOT / "schema.yaml"
GENERATOR = BENCH / "gen_ledger.py"
DATA_DIR = BENCH / ".data"

FLOOR_CODE = """\
import sys, yaml
with open(sys.argv[1], encoding="utf-8") as f:
    sum(1 for _ in yaml.parse(f, Loader=yaml.CSafeLoader))
"""


# ---------------------------------------------------------------------------
# Running one command

@dataclass(frozen=True)
class Measurement:
    """How one command did: best wall time, peak RSS, and how it ended."""

    seconds: float
    rss_mb: float
    exit_code: int  # negative: killed by that signal
    timed_out: bool = False
    stderr_tail: str = ""
    bad_output: str = ""  # why the output is wrong although the exit code is 0

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.timed_out and not self.bad_output


def rss_mb(maxrss: int) -> float:
    """ru_maxrss is in KiB on Linux, bytes on macOS."""
    return maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)


Verifier = Callable[[bytes], str]  # stdout -> '' when the output is right, else why not


# INFO: a child's ru_maxrss starts at its parent's peak RSS at fork time on
# Linux (exec keeps the larger of the two), and this script grows as it reads
# outputs.  So every command is started by this small, fresh helper, which
# times it, reads its own child's rusage with wait4 and writes
# "seconds maxrss exit-code" to the pipe whose fd is its first argument.
MEASURE_HELPER = """\
import os, sys, time, subprocess
report = int(sys.argv[1])
start = time.perf_counter()
child = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(child.pid, 0)
seconds = time.perf_counter() - start
child.returncode = os.waitstatus_to_exitcode(status)
os.write(report, f"{seconds} {usage.ru_maxrss} {child.returncode}".encode())
"""


def run_once(cmd: list[str], timeout: float, verify: Verifier | None = None) -> Measurement:
    """Run cmd; time it, read its own peak RSS, and check its stdout with `verify`."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        report_read, report_write = os.pipe()
        proc = subprocess.Popen([sys.executable, "-c", MEASURE_HELPER, str(report_write), *cmd],
                                stdin=subprocess.DEVNULL,
                                stdout=out, stderr=err, cwd=ROOT, pass_fds=(report_write,),
                                start_new_session=True)  # a group of its own: a timeout kills both
        os.close(report_write)
        try:
            proc.wait(timeout=timeout)
            timed_out = False
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait()
            timed_out = True
        with os.fdopen(report_read, "rb") as report:
            fields = report.read().split()
        if len(fields) == 3:
            seconds, maxrss, exit_code = float(fields[0]), int(fields[1]), int(fields[2])
        else:  # the helper itself failed or was killed
            seconds, maxrss, exit_code = float(timeout), 0, proc.returncode or -9
        err.seek(0)
        lines = err.read().decode("utf-8", "replace").strip().splitlines()
        out.seek(0)
        bad = verify(out.read()) if verify and exit_code == 0 and not timed_out else ""
    return Measurement(seconds, rss_mb(maxrss), exit_code, timed_out, lines[-1][:200] if lines else "", bad)


def best_of(cmd: list[str], repeat: int, timeout: float,
            verify: Verifier | None = None) -> Measurement:
    """Minimum time over `repeat` runs (maximum RSS); stops at the first failure."""
    runs = []
    for _ in range(repeat):
        m = run_once(cmd, timeout, verify)
        if not m.ok:
            return m
        runs.append(m)
    return combine(runs)


def combine(runs: list[Measurement]) -> Measurement:
    """The best time and the largest peak RSS of successful runs."""
    best = min(runs, key=lambda m: m.seconds)
    return Measurement(best.seconds, max(m.rss_mb for m in runs), 0)


def tool(*args: str) -> list[str]:
    return [sys.executable, str(TOOL), *args]


# ---------------------------------------------------------------------------
# The measurements

def ensure_ledger(n: int, data_dir: Path, regen: bool, terse: bool = False,
                  phone_share: float | None = None) -> Path:
    """The N-case ledger in data_dir, generated unless a fresh one is there."""
    phones = "" if phone_share is None else f"phones{phone_share:g}-"
    path = data_dir.resolve() / f"ledger-{'terse-' if terse else ''}{phones}{n}.yaml"  # commands run in ROOT
    return generated(path, n, regen, [*(["--terse"] if terse else []),
                                      *([] if phone_share is None else ["--phone-share", str(phone_share)])])


def generated(path: Path, n: int, regen: bool, options: list[str]) -> Path:
    """`path`: an N-case ledger from gen_ledger.py with these options, reused unless stale or --regen."""
    if path.exists() and not regen and path.stat().st_mtime >= GENERATOR.stat().st_mtime:
        log(f"{path.name}: reused")
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    writing = path.with_suffix(".writing")  # never reuse a half-written file
    start = time.perf_counter()
    subprocess.run([sys.executable, str(GENERATOR), str(n), "-o", str(writing), *options], check=True)
    seconds = time.perf_counter() - start
    writing.replace(path)
    log(f"{path.name}: generated in {seconds:.1f} s ({n / seconds:,.0f} cases/s)")
    return path


Step = tuple[list[str], Verifier | None]  # a command and the check of its output


def floor_step(path: Path) -> Step:
    return [sys.executable, "-c", FLOOR_CODE, str(path)], None


def check_step(path: Path) -> Step:
    return tool("check", str(path)), None


def summary_step(path: Path, n: int) -> Step:
    def verify(stdout: bytes) -> str:
        try:
            received = json.loads(stdout)["totals"]["received"]
        except (ValueError, KeyError, TypeError) as e:
            return f"stdout is not the JSON summary ({type(e).__name__}: {e})"
        return "" if received == n else f"totals.received is {received!r}, not {n}"

    return tool("summary", "--format", "json", str(path)), verify


def report_step(path: Path, out_dir: Path) -> Step:
    report = out_dir / f"{path.stem}.md"

    def verify(_stdout: bytes) -> str:
        size = report.stat().st_size if report.exists() else 0
        report.unlink(missing_ok=True)  # so the next run must write it again
        return "" if size else f"no report written to {report}"

    return tool("report", str(path), "-o", str(report)), verify


def jsonschema_step(path: Path) -> Step:
    return ["check-jsonschema", "--schemafile", str(SCHEMA), str(path)], None


def measure_in_rounds(steps: dict[str, Step], repeat: int, timeout: float) -> dict[str, Measurement]:
    """Run every step once a round, `repeat` rounds; the best of each (a failure ends that step).

    INFO: in rounds (floor, check, summary, report, floor, ...) rather than
    each command `repeat` times in a row, so that a slow spell of this shared
    machine falls on the floor and the tool alike, not on one of them.
    """
    runs: dict[str, list[Measurement]] = {name: [] for name in steps}
    failed: dict[str, Measurement] = {}
    for round_number in range(1, repeat + 1):
        for name, (cmd, verify) in steps.items():
            if name in failed:
                continue
            log(f"  round {round_number}/{repeat}: {name} ...")
            m = run_once(cmd, timeout, verify)
            if m.ok:
                runs[name].append(m)
            else:
                failed[name] = m
    return {name: failed.get(name) or combine(runs[name]) for name in steps}


def measure_help(repeat: int, timeout: float) -> Measurement:
    return best_of(tool("--help"), repeat, timeout,
                   lambda stdout: "" if stdout.strip() else "no help text on stdout")


# ---------------------------------------------------------------------------
# The table

def failure(m: Measurement) -> str | None:
    if m.timed_out:
        return "timeout"
    if m.exit_code < 0:
        return f"signal {-m.exit_code}"
    if m.exit_code:
        return f"exit {m.exit_code}"
    if m.bad_output:
        return "bad output"
    return None


def failure_detail(m: Measurement) -> str:
    """The failure and what the command said about it, for the list under the table."""
    return f"{failure(m)}: {m.bad_output or m.stderr_tail or '(no stderr)'}"


def time_cell(m: Measurement, floor: Measurement | None = None) -> str:
    """'1.23 (×2.0)': seconds and, when the floor ran, the ratio to it."""
    if failure(m):
        return failure(m)
    if floor is None or not floor.ok:
        return f"{m.seconds:.2f}"
    return f"{m.seconds:.2f} (×{m.seconds / floor.seconds:.1f})"


def rss_cell(m: Measurement) -> str:
    return "—" if failure(m) else f"{m.rss_mb:.0f}"


def steps_table(results: dict[str, Measurement]) -> str:
    """The steps measured as a Markdown table: each one's best wall time and peak RSS."""
    rows = [f"| {name} | {time_cell(m)} | {rss_cell(m)} |" for name, m in results.items()]
    return "\n".join(["| step | best wall s | peak RSS MB |", "|---|---|---|", *rows])


def jsonschema_cell(m: Measurement | None, check: Measurement) -> str:
    if m is None:
        return "skipped"
    if failure(m) or failure(check):
        return time_cell(m)
    return f"{m.seconds:.2f} (ours {m.seconds / check.seconds:.1f}× faster)"


HEADER = ("| cases | file MB | floor s | check s | summary s | report s "
          "| floor RSS MB | check RSS MB | summary RSS MB | report RSS MB | check-jsonschema s |")


def table_row(n: int, path: Path, r: dict[str, Measurement | None]) -> str:
    floor = r["floor"]
    cells = [f"{n:,}", f"{path.stat().st_size / 1e6:.1f}", time_cell(floor),
             time_cell(r["check"], floor), time_cell(r["summary"], floor),
             time_cell(r["report"], floor),
             rss_cell(floor), rss_cell(r["check"]), rss_cell(r["summary"]), rss_cell(r["report"]),
             jsonschema_cell(r["check-jsonschema"], r["check"])]
    return "| " + " | ".join(cells) + " |"


# ---------------------------------------------------------------------------
# Command line

def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def parse_sizes(text: str) -> list[int]:
    try:
        sizes = [int(s.replace("_", "")) for s in text.split(",") if s.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of integers: {text!r}") from None
    if not sizes or min(sizes) < 0:
        raise argparse.ArgumentTypeError("give one or more sizes >= 0, e.g. 10000,100000")
    return sizes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=parse_sizes, default=[10_000, 100_000, 1_000_000],
                        help="comma-separated case counts (default 10000,100000,1000000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per timing, best kept (default 3)")
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR,
                        help="where generated ledgers are kept (default bench/.data)")
    parser.add_argument("--regen", action="store_true", help="regenerate the ledgers")
    parser.add_argument("--terse", action="store_true",
                        help="use terse ledgers (gen_ledger.py --terse: ~300 bytes a case, not ~515)")
    parser.add_argument("--phone-share", type=float, default=None, metavar="F",
                        help="ledgers where a share F of the cases carry a requester phone "
                             "(gen_ledger.py --phone-share F)")
    parser.add_argument("--jsonschema-max", type=int, default=100_000,
                        help="largest size to run check-jsonschema on (default 100000)")
    parser.add_argument("--timeout", type=float, default=1800,
                        help="seconds before one run is killed (default 1800)")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")

    has_jsonschema = shutil.which("check-jsonschema") is not None
    if not TOOL.exists():
        log(f"note: {TOOL} does not exist yet; its cells will show the failure")
    rows, failures = [], []
    with tempfile.TemporaryDirectory(prefix="grassroots-bench-") as out_dir:
        for n in args.sizes:
            path = ensure_ledger(n, args.data_dir, args.regen, args.terse, args.phone_share)
            steps = {"floor": floor_step(path), "check": check_step(path), "summary": summary_step(path, n),
                     "report": report_step(path, Path(out_dir))}
            if has_jsonschema and n <= args.jsonschema_max:
                steps["check-jsonschema"] = jsonschema_step(path)
            log(f"{n:,} cases:")
            results: dict[str, Measurement | None] = {"check-jsonschema": None}
            results.update(measure_in_rounds(steps, args.repeat, args.timeout))
            for name, m in results.items():
                if m is not None and failure(m):
                    failures.append(f"- {n:,} cases, {name}: {failure_detail(m)}")
            rows.append(table_row(n, path, results))
        log("--help ...")
        help_run = measure_help(args.repeat, args.timeout)

    print(f"Python {platform.python_version()}, PyYAML {yaml.__version__} "
          f"(libyaml: {'yes' if yaml.__with_libyaml__ else 'no'}), {os.cpu_count()} CPUs; "
          f"{'terse' if args.terse else 'realistic'} ledgers"
          f"{'' if args.phone_share is None else f', {args.phone_share:.0%} with a phone'}; best of {args.repeat} rounds; "
          f"×N = time / floor")
    print()
    print(HEADER)
    print("|" + "---|" * HEADER.count(" | ") + "---|")
    print("\n".join(rows))
    print()
    help_text = (failure(help_run) or f"{help_run.seconds:.3f} s, peak RSS {help_run.rss_mb:.0f} MB")
    print(f"`grassroots-report --help`: {help_text}")
    if not has_jsonschema:
        print("check-jsonschema: skipped (not on PATH)")
    if failure(help_run):
        failures.append(f"- --help: {failure_detail(help_run)}")
    if failures:
        print()
        print("Failures:")
        print("\n".join(failures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
