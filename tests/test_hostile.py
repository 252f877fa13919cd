"""Hostile input: each must end quickly, in bounded memory, with a clear message and no traceback.

These run the tool as a real process, so that a hang, a segfault (a negative
return code) or a memory blow-up shows as what it is.  Peak memory is the
tool process's own `ru_maxrss` (see run_measured).
"""
from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from conftest import HEADER, MB, MEMORY_LIMIT_KB, ONE_CASE, ROOT, VALID_LEDGER, Measured, run_cli, run_measured, write

LOCATED = re.compile(r"^(?P<file>.+?):(?P<line>[1-9][0-9]*):(?P<column>[1-9][0-9]*): ", re.MULTILINE)


def assert_refused(result: Measured, path: Path, *, mentions: str, max_seconds: float = 20) -> None:
    """Exit 1 (not a signal), located problem lines, a message with `mentions`, no traceback, in bounds."""
    assert result.returncode == 1, (result.returncode, result.stderr[-2000:])
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert result.stdout == ""
    located = [m for m in LOCATED.finditer(result.stderr) if m["file"] == str(path)]
    assert located, result.stderr[:2000]
    assert mentions in result.stderr, result.stderr[:2000]
    assert result.seconds < max_seconds, result.seconds
    assert result.peak_kb < MEMORY_LIMIT_KB, f"peak {result.peak_kb // MB} MB"


