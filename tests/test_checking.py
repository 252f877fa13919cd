"""Checking: the cases a ledger holds, against the schema and against each other.

The data-driven cases of tests/cases/, the fast path held to the detailed one,
ids; then hostile input to the checker (many problems, numbers and dates,
policies that break arithmetic, huge group counts) and fuzzing.  Reading the
bytes is test_loading.py; the figures of valid cases are test_figures.py.
"""
from __future__ import annotations

import dataclasses
import json
import os
import re
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import grassroots_report as gr
from conftest import (EXAMPLES, HEADER, MB, MEMORY_LIMIT_KB, ROOT, VALID_LEDGER, clean, run_cli, run_measured,
                      run_subprocess, write)


# == Data-driven cases: every file in tests/cases/ is run through the command line =================
# tests/cases/invalid/NAME.yaml
#     One broken case file (one problem, a few with two).  NAME.expect lists what
#     `check` must report, one line per expected finding:
#         LINE:COL: FRAGMENT     a problem at LINE:COL whose message (zh) contains FRAGMENT
#         NOT: TEXT              TEXT must not appear anywhere on stderr
#     Several lines may name the same LINE:COL (several fragments of one message,
#     or several problems at one place).  The set of locations on stderr must be
#     exactly the set of locations in the .expect file: no problem may go
#     missing, and none may turn up unannounced.
#
# tests/cases/invalid_multi/NAME/
#     Two or more files checked together (`check a.yaml b.yaml`, sorted by name),
#     and an `expect` file whose lines read FILE:LINE:COL: FRAGMENT (or NOT: TEXT).
#
# tests/cases/valid/NAME.yaml
#     Edge cases that must pass `check` (exit 0, empty stdout, only the "ok" line
#     on stderr) and give parseable JSON with `summary --format json`.
#
# To add a case, drop a file in the right folder; it is picked up by the listing.

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


# -- the corpus itself -----------------------------------------------------------------------------
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


# -- invalid files, one at a time ------------------------------------------------------------------
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


# -- invalid sets of files, checked together -------------------------------------------------------
@pytest.mark.parametrize("directory", INVALID_MULTI, ids=[p.name for p in INVALID_MULTI])
def test_invalid_multi(directory: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(directory)
    files = sorted(p.name for p in directory.glob("*.yaml"))
    expectation = read_expect(directory / "expect", default_file=None)
    assert {file for file, *_ in expectation.wanted} <= set(files)
    before = {name: (directory / name).read_bytes() for name in files}
    assert_invalid_run(files, expectation)
    assert {name: (directory / name).read_bytes() for name in files} == before


# -- valid files -----------------------------------------------------------------------------------
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


# == The fast path and the detailed path agree =====================================================
# Valid cases are confirmed by a predicate compiled from schema.yaml (SchemaCompiler)
# and a clean-case check without locations; jsonschema and the located checks run only
# when those fail.  These tests hold the two paths to the same verdicts and the same
# problems.

CASE_FILES = sorted((ROOT / "tests" / "cases").rglob("*.yaml")) + EXAMPLES
VALIDATORS = gr.Validators()


def case_dicts(path):
    """Every case mapping our own loader builds from a file (bad files give few or none)."""
    source = gr.Source(path.name, 0, path)
    return [item.data for item in gr.FileReader(source, "zh", None).items() if isinstance(item, gr.CaseItem)]


ALL_CASES = [(path, i, data) for path in CASE_FILES for i, data in enumerate(case_dicts(path))]


def test_there_are_many_cases_to_compare():
    assert len(ALL_CASES) > 400


@pytest.mark.parametrize("path,index,data", ALL_CASES,
                         ids=[f"{p.parent.name}/{p.name}[{i}]" for p, i, _ in ALL_CASES])
def test_compiled_predicate_equals_jsonschema(path, index, data):
    assert VALIDATORS.case_is_valid(data) == VALIDATORS.case.is_valid(data)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.floats(-2, 2, allow_nan=False) |
    st.sampled_from(["", "x", "2024-03-05", "2024-03-05 09:30", "9:30", "complaint", "hotline", "resolved",
                     "agreement", "satisfied", "a/b", "a/b/c", "high"]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(
        st.sampled_from(["at", "to", "name", "outcome", "satisfaction", "since", "x"]), children, max_size=3),
    max_leaves=8)
FIELDS = ["id", "received", "kind", "channel", "category", "unit", "co_units", "summary", "requester", "dispatched",
          "deadline", "status", "resolved", "reasonable", "returns", "escalated", "visits", "mediation", "backlog",
          "risk", "featured", "tags", "extra", "unknown"]


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=10), st.data())
def test_compiled_predicate_equals_jsonschema_on_generated_cases(partial, data):
    # start from a valid case and overwrite some fields, so both verdicts occur
    base = dict(ALL_CASES[0][2]) if VALIDATORS.case.is_valid(ALL_CASES[0][2]) else {}
    base.update(partial)
    assert VALIDATORS.case_is_valid(base) == VALIDATORS.case.is_valid(base)


