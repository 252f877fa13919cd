"""Events after as-of do not count: the figures are the ledger as it stood at as-of."""
from __future__ import annotations

import json

from conftest import run_cli

LEDGER = """\
version: 1
jurisdiction: 东阿县
as_of: '2024-03-10 18:00'
cases:
  - id: LATE-RESOLVED
    received: '2024-03-01 09:00'
    kind: complaint
    category: 城乡建设
    unit: 铜城街道
    dispatched: '2024-03-01 10:00'
    status: resolved
    resolved: '2024-03-12 09:00'
    visits:
      - {at: '2024-03-13 09:00', satisfaction: dissatisfied}
  - id: LATE-DISPATCH
    received: '2024-03-09 09:00'
    kind: complaint
    category: 城乡建设
    unit: 铜城街道
    dispatched: '2024-03-11 09:00'
    escalated: {at: '2024-03-11 10:00', to: 县政府}
    status: open
  - id: VISITED-TWICE
    received: '2024-03-02 09:00'
    kind: consultation
    category: 劳动保障
    unit: 县人社局
    dispatched: '2024-03-02 09:30'
    status: resolved
    resolved: '2024-03-02 12:00'
    visits:
      - {at: '2024-03-03 09:00', satisfaction: satisfied, solved: true}
      - {at: '2024-03-15 09:00', satisfaction: dissatisfied, solved: false}
"""


def summary(tmp_path, text: str, *args: str) -> dict:
    path = tmp_path / "ledger.yaml"
    path.write_text(text, encoding="utf-8")
    result = run_cli("summary", str(path), "--format", "json", "--lang", "en", *args)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_later_events_are_left_out_of_every_figure(tmp_path):
    data = summary(tmp_path, LEDGER)
    totals = data["totals"]
    # LATE-RESOLVED is open at as-of, and overdue (its 3-day deadline passed on 4 March)
    assert (totals["received"], totals["resolved"], totals["open"], totals["overdue"]) == (3, 1, 2, 1)
    assert [e["id"] for e in data["overdue"]] == ["LATE-RESOLVED"]
    # LATE-DISPATCH had no response by as-of, and its 3-hour window had passed: due, not in time
    assert totals["response_rate"] == 0.6667
    assert totals["escalated"] == 0
    # VISITED-TWICE: only the first visit had happened (satisfied, solved)
    assert (totals["satisfaction_rate"], totals["solved_rate"], totals["dissatisfied"]) == (1.0, 1.0, 0)
    # the later events are still named in the warnings
    assert sum("later than as-of" in w["message"] for w in data["warnings"]) == 5


def test_the_february_briefing_made_in_may_equals_the_one_made_on_1_march(tmp_path):
    early = LEDGER.replace("""    dispatched: '2024-03-11 09:00'
    escalated: {at: '2024-03-11 10:00', to: 县政府}
""", "").replace("""    resolved: '2024-03-12 09:00'
    visits:
      - {at: '2024-03-13 09:00', satisfaction: dissatisfied}
""", "").replace("""      - {at: '2024-03-15 09:00', satisfaction: dissatisfied, solved: false}
""", "").replace("id: LATE-RESOLVED\n    received: '2024-03-01 09:00'\n    kind: complaint\n    category: 城乡建设\n"
                 "    unit: 铜城街道\n    dispatched: '2024-03-01 10:00'\n    status: resolved",
                 "id: LATE-RESOLVED\n    received: '2024-03-01 09:00'\n    kind: complaint\n    category: 城乡建设\n"
                 "    unit: 铜城街道\n    dispatched: '2024-03-01 10:00'\n    status: open")
    later, then = summary(tmp_path, LEDGER), summary(tmp_path, early)
    assert later["totals"] == then["totals"]
    assert later["groups"] == then["groups"]
    assert later["overdue"] == then["overdue"]
