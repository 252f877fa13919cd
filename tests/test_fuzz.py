"""Fuzzing with hypothesis: whatever the bytes, `check` and `summary` end with 0 or 1, never an exception.

Inputs are random bytes and mutations (deleted, duplicated or swapped lines,
changed indentation, tabs, truncation, replaced characters) of the example
ledgers.  The tool runs in-process with catch_exceptions=False, so any
exception escapes into the test.  Beyond "no crash", check and summary must
agree: a file `check` passes gives a JSON summary counting the same cases, and
a file it refuses gives no summary at all.  (Exit 2 is for usage and I/O errors,
which a file's content never is.)
"""
from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from conftest import EXAMPLES, run_cli

# FUZZ_EXAMPLES=5000 for a longer hunt; the default keeps the suite quick.
EXAMPLES_PER_TEST = int(os.environ.get("FUZZ_EXAMPLES", "150"))
FUZZ_SETTINGS = settings(max_examples=EXAMPLES_PER_TEST, deadline=None, database=None,
                         suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
MAX_CASES = 8  # cases kept from a big example, so that each run stays fast

OK_LINE = re.compile(r"^(?P<file>.*): (?P<cases>\d+) cases, no problems$", re.MULTILINE)
LOCATED = re.compile(r"^.+?:[1-9]\d*:[1-9]\d*: ", re.MULTILINE)


def example_sources() -> dict[str, str]:
    sources = {path.name: path.read_text(encoding="utf-8") for path in EXAMPLES}
    sources["example-command"] = run_cli("example").stdout
    return sources


SOURCES = example_sources()


def split_ledger(text: str) -> tuple[list[str], list[list[str]], list[str]]:
    """(lines up to `cases:`, each case's lines, top-level lines after the cases)."""
    lines = text.splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith("cases:")) + 1
    cases: list[list[str]] = []
    end = len(lines)
    for i in range(start, len(lines)):
        line = lines[i]
        if line.strip() and not line.startswith((" ", "-", "#")):
            end = i
            break
        if re.match(r"^ *- ", line) and len(line) - len(line.lstrip(" ")) <= 2:
            cases.append([line])
        elif cases:
            cases[-1].append(line)
    return lines[:start], cases, lines[end:]


SPLIT = {name: split_ledger(text) for name, text in SOURCES.items()}


@st.composite
def excerpts(draw, name: str) -> str:
    """The example's header with a run of up to MAX_CASES of its cases."""
    head, cases, tail = SPLIT[name]
    count = draw(st.integers(min_value=0, max_value=min(MAX_CASES, len(cases))))
    first = draw(st.integers(min_value=0, max_value=len(cases) - count))
    return "".join(head + [line for case in cases[first:first + count] for line in case] + tail)


INTERESTING_CHARS = list(":-[]{},&*!|>#'\"%@`?\t\n\r \\~=0123456789.") + [
    "\x00", "\x1b", "\x7f", "\x85", "\u00a0", "\u2028", "\ufeff", "\ufffe", "中", "𠀀"]
random_chars = st.one_of(st.sampled_from(INTERESTING_CHARS), st.characters(exclude_categories=("Cs",)))

mutations = st.one_of(
    st.tuples(st.just("delete"), st.integers(0, 10**6)),
    st.tuples(st.just("duplicate"), st.integers(0, 10**6)),
    st.tuples(st.just("swap"), st.integers(0, 10**6), st.integers(0, 10**6)),
    st.tuples(st.just("indent"), st.integers(0, 10**6), st.integers(-8, 8)),
    st.tuples(st.just("tab"), st.integers(0, 10**6), st.integers(0, 10**6)),
    st.tuples(st.just("replace"), st.integers(0, 10**7), random_chars),
    st.tuples(st.just("truncate"), st.integers(0, 10**7)),
)


def mutate(text: str, steps: list[tuple]) -> bytes:
    """Apply the mutations in order; truncation works on the UTF-8 bytes (so may split a character)."""
    data = text.encode("utf-8")
    for step in steps:
        kind = step[0]
        if kind == "truncate":
            data = data[: step[1] % (len(data) + 1)]
            continue
        text = data.decode("utf-8", "surrogateescape")
        lines = text.splitlines(keepends=True) or [""]
        n = len(lines)
        if kind == "delete":
            del lines[step[1] % n]
        elif kind == "duplicate":
            i = step[1] % n
            lines.insert(i, lines[i])
        elif kind == "swap":
            i, j = step[1] % n, step[2] % n
            lines[i], lines[j] = lines[j], lines[i]
        elif kind == "indent":
            i, by = step[1] % n, step[2]
            line = lines[i]
            lines[i] = " " * by + line if by >= 0 else line[min(-by, len(line) - len(line.lstrip(" "))):]
        elif kind == "tab":
            i = step[1] % n
            at = step[2] % (len(lines[i]) + 1)
            lines[i] = lines[i][:at] + "\t" + lines[i][at:]
        elif kind == "replace":
            text = "".join(lines)
            if text:
                at = step[1] % len(text)
                text = text[:at] + step[2] + text[at + 1:]
            lines = [text]
        data = "".join(lines).encode("utf-8", "surrogateescape")
    return data