def test_schema_compiler_refuses_unknown_keywords():
    with pytest.raises(ValueError, match="oneOf"):
        gr.SchemaCompiler({}).compile({"oneOf": [{"type": "string"}]})


@pytest.mark.parametrize("path", CASE_FILES, ids=[f"{p.parent.name}/{p.name}" for p in CASE_FILES])
def test_same_problems_whichever_path_runs_first(path, monkeypatch):
    fast = run_cli("check", str(path))
    # the detailed path first: jsonschema decides, and no case takes the clean shortcut
    monkeypatch.setattr(gr.Validators, "__init__", _slow_init)
    monkeypatch.setattr(gr.CaseChecker, "_check_clean", lambda self, data, rules: None)
    slow = run_cli("check", str(path))
    assert (fast.exit_code, fast.stdout, fast.stderr) == (slow.exit_code, slow.stdout, slow.stderr)


_original_init = gr.Validators.__init__


def _slow_init(self):
    _original_init(self)
    self.case_is_valid = self.case.is_valid
    self.header_is_valid = self.header.is_valid


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.stem for e in EXAMPLES])
def test_same_summary_whichever_path_runs_first(example, monkeypatch):
    fast = run_cli("summary", "--format", "json", str(example))
    monkeypatch.setattr(gr.Validators, "__init__", _slow_init)
    monkeypatch.setattr(gr.CaseChecker, "_check_clean", lambda self, data, rules: None)
    slow = run_cli("summary", "--format", "json", str(example))
    assert fast.exit_code == slow.exit_code == 0
    assert json.loads(fast.stdout) == json.loads(slow.stdout)


def headers():
    out = []
    for path in CASE_FILES:
        for item in gr.FileReader(gr.Source(path.name, 0, path), "zh", None).items():
            if isinstance(item, gr.Header):
                out.append((path, item.data))
    return out


HEADERS = headers()


@pytest.mark.parametrize("path,data", HEADERS, ids=[f"{p.parent.name}/{p.name}" for p, _ in HEADERS])
def test_compiled_header_predicate_equals_jsonschema(path, data):
    assert VALIDATORS.header_is_valid(data) == VALIDATORS.header.is_valid(data)


def test_headers_of_both_verdicts_are_compared():
    verdicts = {VALIDATORS.header.is_valid(data) for _, data in HEADERS}
    assert verdicts == {True, False}


# == Ids, and the ledgers the benchmarks generate ==================================================
def test_id_seen_remembers_every_id_and_grows():
    seen = gr.IdSeen()
    ids = [f"DA-{i:06d}" for i in range(5000)]
    assert all(seen.add(i) for i in ids)
    assert not any(seen.add(i) for i in ids)
    assert all(i in seen for i in ids)
    assert "DA-999999" not in seen
    assert seen.count == 5000 and len(seen.table) >= 10000


def test_a_hash_collision_is_not_reported_as_a_duplicate(monkeypatch):
    # every id hashes alike: each case looks like a duplicate until the files are read again
    monkeypatch.setattr(gr, "hash", lambda text: 42, raising=False)
    result = run_cli("check", str(EXAMPLES[0]))
    assert result.exit_code == 0, result.stderr
    assert result.stderr.count("\n") == 1


