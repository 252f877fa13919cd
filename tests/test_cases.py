"""Data-driven cases: every file in tests/cases/ is run through the command line.

tests/cases/invalid/NAME.yaml
    One broken case file (one problem, a few with two).  NAME.expect lists what
    `check` must report, one line per expected finding:
        LINE:COL: FRAGMENT     a problem at LINE:COL whose message (zh) contains FRAGMENT
        NOT: TEXT              TEXT must not appear anywhere on stderr
    Several lines may name the same LINE:COL (several fragments of one message,
    or several problems at one place).  The set of locations on stderr must be
    exactly the set of locations in the .expect file: no problem may go
    missing, and none may turn up unannounced.

tests/cases/invalid_multi/NAME/
    Two or more files checked together (`check a.yaml b.yaml`, sorted by name),
    and an `expect` file whose lines read FILE:LINE:COL: FRAGMENT (or NOT: TEXT).

tests/cases/valid/NAME.yaml
    Edge cases that must pass `check` (exit 0, empty stdout, only the "ok" line
    on stderr) and give parseable JSON with `summary --format json`.

To add a case, drop a file in the right folder; it is picked up by the listing.
"""
from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest
import yaml

from conftest import run_cli, run_subprocess

CASES = Path(__file__).resolve().parent / "cases"
INVALID_DIR = CASES / "invalid"
INVALID_MULTI_DIR = CASES / "invalid_multi"
VALID_DIR = CASES / "valid"

INVALID = sorted(INVALID_DIR.glob("*.yaml"))
INVALID_MULTI = sorted(p for p in INVALID_MULTI_DIR.iterdir() if p.is_dir())
VALID = sorted(VALID_DIR.glob("*.yaml"))

# FILE:LINE:COL: PATH: message -- PATH is empty for whole-file problems
# ("f.yaml:1:1: : the file is empty") and never contains a space.
PROBLEM_RE = re.compile(r"(?P<file>[^:]+):(?P<line>[0-9]+):(?P<col>[0-9]+): (?P<path>[^ ]*): (?P<message>.*)\Z")
EXPECT_RE = re.compile(r"(?:(?P<file>[^:]+):)?(?P<line>[0-9]+):(?P<col>[0-9]+): (?P<fragment>.+)\Z")


@dataclasses.dataclass(frozen=True)
class Finding:
    file: str
    line: int
    col: int
    path: str
    message: str


@dataclasses.dataclass
class Expectation:
    wanted: list[tuple[str, int, int, str]]  # (file, line, col, fragment)
    absent: list[str]

    @property
    def locations(self) -> set[tuple[str, int, int]]:
        return {(file, line, col) for file, line, col, _ in self.wanted}


def read_expect(path: Path, default_file: str | None) -> Expectation:
    """Parse a .expect / expect file; FILE is required unless default_file is given."""
    wanted, absent = [], []
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not text.strip():
            continue
        if text.startswith("NOT: "):
            absent.append(text[len("NOT: "):])
            continue
        match = EXPECT_RE.match(text)
        assert match, f"{path.name}:{number}: not `[FILE:]LINE:COL: FRAGMENT` or `NOT: TEXT`: {text!r}"
        file = match["file"] or default_file
        assert file is not None, f"{path.name}:{number}: FILE: is required here: {text!r}"
        wanted.append((file, int(match["line"]), int(match["col"]), match["fragment"]))
    assert wanted, f"{path.name} expects no problem at all"
    return Expectation(wanted, absent)


def findings(stderr: str, files: list[str]) -> list[Finding]:
    """The problem lines of stderr that belong to `files`; each must be well formed."""
    found = []
    for text in stderr.splitlines():
        if not any(text.startswith(name + ":") for name in files):
            continue
        match = PROBLEM_RE.match(text)
        assert match, f"malformed problem line (want FILE:LINE:COL: PATH: message): {text!r}"
        found.append(Finding(match["file"], int(match["line"]), int(match["col"]), match["path"],
                             match["message"]))
    return found


