"""Shared helpers for the test suite: where things are and how to run the tool."""
from __future__ import annotations

import dataclasses
import inspect
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import grassroots_report

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(p for p in (ROOT / "examples").glob("*.yaml") if not p.name.endswith(".map.yaml"))  # ledgers, not import maps
CORPORA = ROOT.parent / "shared" / "corpora"


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
