"""The README's examples are run, so the documentation cannot drift."""
from __future__ import annotations

import re
import shlex

import pytest

from conftest import ROOT, run_cli

README = (ROOT / "README.md").read_text(encoding="utf-8")
COMMANDS = [line[2:] for line in README.splitlines() if line.startswith("$ grassroots-report ")]


def test_readme_has_examples():
    assert len(COMMANDS) >= 8


@pytest.mark.parametrize("command", COMMANDS)
def test_readme_example_runs(command, tmp_path, monkeypatch):
    args = shlex.split(command)[1:]
    args = [str(ROOT / a) if a.startswith("examples/") else a for a in args]
    monkeypatch.chdir(tmp_path)  # -o files land in a scratch folder
    result = run_cli(*args)
    assert result.exit_code == 0, result.stderr
    assert "Traceback" not in result.stderr
    if "-o" in args:
        written = tmp_path / args[args.index("-o") + 1]
        if written.suffix == ".docx":  # a Word document: a zip package
            assert written.read_bytes()[:2] == b"PK"
        else:
            assert written.read_text(encoding="utf-8").startswith("# ")


def test_quick_start_names_the_main_job_and_the_tests():
    quick = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)\n```", quick, re.S)
    assert len(blocks) == 2
    assert "grassroots-report run examples/hotline-2024-03.yaml" in blocks[0]
    assert "pytest" in blocks[1]
    assert "pytest" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_every_exit_code_is_documented():
    import grassroots_report as gr

    table = README.split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    for code in (gr.EXIT_OK, gr.EXIT_INVALID, gr.EXIT_USAGE, gr.EXIT_TARGET_MISSED, gr.EXIT_INTERRUPTED):
        assert f"| {code} |" in table


def test_every_metric_is_documented():
    import grassroots_report as gr

    figures = README.split("## The figures", 1)[1]
    for key in gr.METRIC_KEYS:
        assert f"`{key}`" in figures, key


def test_oldest_constraints_are_the_declared_lower_bounds():
    # CI's second run installs .ci/constraints-oldest.txt; it must pin exactly
    # the lower bound pyproject.toml declares for each runtime dependency.
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    runtime = pyproject.split("dependencies = [", 1)[1].split("]", 1)[0]
    declared = dict(re.findall(r'"([A-Za-z0-9_.-]+)>=([0-9.]+)', runtime))
    pins = dict(re.findall(r"^([A-Za-z0-9_.-]+)==([0-9.]+)$",
                           (ROOT / ".ci" / "constraints-oldest.txt").read_text(encoding="utf-8"), re.M))
    assert declared == pins
    assert ", ".join(f"{name} {version}" for name, version in pins.items()) in " ".join(README.split())