def test_terse_benchmark_ledgers_are_valid_and_smaller(tmp_path):
    import subprocess
    import sys

    from conftest import ROOT

    sizes = {}
    for terse in (False, True):
        path = tmp_path / f"ledger-{terse}.yaml"
        subprocess.run([sys.executable, str(ROOT / "bench" / "gen_ledger.py"), "400", "-o", str(path),
                        *(["--terse"] if terse else [])], check=True)
        result = run_cli("check", str(path))
        assert result.exit_code == 0, result.stderr
        sizes[terse] = path.stat().st_size
    assert sizes[True] < 0.7 * sizes[False]


# == Hostile input: the checker ====================================================================
# Each ends with a located message (or a result) and no traceback, in bounded time and memory.

# -- 20,000 invalid cases --------------------------------------------------------------------------
def test_20000_invalid_cases_print_a_bounded_listing_and_the_total(tmp_path):
    case = ("  - id: 'C-{i}'\n    received: '2024-03-04 09:12'\n    kind: nonsense\n"
            "    category: 城乡建设\n    unit: 铜城街道\n    status: open\n")
    path = write(tmp_path, "many.yaml", HEADER + "cases:\n" + "".join(case.format(i=i) for i in range(20_000)))
    result = run_measured("check", "--lang", "en", str(path), timeout=90)
    assert result.returncode == 1, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    problem_lines = [line for line in result.stderr.splitlines() if line.startswith(f"{path}:")]
    assert 1 <= len(problem_lines) <= 101, len(problem_lines)
    assert problem_lines[0].startswith(f"{path}:7:11: cases[0].kind: `nonsense` is not one of"), problem_lines[0]
    last = result.stderr.strip().splitlines()[-1]
    assert max(int(n) for n in re.findall(r"\d+", last)) >= 20_000, last
    assert len(result.stderr.splitlines()) <= 105
    assert result.peak_kb < MEMORY_LIMIT_KB, f"peak {result.peak_kb // MB} MB"


# -- numbers and dates -----------------------------------------------------------------------------
@pytest.mark.parametrize("sign", ["", "-"])
def test_a_5000_digit_number_of_returns(tmp_path, sign):
    # Python refuses to turn more than 4,300 digits into an int by default.
    path = write(tmp_path, "returns.yaml", VALID_LEDGER + f"    returns: {sign}{'9' * 5000}\n")
    result = run_measured("summary", "--lang", "en", "--format", "json", str(path), timeout=30)
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert result.seconds < 10
    if sign:  # below the minimum of 0, however written
        assert result.returncode == 1, result.stderr
    else:  # a whole number, if a silly one: accepted, or refused where it stands
        assert result.returncode in (0, 1), result.stderr
    if result.returncode == 1:
        assert result.stderr.startswith(f"{path}:11:14: cases[0].returns: "), result.stderr[:500]


def test_a_5000_digit_version(tmp_path):
    path = write(tmp_path, "version.yaml", VALID_LEDGER.replace("version: 1", "version: " + "9" * 5000))
    result = run_cli("check", "--lang", "en", str(path))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"{path}:1:10: version: "), result.stderr[:500]


@pytest.mark.parametrize("field, replace, line", [
    ("received", ("received: '2024-03-04 09:12'", "received: '2024-02-30'"), 6),
    ("received with time", ("received: '2024-03-04 09:12'", "received: '2024-02-30 09:12'"), 6),
    ("deadline", ("status: open", "status: open\n    deadline: '2024-02-30'"), 11),
    ("as_of", ("as_of: '2024-04-01 09:00'", "as_of: '2024-02-30'"), 3),
    ("period", ("as_of: '2024-04-01 09:00'", "period: {start: '2024-02-01', end: '2024-02-30'}"), 3),
    ("holiday", ("as_of: '2024-04-01 09:00'", "policy: {holidays: ['2024-02-30']}"), 3),
])
def test_february_30th_is_not_a_date(tmp_path, field, replace, line):
    path = write(tmp_path, "feb30.yaml", VALID_LEDGER.replace(*replace))
    assert "2024-02-30" in path.read_text(encoding="utf-8")
    result = run_cli("summary", "--lang", "en", "--format", "json", str(path))
    assert result.exit_code == 1, result.stderr
    assert result.stdout == ""
    assert re.match(re.escape(str(path)) + rf":{line}:\d+: \S+: `2024-02-30[^`]*` is not a real date",
                    result.stderr), result.stderr


