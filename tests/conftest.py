"""Shared fixtures and helpers: where things are, how to run the tool, and the ledgers several surfaces use.

The tests are filed by surface, in pipeline order:

    test_loading.py    files, standard input, encodings, YAML syntax errors, values as written
    test_checking.py   the data-driven cases of cases/, the fast path, ids
    test_import.py     platform exports and their maps
    test_figures.py    the metrics, direct and type ranking, as-of, properties, repeats and signals
    test_periods.py    --period and its comparisons, the workdays_cn calendar
    test_masking.py    every rule of what is personal
    test_report.py     the Markdown report, its text helpers, the goldens of golden/
    test_docx.py       the Word document
    test_partials.py   the roll-up, partial summaries, merge and --jobs
    test_areas.py      areas: the gazetteer, places found in text, hot places, place repeats, --areas
    test_credit.py     the virtue-credit ledger: its figures by hand, report, masking, register import
    test_cli.py        the README's examples, exit codes, -o, pipes, signals

Hostile input to a surface is in that surface's file, in the sections under
`# == Hostile input: ...` at its end (grep -n "^# == Hostile" tests/*.py).
counties.py and exports.py write the roll-up's and the import's inputs.
"""
from __future__ import annotations

import dataclasses
import inspect
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import grassroots_report

# The tool speaks the language of the environment's locale when no --lang is given: the suite runs in a
# neutral one (Chinese by default), whatever the machine's, and the tests that want English say so.
for _name in ("LC_ALL", "LC_MESSAGES"):
    os.environ.pop(_name, None)
os.environ["LANG"] = "C.UTF-8"

ROOT = Path(__file__).resolve().parent.parent
ALL_EXAMPLES = sorted(p for p in (ROOT / "examples").glob("*.yaml") if not p.name.endswith(".map.yaml"))  # not maps
# the case ledgers, and the virtue-credit ledgers (`ledger: credit` at their top)
CREDIT_EXAMPLES = [p for p in ALL_EXAMPLES if "\nledger: credit\n" in p.read_text(encoding="utf-8")[:4096]]
EXAMPLES = [p for p in ALL_EXAMPLES if p not in CREDIT_EXAMPLES]
CORPORA = ROOT.parent / "shared" / "corpora"
TOOL = ROOT / "grassroots_report.py"


@dataclasses.dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str


def make_runner() -> CliRunner:
    """A CliRunner that keeps stderr apart from stdout, on every click we support.

    click 8.1 mixes them unless told not to; 8.2 removed the switch and always
    keeps them apart.
    """
    if "mix_stderr" in inspect.signature(CliRunner.__init__).parameters:
        return CliRunner(mix_stderr=False)
    return CliRunner()


def run_cli(*args: str, input: bytes | str | None = None) -> Result:
    """Run the command in-process with click's CliRunner (tracebacks surface)."""
    runner = make_runner()
    result = runner.invoke(grassroots_report.cli, list(args), input=input, catch_exceptions=False)
    return Result(result.exit_code, result.stdout, result.stderr)


def run_subprocess(*args: str, input: bytes | None = None, cwd: Path | None = None,
                   timeout: float = 120) -> subprocess.CompletedProcess:
    """Run `python grassroots_report.py ARGS` as a real process (bytes in, bytes out)."""
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    return subprocess.run([sys.executable, str(ROOT / "grassroots_report.py"), *args], input=input,
                          capture_output=True, cwd=cwd, timeout=timeout, env=env)


@pytest.fixture
def cli():
    return run_cli


# -- ledgers ---------------------------------------------------------------------------------------
@pytest.fixture
def ledger(tmp_path) -> Path:
    """A valid ledger, the tool's own example."""
    path = tmp_path / "ledger.yaml"
    path.write_text(run_cli("example").stdout, encoding="utf-8")
    return path


# A valid one-case ledger, one field a line, for the tests that add to it or spoil a line of it
HEADER = "version: 1\njurisdiction: 东阿县\nas_of: '2024-04-01 09:00'\n"
ONE_CASE = """\
cases:
  - id: 'DA-0001'
    received: '2024-03-04 09:12'
    kind: complaint
    category: 城乡建设
    unit: 铜城街道
    status: open
"""
VALID_LEDGER = HEADER + ONE_CASE


def without_figures(markdown: str) -> str:
    """A Markdown report written with -o, without the links to its SVG figures and their captions: what the
    same report on stdout holds."""
    import re

    return re.sub(r"!\[[^\]]*\]\([^)]+\.fig\d+\.svg\)\n\n[^\n]+\n\n", "", markdown)