# -- aliases and anchors ----------------------------------------------------------
def billion_laughs(indent: str) -> str:
    """9 levels of 9 aliases each: 9**9 (387 million) strings if expanded."""
    lines = [f'{indent}a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, 10):
        lines.append(f"{indent}a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("where", ["top_level", "case_extra"])
def test_alias_bomb_is_refused_without_expanding(tmp_path, where):
    if where == "top_level":
        text = HEADER + billion_laughs("") + "cases: []\n"
    else:
        text = VALID_LEDGER + "    extra:\n" + billion_laughs("      ")
    path = write(tmp_path, "bomb.yaml", text)
    result = run_measured("check", "--lang", "en", str(path), timeout=60)
    assert_refused(result, path, mentions="aliases such as `*a0` are refused")
    assert result.seconds < 10
    # 81 aliases + 9 anchors, every one reported where it stands
    assert "anchors such as `&a9` are refused" in result.stderr


# -- nesting ------------------------------------------------------------------------
DEPTH = 200_000
NESTING_CASES = {
    "flow_sequences_under_cases": HEADER + "cases: " + "[" * DEPTH + "]" * DEPTH + "\n",
    "unclosed_flow_sequences": HEADER + "cases: " + "[" * DEPTH + "\n",
    "flow_mappings": HEADER + "cases: " + "{a: " * DEPTH + "}" * DEPTH + "\n",
    "block_sequences": HEADER + "cases:\n" + "- " * DEPTH + "x\n",
    "flow_sequence_as_key": HEADER + "? " + "[" * DEPTH + "]" * DEPTH + "\n: 1\n" + ONE_CASE,
    "flow_sequences_in_extra": VALID_LEDGER + "    extra: " + "[" * DEPTH + "]" * DEPTH + "\n",
    "flow_mappings_in_extra_unclosed": VALID_LEDGER + "    extra: " + "{a: " * DEPTH + "\n",
}


@pytest.mark.parametrize("name", list(NESTING_CASES))
def test_200000_levels_of_nesting_end_quickly(tmp_path, name):
    path = write(tmp_path, f"{name}.yaml", NESTING_CASES[name])
    result = run_measured("check", "--lang", "en", str(path), timeout=60)
    assert result.returncode >= 0, f"killed by signal {-result.returncode}"
    assert_refused(result, path, mentions="nesting deeper than", max_seconds=10)


def test_deep_block_mappings_end_quickly(tmp_path):
    # Each level of a block mapping needs one more column of indentation, so
    # 200,000 levels would take 20 GB of spaces; 4,000 levels (8 MB) is as deep
    # as a file on disk gets, and far past the limit.
    levels = 4_000
    text = VALID_LEDGER + "    extra:\n" + "".join(" " * (6 + i) + "k:\n" for i in range(levels))
    path = write(tmp_path, "block.yaml", text)
    result = run_measured("check", "--lang", "en", str(path), timeout=60)
    assert result.returncode >= 0, f"killed by signal {-result.returncode}"
    assert_refused(result, path, mentions="nesting deeper than", max_seconds=10)
    assert "cases[0].extra.k.k" in result.stderr


def test_moderate_nesting_inside_extra_is_carried(tmp_path):
    # `extra` is the user's own: a few levels of structure are fine there.
    path = write(tmp_path, "extra.yaml", VALID_LEDGER + "    extra: " + "{a: " * 10 + "1" + "}" * 10 + "\n")
    result = run_cli("check", "--lang", "en", str(path))
    assert (result.exit_code, result.stderr.strip()) == (0, f"{path}: 1 cases, no problems")


@pytest.mark.parametrize("levels", [100, 5_000])
def test_deep_nesting_inside_extra_is_refused_at_extra(tmp_path, levels):
    path = write(tmp_path, "extra.yaml", VALID_LEDGER + "    extra: " + "[" * levels + "]" * levels + "\n")
    result = run_cli("check", "--lang", "en", str(path))
    assert result.exit_code == 1
    assert re.match(re.escape(str(path)) + r":11:\d+: cases\[0\]\.extra\[0\]", result.stderr), result.stderr
    assert "nesting deeper than" in result.stderr


# -- tags -------------------------------------------------------------------------------
def test_python_tags_are_refused_and_nothing_runs(tmp_path):
    marker = tmp_path / "PWNED"
    command = f"touch {marker}"
    text = (
        "version: 1\n"
        f"jurisdiction: !!python/object/apply:os.system ['{command}']\n"        # line 2
        "policy: !!python/object/apply:os.system\n"                              # line 3
        f"  args: ['{command}']\n"
        "cases:\n"
        f"  - !!python/object/apply:os.system ['{command}']\n"                   # line 6
        "  - id: !!python/name:os.system\n"                                      # line 7
        "    received: !!python/object/new:datetime.date [2024, 1, 1]\n"         # line 8
        f"    extra: {{x: !!python/object/apply:subprocess.call [['touch', '{marker}']]}}\n"  # line 9
    )
    path = write(tmp_path, "tags.yaml", text)
    result = run_measured("summary", "--lang", "en", "--format", "json", str(path), timeout=30)
    assert not marker.exists(), "a !!python tag was executed"
    assert_refused(result, path, mentions="explicit tags such as `!!python/object/apply:os.system` are refused")
    tag_lines = sorted(int(line.split(":")[1]) for line in result.stderr.splitlines()
                       if line.startswith(f"{path}:") and "explicit tags" in line)
    assert tag_lines == [2, 3, 6, 7, 8, 9], result.stderr


def test_tagged_header_value_is_reported_on_its_own_line(tmp_path):
    # Every problem about `jurisdiction` belongs to line 2, where it stands,
    # not to the first line of the file.
    path = write(tmp_path, "tag.yaml",
                 "version: 1\njurisdiction: !!python/object/apply:os.system ['true']\ncases: []\n")
    result = run_cli("check", "--lang", "en", str(path))
    assert result.exit_code == 1
    lines = [line for line in result.stderr.splitlines() if line.startswith(f"{path}:")]
    assert lines, result.stderr
    assert all(line.startswith(f"{path}:2:") for line in lines), result.stderr


# -- big data -----------------------------------------------------------------------------
@pytest.mark.parametrize("style", ["quoted", "plain"])
def test_a_15_mb_scalar_is_read_quickly(tmp_path, style):
    text = "长" * 5_000_000  # 15 MB of UTF-8
    value = f"'{text}'" if style == "quoted" else text
    path = write(tmp_path, "big.yaml", VALID_LEDGER + f"    summary: {value}\n")
    assert path.stat().st_size > 15_000_000
    result = run_measured("summary", "--lang", "en", "--format", "json", str(path), timeout=60)
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert result.returncode in (0, 1), result.stderr[-2000:]
    assert result.seconds < 20
    assert result.peak_kb < MEMORY_LIMIT_KB, f"peak {result.peak_kb // MB} MB"
    if result.returncode == 0:
        assert '"received": 1' in result.stdout
    else:
        assert LOCATED.search(result.stderr), result.stderr[:2000]


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


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_binary_is_refused_with_a_location(tmp_path, seed):
    data = random.Random(seed).randbytes(1_000_000)
    path = write(tmp_path, "noise.bin", data)
    result = run_measured("check", "--lang", "en", str(path), timeout=30)
    assert_refused(result, path, mentions="", max_seconds=10)


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x1b", "\x7f", "\ufffe"], ids=["NUL", "SOH", "ESC", "DEL", "FFFE"])
@pytest.mark.parametrize("line_number", [1, 9, 10])
def test_a_control_character_in_a_utf8_file_is_located(tmp_path, char, line_number):
    lines = VALID_LEDGER.split("\n")
    column = len(lines[line_number - 1]) + 1  # in characters: line 9 is `    unit: 铜城街道`
    lines[line_number - 1] += char
    path = write(tmp_path, "control.yaml", "\n".join(lines))
    result = run_cli("check", "--lang", "en", str(path))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"{path}:{line_number}:{column}: "), result.stderr
    assert f"U+{ord(char):04X}" in result.stderr


# -- numbers and dates -----------------------------------------------------------------------
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