def assert_invalid_run(files: list[str], expectation: Expectation) -> None:
    """`check FILES` (zh, then en) reports exactly the expected problems, in order."""
    result = run_cli("check", *files)
    assert "Traceback" not in result.stderr
    assert (result.exit_code, result.stdout) == (1, ""), result.stderr
    found = findings(result.stderr, files)
    located = {(f.file, f.line, f.col) for f in found}
    assert located == expectation.locations, result.stderr
    for file, line, col, fragment in expectation.wanted:
        messages = [f.message for f in found if (f.file, f.line, f.col) == (file, line, col)]
        assert any(fragment in m for m in messages), \
            f"{file}:{line}:{col}: no message contains {fragment!r}; got {messages!r}"
    for text in expectation.absent:
        assert text not in result.stderr, f"{text!r} must not appear:\n{result.stderr}"
    # sorted by file (in argument order), then line, then column
    order = [(files.index(f.file), f.line, f.col) for f in found]
    assert order == sorted(order), result.stderr
    # the closing count line names the number of problems listed
    assert f"共 {len(found)} 个问题" in result.stderr, result.stderr

    english = run_cli("check", "--lang", "en", *files)
    assert "Traceback" not in english.stderr
    assert (english.exit_code, english.stdout) == (1, ""), english.stderr
    found_en = findings(english.stderr, files)
    assert {(f.file, f.line, f.col) for f in found_en} == expectation.locations, english.stderr
    assert len(found_en) == len(found), english.stderr
    total_line = "1 problem in all" if len(found) == 1 else f"{len(found)} problems in all"
    assert total_line in english.stderr, english.stderr


def count_cases(path: Path) -> int:
    """How many cases a valid file holds, by an independent reading (no typing at all)."""
    data = yaml.load(path.read_bytes(), Loader=yaml.BaseLoader)  # noqa: S506 - BaseLoader builds no objects
    return len(data["cases"])


# =============================================================================
# The corpus itself
# =============================================================================
def test_corpus_is_complete():
    assert len(INVALID) >= 30
    assert len(VALID) >= 10
    assert len(INVALID_MULTI) >= 1
    yaml_names = {p.stem for p in INVALID}
    expect_names = {p.stem for p in INVALID_DIR.glob("*.expect")}
    assert yaml_names == expect_names, yaml_names ^ expect_names
    for directory in INVALID_MULTI:
        assert (directory / "expect").is_file(), directory.name
        assert len(list(directory.glob("*.yaml"))) >= 2, directory.name