def figures(json_text: str | bytes) -> dict:
    """A JSON summary without its `sources` (the files' names and hashes): the figures, to compare two runs
    that read the same cases from different files."""
    data = json.loads(json_text)
    data.pop("sources")
    return data


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    """`text` (as UTF-8) or bytes, written as tmp_path/name."""
    path = tmp_path / name
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    return path


def hostile_ledger(summary: str, *, jurisdiction: str, unit: str, first_id: str, second_id: str, category: str,
                   escalated_to: str, note: str, mediator: str, room: str, leader: str) -> dict:
    """Two cases with personal data, and text hostile to one output's syntax in every field a briefing shows.

    The personal data is the same for every output (欧阳娜娜, 13912345678, 372524198703151234,
    0635-3281234, 13800001111); each output's tests pass the text that attacks its own syntax.
    """
    return {
        "version": 1,
        "jurisdiction": jurisdiction,
        "period": {"start": "2024-03-01", "end": "2024-03-31"},
        "units": [{"name": "铜城街道"}, {"name": unit}],
        "cases": [
            {"id": first_id, "received": "2024-03-04 09:00", "kind": "complaint", "category": category,
             "unit": "铜城街道", "summary": summary, "location": "阿胶街 8 号，电话 0635-3281234",
             "requester": {"name": "欧阳娜娜", "phone": "13912345678", "id_number": "372524198703151234"},
             "dispatched": "2024-03-04 09:30", "status": "resolved", "resolved": "2024-03-05 10:00",
             "featured": True, "escalated": {"at": "2024-03-04 10:00", "to": escalated_to, "reason": "电话13800001111"},
             "visits": [{"at": "2024-03-06 10:00", "satisfaction": "satisfied", "solved": True, "note": note}],
             "mediation": {"outcome": "agreement", "mediator": mediator, "room": room, "amount": 2000}},
            {"id": second_id, "received": "2024-03-10 09:00", "kind": "dispute", "category": "矛盾纠纷",
             "unit": unit, "status": "open", "backlog": {"since": "2021-01-01", "leader": leader}},
        ],
    }


def write_ledger(tmp_path: Path, data: dict) -> Path:
    """`data` written as tmp_path/ledger.yaml (JSON, which is YAML)."""
    path = tmp_path / "ledger.yaml"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


# -- what reaches the terminal ---------------------------------------------------------------------
RAW_UNSAFE = ("\x1b", "\x07", "\x00", "\u202e", "\u202d", "\u2066", "\u2067", "\u2068", "\u2069", "\u200f")


def clean(*texts: str | bytes) -> None:
    """Nothing printed carries a traceback or a raw terminal control."""
    for text in texts:
        if isinstance(text, bytes):
            text = text.decode("utf-8", errors="replace")
        assert "Traceback" not in text, text
        for char in RAW_UNSAFE:
            assert char not in text, (char, text[:500])


# -- a real process, timed and measured -----------------------------------------------------------
# Hostile input runs the tool as a real process, so that a hang, a segfault (a negative
# return code) or a memory blow-up shows as what it is.
MB = 1024  # ru_maxrss is in kilobytes on Linux
MEMORY_LIMIT_KB = 200 * MB  # the tool runs in ~40 MB (60 MB with a 15 MB scalar)


@dataclasses.dataclass
class Measured:
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    peak_kb: int


# A small go-between starts the tool and reads its rusage with os.wait4.  Had
# pytest started the tool itself, the tool's ru_maxrss would start at pytest's
# own size: Linux carries the high-water mark of the forked copy across exec.
_MEASURE = """\
import os, sys
pid = os.posix_spawn(sys.argv[2], sys.argv[2:], os.environ)
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as out:
    out.write(f"{os.waitstatus_to_exitcode(status)} {usage.ru_maxrss}")
"""


def run_measured(*args: str, input: bytes | None = None, timeout: float = 60) -> Measured:
    """Run the tool as a process; its exit status, output, wall time and peak resident memory."""
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    with tempfile.TemporaryDirectory() as scratch, tempfile.TemporaryFile() as stdin, \
            tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        stats = Path(scratch) / "stats"
        if input is not None:
            stdin.write(input)
            stdin.seek(0)
        started = time.monotonic()
        proc = subprocess.Popen([sys.executable, "-c", _MEASURE, str(stats), sys.executable, str(TOOL), *args],
                                stdin=stdin, stdout=out, stderr=err, env=env, cwd=ROOT, start_new_session=True)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            pytest.fail(f"{' '.join(args)} still running after {timeout} s (killed)")
        seconds = time.monotonic() - started
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        stderr = err.read().decode("utf-8", "replace")
        assert proc.returncode == 0, f"the measuring go-between failed: {stderr[-2000:]}"
        returncode, peak_kb = (int(field) for field in stats.read_text().split())
        return Measured(returncode, stdout, stderr, seconds, peak_kb)