@pytest.fixture(scope="module")
def workdir():
    with tempfile.TemporaryDirectory(prefix="fuzz-") as name:
        yield Path(name)


def assert_check_and_summary_agree(path: Path) -> None:
    """Run check and summary on one file: exit 0 or 1, the same verdict, valid JSON on success."""
    checked = run_cli("check", "--lang", "en", str(path))
    assert checked.exit_code in (0, 1), (checked.exit_code, checked.stderr[-2000:])
    assert checked.stdout == ""
    summary = run_cli("summary", "--lang", "en", "--format", "json", str(path))
    assert summary.exit_code in (0, 1), (summary.exit_code, summary.stderr[-2000:])
    assert summary.exit_code == checked.exit_code, (checked.stderr[-2000:], summary.stderr[-2000:])
    if checked.exit_code == 0:
        ok = OK_LINE.search(checked.stderr)
        assert ok, checked.stderr
        document = json.loads(summary.stdout)
        assert document["version"] == 1
        assert document["totals"]["received"] == int(ok["cases"])
    else:
        assert summary.stdout == ""
        assert LOCATED.search(checked.stderr), checked.stderr[-2000:]
        assert "Traceback" not in checked.stderr


# -- random bytes ---------------------------------------------------------------------
@FUZZ_SETTINGS
@given(data=st.binary(max_size=4096))
def test_random_bytes(workdir, data):
    path = workdir / "random.yaml"
    path.write_bytes(data)
    assert_check_and_summary_agree(path)


@FUZZ_SETTINGS
@given(cut=st.integers(min_value=0, max_value=10**6), noise=st.binary(min_size=1, max_size=256))
def test_a_valid_start_then_random_bytes(workdir, cut, noise):
    text = SOURCES["example-command"].encode("utf-8")
    path = workdir / "tail.yaml"
    path.write_bytes(text[: cut % (len(text) + 1)] + noise)
    assert_check_and_summary_agree(path)


@settings(max_examples=max(EXAMPLES_PER_TEST * 2 // 3, 1), deadline=None, database=None)
@given(data=st.binary(max_size=2048))
def test_random_bytes_on_standard_input(data):
    result = run_cli("check", "--lang", "en", "-", input=data)
    assert result.exit_code in (0, 1), result.stderr
    if result.exit_code == 1:
        assert re.search(r"^<stdin>:[1-9]\d*:[1-9]\d*: ", result.stderr, re.MULTILINE), result.stderr


# -- mutations of the examples -----------------------------------------------------------------
def test_the_excerpts_are_valid_before_mutation(workdir):
    # Otherwise the mutation tests below would only ever see broken files.
    for name, (head, cases, tail) in SPLIT.items():
        assert cases, name
        path = workdir / "excerpt.yaml"
        path.write_text("".join(head + [line for case in cases[:MAX_CASES] for line in case] + tail),
                        encoding="utf-8")
        result = run_cli("check", "--lang", "en", str(path))
        assert result.exit_code == 0, (name, result.stderr)
        assert f": {min(MAX_CASES, len(cases))} cases, no problems" in result.stderr


@pytest.mark.parametrize("name", list(SOURCES))
def test_mutated_examples(workdir, name):
    @FUZZ_SETTINGS
    @given(text=excerpts(name), steps=st.lists(mutations, min_size=1, max_size=4))
    def run(text, steps):
        data = mutate(text, steps)
        assume(len(data) < 200_000)
        path = workdir / f"mutated-{name}"
        path.write_bytes(data)
        assert_check_and_summary_agree(path)

    run()


@pytest.mark.parametrize("name", list(SOURCES))
def test_whole_examples_truncated_anywhere(workdir, name):
    whole = SOURCES[name].encode("utf-8")

    @settings(max_examples=max(EXAMPLES_PER_TEST // 4, 1), deadline=None, database=None)
    @given(cut=st.integers(min_value=0, max_value=len(whole)))
    def run(cut):
        path = workdir / f"truncated-{name}"
        path.write_bytes(whole[:cut])
        assert_check_and_summary_agree(path)

    run()