def test_february_30th_as_of_option_is_a_usage_error():
    result = run_cli("check", "--as-of", "2024-02-30", "--lang", "en",
                     str(ROOT / "examples" / "hotline-2024-03.yaml"))
    assert result.exit_code == 2
    assert "2024-02-30" in result.stderr and "--as-of" in result.stderr


@pytest.mark.parametrize("as_of", ["0001-01-01", "0001-01-01T00:00+14:00", "9999-12-31T23:59-14:00"])
def test_extreme_as_of_dates_do_not_crash(tmp_path, as_of):
    # 0001-01-01 at +08:00 is still year 0 in UTC; 9999-12-31 at -14:00 is year 10000.
    path = write(tmp_path, "ledger.yaml", run_cli("example").stdout)
    result = run_measured("summary", "--format", "json", "--as-of", as_of, str(path), timeout=30)
    assert "Traceback" not in result.stderr, result.stderr[-1500:]
    assert result.returncode in (0, 2), result.stderr  # a bad option is a usage error, not bad data
    if result.returncode == 2:
        assert "--as-of" in result.stderr and as_of in result.stderr, result.stderr


@pytest.mark.parametrize("deadline", ["0001-01-01", "0001-01-01T00:00+14:00"])
def test_a_deadline_in_year_1_does_not_crash(tmp_path, deadline):
    path = write(tmp_path, "ledger.yaml", VALID_LEDGER + f"    deadline: '{deadline}'\n")
    result = run_measured("summary", "--format", "json", str(path), timeout=30)
    assert "Traceback" not in result.stderr, result.stderr[-1500:]
    assert result.returncode in (0, 1), result.stderr
    if result.returncode == 1:
        assert result.stderr.startswith(f"{path}:11:15: cases[0].deadline: "), result.stderr


# -- policies that break arithmetic ----------------------------------------------------------------
def _policy_ledger(tmp_path: Path, line: str) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text("version: 1\njurisdiction: x\npolicy:\n  " + line + "\ncases:\n"
                    "  - {id: a, received: '2024-03-04 09:12', kind: complaint, category: c, unit: u, status: open}\n",
                    encoding="utf-8")
    return path


@pytest.mark.parametrize("line, message", [
    ("dispatch_hours: 1e18", "policy.dispatch_hours: must be at most 720, not `1e18`"),
    ("dispatch_hours: 1.0e308", "policy.dispatch_hours: must be at most 720, not `1.0e308`"),
    ("penalty_per_overdue: 1e308", "policy.penalty_per_overdue: must be at most 100, not `1e308`"),
    ("resolve_days: {default: 99999999}", "policy.resolve_days.default: must be at most 3650, not `99999999`"),
    ("category_resolve_days: {c: 100000}", "policy.category_resolve_days.c: must be at most 3650, not `100000`"),
    ("weights: {solved_rate: 1e300}", "policy.weights.solved_rate: must be at most 100, not `1e300`"),
    ("rank_min_cases: 100000000000", "policy.rank_min_cases: must be at most 1000000, not `100000000000`"),
    ("timezone: '+25:00'", "policy.timezone: `+25:00` is not a time-zone offset"),
    ("timezone: '+08:60'", "policy.timezone: `+08:60` is not a time-zone offset"),
    ("timezone: '-24:00'", "policy.timezone: `-24:00` is not a time-zone offset"),
])
@pytest.mark.parametrize("command", ["check", "summary", "report"])
def test_a_policy_value_out_of_range_is_refused_with_its_place(tmp_path, line, message, command):
    path = _policy_ledger(tmp_path, line)
    result = run_cli(command, "--lang", "en", str(path))
    assert result.exit_code == 1
    assert result.stdout == ""
    first, total = result.stderr.splitlines()
    assert first.startswith(f"{path}:4:") and message in first, first
    assert total == "1 problem in all"
    clean(result.stderr)


