"""calendar: workdays_cn: deadlines by the State Council's holiday schedule."""
from __future__ import annotations

import json

import pytest

from conftest import run_cli

LEDGER = """\
version: 1
jurisdiction: 东阿县
policy:
  calendar: workdays_cn
  resolve_days: {{default: {days}}}
{extra}cases:
  - id: A1
    received: '{received}'
    kind: complaint
    category: 城乡建设
    unit: 铜城街道
    status: open
"""


def deadline(tmp_path, received: str, days: int, extra: str = "") -> tuple[str, list[str]]:
    path = tmp_path / "cn.yaml"
    path.write_text(LEDGER.format(received=received, days=days, extra=extra), encoding="utf-8")
    result = run_cli("summary", str(path), "--format", "json", "--as-of", "2032-01-01 00:00", "--lang", "en")
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    return summary["overdue"][0]["deadline"], summary["warnings"]


@pytest.mark.parametrize("received, days, expected", [
    # 2024 Spring Festival: off 10-17 Feb, make-up Sundays 4 Feb and 18 Feb
    ("2024-02-02 09:00", 1, "2024-02-04"),   # Fri + 1 working day = the make-up Sunday
    ("2024-02-08 09:00", 1, "2024-02-09"),
    ("2024-02-09 09:00", 1, "2024-02-18"),   # the holiday week and its weekend skipped: the make-up Sunday
    ("2024-02-09 09:00", 2, "2024-02-19"),
    # 2025 National Day: off 1-8 Oct, make-up 28 Sep (Sun) and 11 Oct (Sat)
    ("2025-09-26 09:00", 1, "2025-09-28"),
    ("2025-09-30 09:00", 1, "2025-10-09"),
    ("2025-09-30 09:00", 2, "2025-10-10"),
    ("2025-09-30 09:00", 3, "2025-10-11"),  # the make-up Saturday counts
])
def test_deadlines_follow_the_state_council_schedule(tmp_path, received, days, expected):
    found, warnings = deadline(tmp_path, received, days)
    assert found == f"{expected}T23:59:59+08:00"
    assert warnings == []


def test_the_files_own_lists_add_to_the_schedule(tmp_path):
    extra = "  holidays: ['2024-02-19']\n"
    path = tmp_path / "own.yaml"
    path.write_text(LEDGER.format(received="2024-02-09 09:00", days=2, extra="").replace(
        "  resolve_days:", extra + "  resolve_days:"), encoding="utf-8")
    result = run_cli("summary", str(path), "--format", "json", "--as-of", "2030-01-01 00:00")
    assert json.loads(result.stdout)["overdue"][0]["deadline"] == "2024-02-20T23:59:59+08:00"


def test_a_year_the_schedule_does_not_cover_gets_a_warning(tmp_path):
    found, warnings = deadline(tmp_path, "2031-03-03 09:00", 1)
    assert found == "2031-03-04T23:59:59+08:00"
    assert warnings == [{"file": str(tmp_path / "cn.yaml"), "line": 1, "column": 1, "path": "policy.calendar",
                         "message": "the State Council schedule does not cover 2031: deadlines in it count "
                                    "Monday to Friday (add policy.holidays and makeup_workdays)"}]
