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