@pytest.mark.parametrize("line", ["dispatch_hours: 720", "timezone: '-23:59'", "timezone: '+14:00'",
                                  "penalty_per_overdue: 100", "resolve_days: {default: 3650}"])
def test_a_policy_value_at_its_limit_is_accepted(tmp_path, line):
    result = run_cli("summary", "--format", "json", str(_policy_ledger(tmp_path, line)))
    assert (result.exit_code, result.stderr) == (0, "")
    assert json.loads(result.stdout)["totals"]["received"] == 1


# -- huge group counts -----------------------------------------------------------------------------
def _many_units_ledger(path: Path, units: int, cases: int) -> Path:
    with open(path, "w", encoding="utf-8") as out:
        out.write("version: 1\njurisdiction: 东阿县\nas_of: '2024-04-01 09:00'\ncases:\n")
        out.writelines(f"  - {{id: 'U-{i:06d}', received: '2024-03-04 09:12', kind: complaint, category: c,"
                       f" unit: 第{i % units}网格, status: resolved, resolved: '2024-03-06 16:00'}}\n"
                       for i in range(cases))
    return path


@pytest.mark.parametrize("fmt", ["json", "table"])
def test_more_than_10000_distinct_units_are_refused_at_the_first_too_many(tmp_path, fmt):
    path = _many_units_ledger(tmp_path / "units.yaml", 20_000, 20_000)
    result = run_measured("summary", "--lang", "en", "--format", fmt, str(path), timeout=120)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (f"{path}:10005:88: cases[10000].unit: one run counts at most 10,000 distinct units, "
                             "and this one is past that: check that the column holds what it should (not an id, "
                             "say), or split the ledger\n1 problem in all\n")
    assert result.peak_kb < 100 * MB, f"peak {result.peak_kb // MB} MB"


def test_10000_distinct_units_are_counted_within_the_ceiling(tmp_path):
    path = _many_units_ledger(tmp_path / "units.yaml", 10_000, 10_000)
    result = run_measured("summary", "--format", "json", str(path), timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stderr == ""
    assert len(json.loads(result.stdout)["groups"]["unit"]) == 10_000
    assert result.peak_kb < 200 * MB, f"peak {result.peak_kb // MB} MB"


def test_a_million_holidays_are_refused_after_10000_in_bounded_memory(tmp_path):
    path = tmp_path / "holidays.yaml"
    with open(path, "w", encoding="utf-8") as out:
        out.write("version: 1\njurisdiction: x\npolicy:\n  calendar: workdays\n  holidays:\n")
        out.writelines("    - '2024-04-04'\n" for _ in range(1_000_000))
        out.write("cases: []\n")
    result = run_measured("check", "--lang", "en", str(path), timeout=120)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (f"{path}:10006:7: policy.holidays: a list or mapping longer than 10,000 items; reading "
                             "stopped: a ledger never needs one this long (holidays, units and categories are far "
                             "fewer)\n1 problem in all\n")
    assert result.peak_kb < 100 * MB, f"peak {result.peak_kb // MB} MB"


# == Hostile input: fuzzing (hypothesis) ===========================================================
# Whatever the bytes, `check` and `summary` end with 0 or 1, never an exception.  Inputs
# are random bytes and mutations (deleted, duplicated or swapped lines, changed indentation,
# tabs, truncation, replaced characters) of the example ledgers.  The tool runs in-process
# with catch_exceptions=False, so any exception escapes into the test.  Beyond "no crash",
# check and summary must agree: a file `check` passes gives a JSON summary counting the same
# cases, and a file it refuses gives no summary at all.  (Exit 2 is for usage and I/O
# errors, which a file's content never is.)

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


# -- random bytes ----------------------------------------------------------------------------------
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


# -- mutations of the examples ---------------------------------------------------------------------
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
