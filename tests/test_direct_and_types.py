"""直办 (direct, direct_rate) and ranking within a unit type (type, type_rank)."""
from __future__ import annotations

import json

from conftest import run_cli

CASE = """\
  - id: {id}
    received: '2024-03-0{day} 09:00'
    kind: {kind}
    category: 城乡建设
    unit: {unit}
{more}"""


def ledger(cases: list[dict]) -> str:
    head = ("version: 1\njurisdiction: 东阿县\npolicy: {rank_min_cases: 1}\nunits:\n"
            "  - {name: 铜城街道, type: street}\n  - {name: 新城街道, type: street}\n"
            "  - {name: 县住建局, type: department}\n  - {name: 县人社局, type: department}\n"
            "  - {name: 县信访局}\ncases:\n")
    return head + "".join(CASE.format(**c) for c in cases)


RESOLVED_ON_THE_SPOT = "    status: resolved\n    resolved: '2024-03-0{day} 09:20'\n"
DISPATCHED_AND_RESOLVED = ("    dispatched: '2024-03-0{day} 10:00'\n    status: resolved\n"
                           "    resolved: '2024-03-0{day} 15:00'\n")


def run(tmp_path, cases):
    path = tmp_path / "l.yaml"
    path.write_text(ledger(cases), encoding="utf-8")
    result = run_cli("summary", str(path), "--format", "json", "--as-of", "2024-03-31 00:00")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_direct_is_resolved_without_a_dispatch(tmp_path):
    cases = [
        {"id": "A", "day": 1, "kind": "consultation", "unit": "铜城街道", "more": RESOLVED_ON_THE_SPOT.format(day=1)},
        {"id": "B", "day": 2, "kind": "complaint", "unit": "铜城街道", "more": DISPATCHED_AND_RESOLVED.format(day=2)},
        {"id": "C", "day": 3, "kind": "complaint", "unit": "县住建局", "more": "    status: open\n"},
        {"id": "D", "day": 4, "kind": "complaint", "unit": "县住建局", "more": "    status: withdrawn\n"},
    ]
    data = run(tmp_path, cases)
    assert (data["totals"]["direct"], data["totals"]["direct_rate"]) == (1, 0.3333)
    units = {u["name"]: u for u in data["groups"]["unit"]}
    assert (units["铜城街道"]["direct"], units["铜城街道"]["direct_rate"]) == (1, 0.5)
    assert (units["县住建局"]["direct"], units["县住建局"]["direct_rate"]) == (0, 0.0)


def test_units_are_ranked_within_their_type(tmp_path):
    cases = [
        {"id": "A", "day": 1, "kind": "complaint", "unit": "铜城街道", "more": DISPATCHED_AND_RESOLVED.format(day=1)},
        {"id": "B", "day": 2, "kind": "complaint", "unit": "新城街道", "more": "    status: open\n"},
        {"id": "C", "day": 3, "kind": "complaint", "unit": "县住建局", "more": DISPATCHED_AND_RESOLVED.format(day=3)},
        {"id": "D", "day": 4, "kind": "complaint", "unit": "县人社局", "more": "    status: open\n"},
        {"id": "E", "day": 5, "kind": "complaint", "unit": "县信访局", "more": DISPATCHED_AND_RESOLVED.format(day=5)},
    ]
    data = run(tmp_path, cases)
    ranks = [(u["name"], u["rank"], u["type"], u["type_rank"]) for u in data["groups"]["unit"]]
    assert ranks == [
        ("县住建局", 1, "department", 1), ("县信访局", 2, None, None), ("铜城街道", 3, "street", 1),
        ("县人社局", 4, "department", 2), ("新城街道", 5, "street", 2)]