# =============================================================================
# Invalid files, one at a time
# =============================================================================
@pytest.mark.parametrize("path", INVALID, ids=[p.name for p in INVALID])
def test_invalid_case(path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(path.parent)
    expectation = read_expect(path.with_suffix(".expect"), default_file=path.name)
    before = path.read_bytes()
    assert_invalid_run([path.name], expectation)
    assert path.read_bytes() == before


def test_python_tag_runs_nothing(monkeypatch: pytest.MonkeyPatch):
    """`!!python/object/apply:os.system` is refused, in-process and as a real process."""
    pwned = Path("/tmp/PWNED")
    if pwned.exists():
        pwned.unlink()
    monkeypatch.chdir(INVALID_DIR)
    for command in ("check", "summary", "report", "run"):
        result = run_cli(command, "python_tag.yaml")
        assert (result.exit_code, result.stdout) == (1, ""), result.stderr
        assert "!!python/object/apply:os.system" in result.stderr
        assert not pwned.exists()
    process = run_subprocess("check", "python_tag.yaml", cwd=INVALID_DIR)
    assert process.returncode == 1, process.stderr.decode("utf-8", "replace")
    assert process.stdout == b""
    assert "!!python/object/apply:os.system".encode() in process.stderr
    assert not pwned.exists()


@pytest.mark.parametrize("command", ["summary", "report", "run"])
def test_invalid_file_stops_every_data_command(command: str, monkeypatch: pytest.MonkeyPatch):
    """summary, report and run check first: the same problems, nothing on stdout, exit 1."""
    monkeypatch.chdir(INVALID_DIR)
    checked = run_cli("check", "duplicate_key.yaml")
    result = run_cli(command, "duplicate_key.yaml")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == checked.stderr
    assert "duplicate_key.yaml:10:5: cases[0].kind: 重复的键 `kind`（第 6 行已写过）" in result.stderr


def test_invalid_file_from_standard_input():
    """`-` reads standard input and names it <stdin> in the problem lines."""
    data = (INVALID_DIR / "channel_no.yaml").read_bytes()
    result = run_cli("check", "-", input=data)
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr.startswith("<stdin>:10:14: cases[0].channel: `NO` 不是可选值")


# =============================================================================
# Invalid sets of files, checked together
# =============================================================================
@pytest.mark.parametrize("directory", INVALID_MULTI, ids=[p.name for p in INVALID_MULTI])
def test_invalid_multi(directory: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(directory)
    files = sorted(p.name for p in directory.glob("*.yaml"))
    expectation = read_expect(directory / "expect", default_file=None)
    assert {file for file, *_ in expectation.wanted} <= set(files)
    before = {name: (directory / name).read_bytes() for name in files}
    assert_invalid_run(files, expectation)
    assert {name: (directory / name).read_bytes() for name in files} == before


# =============================================================================
# Valid files
# =============================================================================
@pytest.mark.parametrize("path", VALID, ids=[p.name for p in VALID])
def test_valid_case(path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(path.parent)
    cases = count_cases(path)
    before = path.read_bytes()

    result = run_cli("check", path.name)
    assert (result.exit_code, result.stdout) == (0, ""), result.stderr
    assert result.stderr == f"{path.name}：{cases} 个案件，检查通过\n"

    english = run_cli("check", "--lang", "en", path.name)
    assert (english.exit_code, english.stdout) == (0, ""), english.stderr
    assert english.stderr == f"{path.name}: {cases} cases, no problems\n"

    summary = run_cli("summary", "--format", "json", path.name)
    assert summary.exit_code == 0, summary.stderr
    assert "Traceback" not in summary.stderr
    data = json.loads(summary.stdout)
    assert data["version"] == 1
    assert data["jurisdiction"] == "东阿县"
    assert data["totals"]["received"] == cases
    assert sum(entry["received"] for entry in data["groups"]["unit"]) == cases
    assert path.read_bytes() == before


def test_valid_file_with_header_after_cases_uses_that_header(monkeypatch: pytest.MonkeyPatch):
    """period and policy written after `cases` still apply (period, as-of and units)."""
    monkeypatch.chdir(VALID_DIR)
    result = run_cli("summary", "--format", "json", "header_after_cases.yaml")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["period"] == {"start": "2024-03-01", "end": "2024-03-31"}
    assert data["as_of"] == "2024-03-31T23:59:59+08:00"
    assert [entry["name"] for entry in data["groups"]["unit"]] == ["铜城街道"]


def test_valid_every_channel_and_kind_is_grouped(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(VALID_DIR)
    result = run_cli("summary", "--format", "json", "every_channel_and_kind.yaml")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert sorted(e["name"] for e in data["groups"]["kind"]) == sorted(
        ["consultation", "complaint", "help", "report", "suggestion", "dispute", "petition", "legal_aid", "other"])
    assert sorted(e["name"] for e in data["groups"]["channel"]) == sorted(
        ["hotline", "walk_in", "letter", "online", "grid", "referral", "other"])


def test_valid_plain_scalars_stay_text(monkeypatch: pytest.MonkeyPatch):
    """YAML 1.2 core schema: 0x1F, 1_000 and .inf are ids (text), 9:30 is not 570."""
    monkeypatch.chdir(VALID_DIR)
    result = run_cli("summary", "--format", "json", "yaml12_plain_scalars.yaml")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["totals"]["received"] == 3
    assert data["totals"]["open"] == 3


def test_valid_files_checked_together(monkeypatch: pytest.MonkeyPatch):
    """Three valid files with distinct ids pass together; the ok line counts all cases."""
    monkeypatch.chdir(VALID_DIR)
    names = ["every_channel_and_kind.yaml", "yaml12_plain_scalars.yaml", "empty_cases.yaml"]
    cases = sum(count_cases(VALID_DIR / name) for name in names)
    assert cases == 12
    result = run_cli("check", *names)
    assert (result.exit_code, result.stdout) == (0, ""), result.stderr
    assert result.stderr == "every_channel_and_kind.yaml、yaml12_plain_scalars.yaml、empty_cases.yaml：12 个案件，检查通过\n"


def test_valid_file_as_real_process():
    """A real process on a file with a byte-order mark: exit 0, only the ok line."""
    before = (VALID_DIR / "bom.yaml").read_bytes()
    assert before.startswith(b"\xef\xbb\xbf")
    process = run_subprocess("check", "bom.yaml", cwd=VALID_DIR)
    assert process.returncode == 0, process.stderr.decode("utf-8", "replace")
    assert process.stdout == b""
    assert process.stderr.decode("utf-8") == "bom.yaml：1 个案件，检查通过\n"
    assert (VALID_DIR / "bom.yaml").read_bytes() == before
