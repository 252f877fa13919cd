"""The YAML conformance suite's inputs: none is a case file, so every one fails, located, quietly.

`error/` holds inputs a YAML 1.2 parser must reject; `valid/` holds well-formed
YAML that is still not a case file (no `version`, `jurisdiction`, `cases`).
Either way `check` must exit 1 with at least one `FILE:LINE:COL: ...` line on
stderr (positive line and column) and never a traceback.
"""
from __future__ import annotations

import re

import pytest

from conftest import CORPORA, run_cli

SUITE = CORPORA / "yaml-test-suite"

if not (SUITE / "error").is_dir() or not (SUITE / "valid").is_dir():
    pytest.skip(f"YAML test suite corpus not found at {SUITE} (expected error/ and valid/ folders)",
                allow_module_level=True)

ERROR_FILES = sorted((SUITE / "error").glob("*.yaml"))
VALID_FILES = sorted((SUITE / "valid").glob("*.yaml"))


def located_lines(stderr: str, path: str) -> list[tuple[int, int]]:
    """(line, column) of each `PATH:LINE:COL: ...` line on stderr."""
    pattern = re.compile(r"^" + re.escape(path) + r":(\d+):(\d+): ", re.MULTILINE)
    return [(int(line), int(column)) for line, column in pattern.findall(stderr)]


def test_the_corpus_is_complete():
    # The README of the corpus gives these counts; a short copy would hide cases.
    assert (len(ERROR_FILES), len(VALID_FILES)) == (94, 308)


def assert_refused_with_a_location(path):
    result = run_cli("check", str(path))
    assert result.exit_code == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    places = located_lines(result.stderr, str(path))
    assert places, result.stderr
    assert all(line >= 1 and column >= 1 for line, column in places), places


@pytest.mark.parametrize("path", ERROR_FILES, ids=[p.name for p in ERROR_FILES])
def test_error_input_is_refused_with_a_location(path):
    assert_refused_with_a_location(path)


@pytest.mark.parametrize("path", VALID_FILES, ids=[p.name for p in VALID_FILES])
def test_valid_yaml_that_is_no_case_file_is_refused_with_a_location(path):
    # none of the suite's documents is a case file
    assert_refused_with_a_location(path)
