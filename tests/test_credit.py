"""The virtue-credit ledger (美德信用积分台账): `ledger: credit`, its figures, caps, redemptions and report.

SPEC.md "The virtue-credit ledger": points (rule.points x quantity, half-up to 2 decimals), caps per
calendar month and year (date order, then id), `available` and the redemptions it refuses, scores and
grades at as-of, the period's figures (`totals`, `groups.village`, `groups.rule`), `stars`,
`honour_roll`, the masking of persons' and households' names, the report's sections, and the errors
and warnings located at their line.

Every expected number is counted by hand from that contract in the comment beside it; none is copied
from the tool's output.  Ledgers are written one record a line (JSON, which is YAML flow style), so
that a record's line is easy to count: lines 1-5 are version, ledger, jurisdiction, period, as_of.
"""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli, write

RULES = [{"code": "V01", "name": "参加志愿服务", "points": 3},
         {"code": "V02", "name": "志愿服务时长", "points": 0.25, "unit": "hour"},
         {"code": "N01", "name": "违规燃放烟花爆竹", "points": -10}]
SUBJECTS = [{"id": "H-01", "name": "季忠学", "village": "韩家曲村", "type": "household"},  # masked 季某某
            {"id": "H-02", "name": "王芳", "village": "韩家曲村", "type": "person"},       # 王某
            {"id": "B-01", "name": "道托果品合作社", "village": "韩家曲村", "type": "business"},  # as written
            {"id": "H-03", "name": "欧阳明辉", "village": "石门村", "type": "household"},  # 欧阳某某
            {"id": "C-01", "name": "石门村村委会", "village": "石门村", "type": "collective"}]  # as written
# With RULES and SUBJECTS: line 6 `rules:`, 7-9 the rules, 10 `subjects:`, 11-15 the subjects,
# 16 `events:`, then events[N] on line 17 + N.
FIRST_EVENT_LINE = 17


def ev(id_: str, subject: str, date: str, rule: str, quantity: float | None = None, status: str | None = None):
    """An event; a date 'MM-DD' is in 2024.  Keys in the order id, subject, date, rule (columns count on it)."""
    item = {"id": id_, "subject": subject, "date": date if len(date) > 5 else f"2024-{date}", "rule": rule}
    if quantity is not None:
        item["quantity"] = quantity
    if status is not None:
        item["status"] = status
    return item


def rd(id_: str, subject: str, date: str, points: float, item: str = "精品花瓶"):
    return {"id": id_, "subject": subject, "date": f"2024-{date}", "item": item, "points": points}


def ledger_text(events, redemptions=(), *, rules=RULES, subjects=SUBJECTS, policy=None,
                period=("2024-01-01", "2024-12-31"), as_of="2024-12-31") -> str:
    lines = ["version: 1", "ledger: credit", "jurisdiction: 沂水县道托镇",
             f"period: {{start: {period[0]}, end: {period[1]}}}", f"as_of: {as_of}"]
    if policy is not None:
        lines.append(f"policy: {json.dumps(policy, ensure_ascii=False)}")
    for key, items in (("rules", rules), ("subjects", subjects), ("events", events), ("redemptions", redemptions)):
        if items or key != "redemptions":
            lines += [f"{key}:"] + [f"  - {json.dumps(item, ensure_ascii=False)}" for item in items]
    return "\n".join(lines) + "\n"


def summary(tmp_path: Path, text: str, *args: str) -> dict[str, Any]:
    path = write(tmp_path, "credit.yaml", text)
    result = run_cli("summary", str(path), "--format", "json", *args)
    assert result.exit_code == 0, (result.exit_code, result.stderr)
    return json.loads(result.stdout)


def check(tmp_path: Path, text: str) -> tuple[Path, Any]:
    path = write(tmp_path, "credit.yaml", text)
    return path, run_cli("check", str(path))


def named(entries: list[dict]) -> dict[str, dict]:
    return {entry["name"]: entry for entry in entries}


def grades(aaa=0, aa=0, a=0, b=0, c=0) -> dict[str, int]:
    return {"AAA": aaa, "AA": aa, "A": a, "B": b, "C": c}


def figures(entry: dict, keys=("subjects", "participants", "participation_rate", "points_awarded",
                               "points_deducted", "points_redeemed", "points_outstanding", "events_pending",
                               "redemptions", "grades")) -> tuple:
    return tuple(entry[key] for key in keys)


# The ledger of the first tests.  Points: E-01 3; E-02 0.25 x 10 = 2.5; E-03 0.25 x 3 = 0.75; E-04 -10;
# E-05 3 x 2 = 6; E-06 -10; E-07 pending, E-08 rejected: nothing.
MAIN_EVENTS = [ev("E-01", "H-01", "03-02", "V01"), ev("E-02", "H-01", "03-09", "V02", 10),
               ev("E-03", "H-02", "03-15", "V02", 3), ev("E-04", "B-01", "04-01", "N01"),
               ev("E-05", "H-03", "05-05", "V01", 2), ev("E-06", "H-03", "06-01", "N01"),
               ev("E-07", "C-01", "12-20", "V01", status="pending"), ev("E-08", "H-02", "07-01", "V01", status="rejected")]
MAIN_REDEMPTIONS = [rd("R-01", "H-01", "03-20", 4),            # available on 03-20: 3 + 2.5 = 5.5 >= 4
                    rd("R-02", "H-03", "06-10", 5, "洗衣粉")]   # available: 6 (E-06 does not lower it) >= 5
MAIN = ledger_text(MAIN_EVENTS, MAIN_REDEMPTIONS)
# Scores at 2024-12-31: H-01 1000 + 3 + 2.5 = 1005.5 (A); H-02 1000.75 (A); B-01 990 (B); H-03 1000 + 6 - 10
# = 996 (B); C-01 1000 (A, its only event pending).  Available: H-01 5.5 - 4 = 1.5; H-02 0.75; H-03 6 - 5 = 1.


# == 1. Totals and both groupings ===================================================================
def test_totals_and_both_groupings_of_a_small_ledger(tmp_path):
    out = summary(tmp_path, MAIN)
    assert (out["ledger"], out["jurisdiction"], out["as_of"]) == ("credit", "沂水县道托镇", "2024-12-31")
    assert out["period"] == {"start": "2024-01-01", "end": "2024-12-31"}
    # 5 subjects; participants H-01, H-02, H-03 -> 3, 3/5 = 0.6; awarded 3 + 2.5 + 0.75 + 6 = 12.25; deducted
    # 10 + 10 = 20; redeemed 4 + 5 = 9; outstanding 1.5 + 0.75 + 1 = 3.25; pending E-07; 2 redemptions
    assert figures(out["totals"]) == (5, 3, 0.6, 12.25, 20, 9, 3.25, 1, 2, grades(a=3, b=2))
    villages = named(out["groups"]["village"])
    assert set(villages) == {"韩家曲村", "石门村"}
    # 韩家曲村: H-01, H-02, B-01; participants H-01, H-02 -> 2/3 = 0.6667; 3 + 2.5 + 0.75 = 6.25; E-04 10;
    # R-01 4; 1.5 + 0.75 = 2.25; A: H-01, H-02; B: B-01
    assert figures(villages["韩家曲村"]) == (3, 2, 0.6667, 6.25, 10, 4, 2.25, 0, 1, grades(a=2, b=1))
    # 石门村: H-03, C-01; participant H-03 -> 0.5; 6; E-06 10; R-02 5; 1; E-07 pending; A: C-01; B: H-03
    assert figures(villages["石门村"]) == (2, 1, 0.5, 6, 10, 5, 1, 1, 1, grades(a=1, b=1))
    rules = named(out["groups"]["rule"])
    keys = ("code", "subjects", "participants", "participation_rate", "points_awarded", "points_deducted",
            "events_pending", "events", "points", "points_redeemed", "points_outstanding", "redemptions", "grades")
    # V01: E-01 3 (H-01) and E-05 6 (H-03) -> 2 participants of 5 = 0.4, 9 points, 2 events; E-07 pending
    assert figures(rules["参加志愿服务"], keys) == ("V01", 5, 2, 0.4, 9, 0, 1, 2, 9) + (None,) * 4
    # V02: E-02 2.5 (H-01), E-03 0.75 (H-02) -> 2, 0.4, 3.25
    assert figures(rules["志愿服务时长"], keys) == ("V02", 5, 2, 0.4, 3.25, 0, 0, 2, 3.25) + (None,) * 4
    # N01: E-04, E-06 -> no participant, 20 deducted, net -20
    assert figures(rules["违规燃放烟花爆竹"], keys) == ("N01", 5, 0, 0.0, 0, 20, 0, 2, -20) + (None,) * 4
    # stars: March 韩家曲村 H-01 3 + 2.5 = 5.5 (H-02 0.75); May 石门村 H-03 6; April and June only deductions
    assert out["stars"] == [
        {"month": "2024-03", "village": "韩家曲村", "subject": "H-01", "name": "季某某", "points": 5.5},
        {"month": "2024-05", "village": "石门村", "subject": "H-03", "name": "欧阳某某", "points": 6}]
    # honour roll: persons and households by score: H-01 1005.5, H-02 1000.75, H-03 996
    assert [(e["rank"], e["subject"], e["name"], e["village"], e["score"], e["grade"]) for e in out["honour_roll"]] == [
        (1, "H-01", "季某某", "韩家曲村", 1005.5, "A"), (2, "H-02", "王某", "韩家曲村", 1000.75, "A"),
        (3, "H-03", "欧阳某某", "石门村", 996, "B")]
    assert out["warnings"] == []  # every date in the period; E-07 pending 11 days (12-20 to 12-31)


def test_period_option_restricts_the_period_figures(tmp_path):
    out = summary(tmp_path, MAIN, "--period", "2024-03")
    assert out["period"] == {"start": "2024-03-01", "end": "2024-03-31"}
    assert out["as_of"] == "2024-03-31"  # the end of the period (file's as_of 12-31 is later)
    # March: E-01, E-02 (H-01), E-03 (H-02) -> 2/5 = 0.4, 6.25 awarded; R-01 4.  At 03-31: available H-01
    # 1.5 + H-02 0.75 = 2.25; scores H-01 1005.5, H-02 1000.75, the other three 1000 (E-04 is 04-01) -> 5 A
    assert figures(out["totals"]) == (5, 2, 0.4, 6.25, 0, 4, 2.25, 0, 1, grades(a=5))
    rules = named(out["groups"]["rule"])
    assert (rules["违规燃放烟花爆竹"]["events"], rules["志愿服务时长"]["points"]) == (0, 3.25)  # none; 2.5 + 0.75
    # The file's as_of earlier than the period's end is the as-of (SPEC: "as for cases", round two):
    # as-of 03-12 leaves out E-03 (03-15) and R-01 (03-20)
    out = summary(tmp_path, MAIN.replace("as_of: 2024-12-31", "as_of: 2024-03-12"), "--period", "2024-03")
    assert out["as_of"] == "2024-03-12"
    # participant H-01 -> 0.2; 3 + 2.5 = 5.5; no redemption; available 5.5; A: all five (H-01 1005.5)
    assert figures(out["totals"]) == (5, 1, 0.2, 5.5, 0, 0, 5.5, 0, 0, grades(a=5))


def test_dates_outside_the_period_after_as_of_and_pending_for_long(tmp_path):
    text = ledger_text([ev("O-1", "H-01", "2023-12-20", "V01"), ev("O-2", "H-01", "03-01", "V01"),
                        ev("O-3", "H-01", "07-01", "V01"), ev("O-4", "H-02", "05-01", "V01", status="pending"),
                        ev("O-5", "H-02", "06-15", "V01", status="pending"), ev("O-6", "H-03", "2025-01-05", "V01")],
                       [rd("P-1", "H-01", "07-02", 2)], as_of="2024-06-30")
    out = summary(tmp_path, text)
    # period figures: only O-2 (O-1 before the period, O-3 after as-of) -> 1 participant, 3 points; pending
    # O-4, O-5; P-1 after as-of -> nothing redeemed.  Available at 06-30: H-01 3 + 3 = 6 (O-1 counts)
    assert figures(out["totals"])[:9] == (5, 1, 0.2, 3, 0, 0, 6, 2, 0)
    # H-01 = 1000 + 3 (O-1) + 3 (O-2) = 1006: the score counts every date up to as-of, not only the period's
    assert [(e["subject"], e["score"]) for e in out["honour_roll"]] == [("H-01", 1006), ("H-02", 1000), ("H-03", 1000)]
    path, result = check(tmp_path, text)
    assert result.exit_code == 0
    warnings = [line for line in result.stderr.splitlines() if line.startswith(f"{path}:") and "警告" in line]
    # O-1 (events[0]) and O-6 (events[5]) outside 2024; O-4 (events[3]) pending 05-01 -> 06-30 = 31 + 29 = 60
    # days; O-5 only 15 days
    assert len(warnings) == 3, warnings
    assert any(w.startswith(f"{path}:{FIRST_EVENT_LINE}:") and "events[0]" in w and "2023-12-20" in w for w in warnings)
    assert any(w.startswith(f"{path}:{FIRST_EVENT_LINE + 5}:") and "2025-01-05" in w for w in warnings)
    assert any("events[3]" in w and "O-4" in w and "60" in w for w in warnings)


# == 2. Caps ==========================================================================================
def test_monthly_cap_cuts_the_crossing_event_and_zeroes_the_later_ones(tmp_path):
    rules = [{"code": "M01", "name": "环境卫生整治", "points": 6, "cap_per_month": 10}]
    events = [ev("E-13", "H-01", "03-10", "M01"), ev("E-12", "H-01", "03-10", "M01"),  # same day: E-12 first
              ev("E-11", "H-01", "03-25", "M01"), ev("E-14", "H-01", "04-01", "M01"),
              ev("E-15", "H-02", "03-10", "M01"), ev("E-10", "H-01", "03-05", "M01", status="pending")]
    out = summary(tmp_path, ledger_text(events, rules=rules))
    # H-01 in March, date then id: E-12 6 (6), E-13 crosses 10: counts 4 (10), E-11 counts 0; pending E-10 uses
    # no cap.  April: E-14 6.  H-01 = 16; H-02 (its own cap) E-15 6.  Awarded 22.
    assert figures(out["totals"])[:5] == (5, 2, 0.4, 22, 0)
    rule = out["groups"]["rule"][0]
    assert (rule["events"], rule["points"], rule["events_pending"]) == (5, 22, 1)  # E-11 counted 0, still an event
    assert [(e["subject"], e["score"]) for e in out["honour_roll"][:2]] == [("H-01", 1016), ("H-02", 1006)]
    # March 韩家曲村: H-01 6 + 4 + 0 = 10 beats H-02 6; April: H-01 6
    assert [(s["month"], s["subject"], s["points"]) for s in out["stars"]] == [("2024-03", "H-01", 10), ("2024-04", "H-01", 6)]
    cut = {w["path"]: w for w in out["warnings"] if "M01" in w["message"]}
    assert set(cut) == {"events[0]", "events[2]"}  # E-13 and E-11, by their place in the file
    assert "`E-13`" in cut["events[0]"]["message"] and "4 分" in cut["events[0]"]["message"]  # 6 counts 4
    assert "`E-11`" in cut["events[2]"]["message"] and "0 分" in cut["events[2]"]["message"]  # 6 counts 0
    assert cut["events[0]"]["line"] == FIRST_EVENT_LINE - 2  # one rule, not three: line 15
    pending = [w for w in out["warnings"] if "E-10" in w["message"]]
    assert len(pending) == 1 and "301" in pending[0]["message"]  # 03-05 is day 65 of 2024, 12-31 day 366


def test_yearly_cap_counts_calendar_years(tmp_path):
    rules = [{"code": "V09", "name": "见义勇为", "points": 20, "cap_per_year": 40}]
    events = [ev("Y-1", "H-03", "2024-02-01", "V09"), ev("Y-2", "H-03", "2024-06-01", "V09", 1.5),
              ev("Y-3", "H-03", "2024-09-01", "V09"), ev("Y-4", "H-03", "2025-01-10", "V09")]
    out = summary(tmp_path, ledger_text(events, rules=rules, period=("2024-01-01", "2025-12-31"), as_of="2025-12-31"))
    # 2024: Y-1 20 (20); Y-2 20 x 1.5 = 30 crosses 40: counts 20 (40); Y-3 0.  2025: Y-4 20.  60 in all
    assert figures(out["totals"])[:5] == (5, 1, 0.2, 60, 0)
    assert (out["groups"]["rule"][0]["events"], out["groups"]["rule"][0]["points"]) == (4, 60)
    assert [(e["subject"], e["score"], e["grade"]) for e in out["honour_roll"][:1]] == [("H-03", 1060, "AA")]
    # stars: Y-1 20 in 2024-02, Y-2 20 in 2024-06, Y-4 20 in 2025-01; Y-3 awarded 0 points: no star
    assert [(s["month"], s["points"]) for s in out["stars"]] == [("2024-02", 20), ("2024-06", 20), ("2025-01", 20)]
    assert sorted(w["path"] for w in out["warnings"]) == ["events[1]", "events[2]"]  # Y-2 and Y-3 cut


def test_caps_by_size_month_and_year_together(tmp_path):
    rules = [{"code": "N02", "name": "乱堆乱放", "points": -10, "cap_per_month": 15},
             {"code": "V03", "name": "清扫街道", "points": 3, "cap_per_month": 5, "cap_per_year": 8}]
    events = [ev("K-1", "H-01", "03-02", "N02"), ev("K-2", "H-01", "03-03", "N02"),  # -10; -10 counts -5 (15)
              ev("K-3", "H-01", "03-03", "V03", 2), ev("K-4", "H-01", "04-03", "V03", 2)]  # 6 -> 5; 6 -> 8 - 5 = 3
    out = summary(tmp_path, ledger_text(events, rules=rules))
    assert (out["totals"]["points_awarded"], out["totals"]["points_deducted"]) == (8, 15)  # 5 + 3; 10 + 5
    assert out["honour_roll"][-1]["score"] == 993  # H-01: 1000 - 15 + 8, below H-02 and H-03 (1000)
    assert sorted(w["path"] for w in out["warnings"]) == ["events[1]", "events[2]", "events[3]"]


# == 3. Redemptions and available =====================================================================
def test_redemption_on_the_day_points_arrive_is_allowed(tmp_path):
    text = ledger_text([ev("D-1", "H-01", "03-01", "N01"), ev("D-2", "H-01", "03-02", "V01", 2)],
                       [rd("R-1", "H-01", "03-02", 6)])
    assert check(tmp_path, text)[1].exit_code == 0  # available 03-02: 3 x 2 = 6, D-1's -10 does not lower it
    out = summary(tmp_path, text)
    # awarded 6, deducted 10, redeemed 6, outstanding 6 - 6 = 0, 1 redemption
    assert figures(out["totals"])[3:9] == (6, 10, 6, 0, 0, 1)
    h01 = next(e for e in out["honour_roll"] if e["subject"] == "H-01")
    assert (h01["score"], h01["grade"]) == (996, "B")  # 1000 - 10 + 6 (redemptions do not lower it); 950 <= 996 < 1000


OVERDRAWN = """\
version: 1
ledger: credit
jurisdiction: 沂水县道托镇
period: {start: 2024-01-01, end: 2024-12-31}
rules:
  - {code: V01, name: 参加志愿服务, points: 3}
subjects:
  - {id: H-01, name: 季忠学, village: 韩家曲村}
events:
  - {id: E-1, subject: H-01, date: 2024-03-02, rule: V01, quantity: 2}
redemptions:
  - id: R-1
    subject: H-01
    date: DATE
    item: 精品花瓶
    points: POINTS
"""


@pytest.mark.parametrize("date, points, available", [
    ("2024-03-01", "5", "0"),  # the day before E-1: nothing available yet
    ("2024-03-02", "7", "6"),  # the day of E-1: 3 x 2 = 6 available, 7 is over it
])
def test_overdrawn_redemption_refused_at_its_points(tmp_path, date, points, available):
    path, result = check(tmp_path, OVERDRAWN.replace("DATE", date).replace("POINTS", points))
    assert result.exit_code == 1
    # `    points: N` is line 16; 4 spaces + "points: " = 12 characters -> column 13
    line = next(line for line in result.stderr.splitlines() if line.startswith(f"{path}:"))
    assert line.startswith(f"{path}:16:13: redemptions[0].points: "), line
    assert "R-1" in line and f"可用积分 {available} 分" in line
    assert run_cli("summary", str(path), "--format", "json").stdout == ""


def test_two_redemptions_on_one_day_are_taken_in_id_order(tmp_path):
    events = [ev("E-1", "H-01", "03-02", "V01", 2)]  # 6 available from 03-02
    # in file order R-2 then R-1; by id R-1 (2, of 6) first, then R-2: 6 - 2 = 4 available
    path, result = check(tmp_path, ledger_text(events, [rd("R-2", "H-01", "03-10", 5), rd("R-1", "H-01", "03-10", 2)]))
    assert result.exit_code == 1  # R-2's 5 is over 4
    # line 17 E-1, 18 `redemptions:`, 19 R-2 = redemptions[0]
    line = next(line for line in result.stderr.splitlines() if line.startswith(f"{path}:"))
    assert line.startswith(f"{path}:19:") and "redemptions[0].points: " in line and "可用积分 4 分" in line, line
    out = summary(tmp_path, ledger_text(events, [rd("R-2", "H-01", "03-10", 4), rd("R-1", "H-01", "03-10", 2)]))
    assert figures(out["totals"])[5:7] == (6, 0)  # redeemed 4 + 2 = 6; outstanding 6 - 6 = 0


# == 4. Grades, stars and the honour roll =============================================================
def test_grades_exactly_on_their_bounds(tmp_path):
    rules = [{"code": "P10", "name": "十分", "points": 10}, {"code": "N10", "name": "扣十分", "points": -10},
             {"code": "N001", "name": "扣一分钱", "points": -0.01}, {"code": "V02", "name": "时长", "points": 0.25}]
    subjects = [{"id": f"S-{n}", "name": f"{surname}大山", "village": "韩家曲村"} for n, surname in
                enumerate("赵钱孙李周吴郑王", start=1)]  # no type: household
    events = [ev("G-1", "S-1", "03-01", "P10", 10), ev("G-2", "S-2", "03-01", "P10", 3),
              ev("G-3", "S-3", "03-01", "P10", 3), ev("G-4", "S-3", "03-02", "N001"),
              ev("G-5", "S-5", "03-01", "N001"), ev("G-6", "S-6", "03-01", "N10", 5),
              ev("G-7", "S-7", "03-01", "N10", 5), ev("G-8", "S-7", "03-02", "N001"),
              ev("G-9", "S-8", "03-01", "V02", 0.1)]
    out = summary(tmp_path, ledger_text(events, rules=rules, subjects=subjects, policy={"honour_roll": 8}))
    # S-1 1100 AAA; S-2 1030 AA; S-3 1029.99 A; S-8 1000 + 0.025 -> half-up 0.03 = 1000.03 A; S-4 1000 A;
    # S-5 999.99 B; S-6 950 B; S-7 949.99 C
    assert [(e["rank"], e["subject"], e["score"], e["grade"]) for e in out["honour_roll"]] == [
        (1, "S-1", 1100, "AAA"), (2, "S-2", 1030, "AA"), (3, "S-3", 1029.99, "A"), (4, "S-8", 1000.03, "A"),
        (5, "S-4", 1000, "A"), (6, "S-5", 999.99, "B"), (7, "S-6", 950, "B"), (8, "S-7", 949.99, "C")]
    assert out["totals"]["grades"] == grades(aaa=1, aa=1, a=3, b=2, c=1)
    # awarded 100 + 30 + 30 + 0.03 = 160.03; deducted 0.01 x 3 + 50 x 2 = 100.03
    assert (out["totals"]["points_awarded"], out["totals"]["points_deducted"]) == (160.03, 100.03)


def test_stars_per_month_and_village_ties_by_subject_id(tmp_path):
    events = [ev("S-1", "H-02", "03-04", "V01", 2), ev("S-2", "H-01", "03-06", "V01", 2),  # 6 and 6: H-01 by id
              ev("S-3", "B-01", "03-08", "V01"), ev("S-4", "C-01", "03-09", "V01", 3),  # 3; 9
              ev("S-5", "H-03", "03-10", "V01"), ev("S-10", "H-03", "03-20", "V01", 5, "pending"),  # 3; pending 15
              ev("S-6", "H-02", "04-02", "V01", 2), ev("S-7", "H-02", "04-03", "N01"),  # awarded 6 (net -4)
              ev("S-8", "H-01", "04-05", "V01"), ev("S-9", "H-01", "04-06", "V02", 8)]  # 3 + 2 = 5
    out = summary(tmp_path, ledger_text(events))
    got = sorted((s["month"], s["village"], s["subject"], s["name"], s["points"]) for s in out["stars"])
    assert got == sorted([
        ("2024-03", "韩家曲村", "H-01", "季某某", 6),         # tie 6 with H-02: the smaller id
        ("2024-03", "石门村", "C-01", "石门村村委会", 9),      # a collective, as written; H-03's pending 15 no
        ("2024-04", "韩家曲村", "H-02", "王某", 6)])          # points awarded, not net: 6 beats H-01's 5


def test_honour_roll_persons_and_households_ties_by_id_and_its_length(tmp_path):
    subjects = [{"id": "P-02", "name": "王芳", "village": "韩家曲村", "type": "person"},
                {"id": "H-01", "name": "季忠学", "village": "韩家曲村", "type": "household"},
                {"id": "B-01", "name": "道托果品合作社", "village": "韩家曲村", "type": "business"},
                {"id": "C-01", "name": "石门村村委会", "village": "石门村", "type": "collective"},
                {"id": "H-05", "name": "赵大勇", "village": "石门村"},  # no type: a household
                {"id": "H-03", "name": "欧阳明辉", "village": "石门村", "type": "household"}]
    events = [ev("E-1", "P-02", "03-01", "V01", 5), ev("E-2", "H-01", "03-01", "V01", 5),  # 1015 each
              ev("E-3", "B-01", "03-01", "V01", 20), ev("E-4", "C-01", "03-01", "V01", 10),  # 1060, 1030: not listed
              ev("E-5", "H-05", "03-01", "V01", 3), ev("E-6", "H-03", "03-01", "V01", 2)]  # 1009; 1006
    for publish, names in ((False, ["季某某", "王某", "赵某某"]), (True, ["季忠学", "王芳", "赵大勇"])):
        out = summary(tmp_path, ledger_text(events, subjects=subjects,
                                            policy={"honour_roll": 3, "publish_names": publish}))
        # H-01 before P-02 (1015 each, "H-01" < "P-02"), then H-05 1009; H-03 1006 is the 4th: cut by length 3
        assert [(e["rank"], e["subject"], e["name"], e["score"]) for e in out["honour_roll"]] == [
            (1, "H-01", names[0], 1015), (2, "P-02", names[1], 1015), (3, "H-05", names[2], 1009)]


# == 5. Masking and the report ========================================================================
def section(report: str, title: str) -> str:
    """The text of the `## ` section whose heading holds `title`."""
    lines = report.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("## ") and title in line)
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    return "\n".join(lines[start:end])


def rows(text: str) -> list[list[str]]:
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in text.splitlines() if line.startswith("|")]


def has_row(table: list[list[str]], *cells: str) -> bool:
    """Some row holds `cells` in this order (other columns may come between)."""
    def holds(row: list[str]) -> bool:
        rest = iter(row)
        return all(any(cell == got for got in rest) for cell in cells)
    return any(holds(row) for row in table)


@pytest.mark.parametrize("publish", [False, True])
def test_names_masked_unless_published_in_json_and_report(tmp_path, publish):
    text = ledger_text(MAIN_EVENTS, MAIN_REDEMPTIONS, policy={"publish_names": publish})
    out = summary(tmp_path, text)
    full, masked = ("季忠学", "王芳", "欧阳明辉"), ("季某某", "王某", "欧阳某某")
    assert [e["name"] for e in out["honour_roll"]] == list(full if publish else masked)
    assert [s["name"] for s in out["stars"]] == ([full[0], full[2]] if publish else [masked[0], masked[2]])
    report = run_cli("report", str(tmp_path / "credit.yaml"))
    assert report.exit_code == 0, report.stderr
    for name in full:
        assert (name in report.stdout) == publish, name
    assert "道托果品合作社" in report.stdout  # a business is printed as written either way (E-04 in 积分公示)
    assert ("实名公示" in section(report.stdout, "统计说明")) == publish


def test_report_sections_and_their_figures(tmp_path):
    path = write(tmp_path, "credit.yaml", MAIN)
    report = run_cli("report", str(path)).stdout
    titles = ["积分总体情况", "等级分布", "积分榜", "月度信用之星", "守信", "失信", "兑换情况", "积分公示", "统计说明"]
    headings = [line for line in report.splitlines() if line.startswith(("## ", "**"))]
    places = [next(i for i, line in enumerate(headings) if title in line) for title in titles]
    assert places == sorted(places), headings
    # 等级分布 by village: 韩家曲村 A 2, B 1; 石门村 A 1, B 1; total A 3, B 2
    table = rows(section(report, "等级分布"))
    assert ["韩家曲村", "0", "0", "2", "1", "0"] in table and ["石门村", "0", "0", "1", "1", "0"] in table  # AAA..C
    assert any(row[1:] == ["0", "0", "3", "2", "0"] for row in table)
    overview = section(report, "积分总体情况")
    assert "66.67%" in overview and "60.00%" in overview  # 2/3 (韩家曲村) and 3/5 (total), 2 decimals
    roll = rows(section(report, "积分榜"))
    assert has_row(roll, "1", "季某某", "韩家曲村", "A", "1005.5") or has_row(roll, "1", "季某某", "韩家曲村", "A", "1005.50")
    items = rows(section(report, "守信"))  # code, item, events, net points
    assert has_row(items, "V01", "参加志愿服务", "2", "9") and has_row(items, "N01", "违规燃放烟花爆竹", "2", "-20")
    redeemed = rows(section(report, "兑换情况"))  # item, times, points
    assert has_row(redeemed, "精品花瓶", "1", "4") and has_row(redeemed, "洗衣粉", "1", "5")
    # 积分公示: the approved events of the period, E-01 to E-06 (not pending E-07, rejected E-08)
    public = [row for row in rows(section(report, "积分公示")) if row[0].startswith("2024-")]
    assert len(public) == 6
    assert has_row(public, "2024-04-01", "道托果品合作社", "韩家曲村", "违规燃放烟花爆竹", "-10")  # E-04
    assert has_row(public, "2024-03-15", "王某", "韩家曲村", "志愿服务时长", "0.75")  # E-03: 0.25 x 3


# == 6. Errors and the CSV ============================================================================
def test_unknown_subject_and_rule_with_a_hint(tmp_path):
    path, result = check(tmp_path, ledger_text([ev("E-1", "H-01", "03-02", "V01"), ev("E-2", "H-011", "03-03", "V01"),
                                                ev("E-3", "H-01", "03-04", "VO1")]))
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    # line 18 `  - {"id": "E-2", "subject": "H-011"`: the value after 29 characters -> column 30
    subject = next(line for line in lines if "events[1].subject" in line)
    assert subject.startswith(f"{path}:18:30: events[1].subject: ") and "H-011" in subject
    assert "是否想写" in subject and "H-01" in subject.split("是否想写")[1]
    # line 19: ..."subject": "H-01", "date": "2024-03-04", "rule": then "VO1" at column 30 + 38 = 68
    rule = next(line for line in lines if "events[2].rule" in line)
    assert rule.startswith(f"{path}:19:68: events[2].rule: ") and "是否想写" in rule and "V01" in rule


@pytest.mark.parametrize("second, where, again, first", [
    # two events: E-1 on line 17, again on line 19
    ([ev("E-1", "H-01", "03-04", "V01")], "events[2].id", 19, 17),
    # a redemption with an event's id: E-2 on line 18; 19 is `redemptions:`, the redemption on line 20
    ([], "redemptions[0].id", 20, 18),
])
def test_duplicate_ids_name_the_first_place(tmp_path, second, where, again, first):
    events = [ev("E-1", "H-01", "03-02", "V01", 2), ev("E-2", "H-01", "03-03", "V01")] + second
    path, result = check(tmp_path, ledger_text(events, [] if second else [rd("E-2", "H-01", "03-10", 1)]))
    assert result.exit_code == 1
    line = next(line for line in result.stderr.splitlines() if where in line)
    # `  - {"id": ` is 11 characters: the id's value at column 12; the first place named as FILE:LINE:COLUMN
    assert line.startswith(f"{path}:{again}:12: {where}: ") and f"{path}:{first}:12" in line.split(": ", 2)[2], line


def test_summary_by_rule_as_csv(tmp_path):
    path = write(tmp_path, "credit.yaml", MAIN)
    result = run_cli("summary", str(path), "--by", "rule", "--format", "csv")
    assert result.exit_code == 0, result.stderr
    table = list(csv.DictReader(io.StringIO(result.stdout)))
    by_name = {row["name"]: row for row in table}
    keys = ("by", "events", "points", "participants", "points_awarded", "points_deducted", "events_pending")
    assert [by_name["参加志愿服务"][k] for k in keys] == ["rule", "2", "9", "2", "9", "0", "1"]
    assert [by_name["志愿服务时长"][k] for k in keys] == ["rule", "2", "3.25", "2", "3.25", "0", "0"]
    assert [by_name["违规燃放烟花爆竹"][k] for k in keys] == ["rule", "2", "-20", "0", "0", "20", "0"]
    # total: 6 events, 9 + 3.25 - 20 = -7.75, 3 participants, 12.25 awarded, 20 deducted, 1 pending
    assert [by_name["沂水县道托镇"][k] for k in keys] == ["total", "6", "-7.75", "3", "12.25", "20", "1"]
    header = result.stdout.splitlines()[0].split(",")
    # by, name, then the rule entry's keys that have a value for a rule, as the village CSV carries every
    # key of a village entry: the rule's code identifies it (names need not be unique)
    assert header[:2] == ["by", "name"]
    assert set(header[2:]) == {"code", "subjects", "participants", "participation_rate", "points_awarded",
                               "points_deducted", "events_pending", "events", "points"}, header


# == 7. A points register kept in Excel: `map`, then the import ========================================
REGISTER = (
    "户号,姓名,村,日期,事项,分值,记录人,审核状态\n"
    "H-0001,季忠学,韩家曲村,2024-03-02,参加志愿服务,3,王洪花,已审核\n"
    "H-0001,季忠学,韩家曲村,2024-03-05,见义勇为,20,王洪花,已审核\n"
    "H-0002,王洪花,韩家曲村,2024-03-06,孝老爱亲,5,王洪花,待审核\n"
    "H-0003,李德成,北岳庄村,2024-03-08,违规燃放烟花爆竹,-10,王洪花,已审核\n"
    "H-0001,季忠华,韩家曲村,2024-03-09,参加志愿服务,3,王洪花,已审核\n"   # row 6: the same 户号, another name
    "H-0004,张桂英,北岳庄村,2024-03-10,参加志愿服务,三,王洪花,已审核\n"
)


def test_map_guesses_a_points_register_and_the_import_makes_a_credit_ledger(tmp_path):
    export = write(tmp_path, "积分登记.csv", REGISTER)
    guessed = run_cli("map", str(export))
    assert guessed.exit_code == 0, guessed.stderr
    text = guessed.stdout
    assert "  ledger: credit\n" in text
    # the rules from the items, each with its commonest points (参加志愿服务: 3, 3 and 三 -> 3)
    assert '    - {code: R01, name: "参加志愿服务", points: 3}' in text
    assert '    - {code: R04, name: "违规燃放烟花爆竹", points: -10}' in text
    for line in ('  subject: "户号"', '  subject.name: "姓名"', '  subject.village: "村"', '  date: "日期"',
                 '  rule: "事项"', '  status: "审核状态"'):
        assert line in text
    # the placeholder must be filled in first
    mapfile = write(tmp_path, "map.yaml", text)
    refused = run_cli("import", str(export), "--map", str(mapfile))
    assert refused.exit_code == 1 and "请填写镇村名称" in refused.stderr
    mapfile.write_text(text.replace('"请填写镇村名称"', "沂水县道托镇"), encoding="utf-8")
    rejects = tmp_path / "rejects.csv"
    result = run_cli("import", str(export), "--map", str(mapfile), "--rejects", str(rejects))
    assert result.exit_code == 0, result.stderr
    # 6 rows: 5 written, 1 rejected (row 6: another name for H-0001); 分值 is not mapped: the rules' points count
    assert "读取 6 行 = 写入 5 条积分事项 + 拒收 1 行" in result.stderr
    reasons = list(csv.reader(io.StringIO(rejects.read_text(encoding="utf-8-sig"))))
    assert reasons[1][-2:] == ["6", "主体 `H-0001` 的 subject.name 与前面的行不同（前面是 `季忠学`）：同一主体每行应一致"]
    ledger = write(tmp_path, "ledger.yaml", result.stdout)
    assert run_cli("check", str(ledger)).exit_code == 0
    out = json.loads(run_cli("summary", str(ledger), "--format", "json").stdout)
    # subjects H-0001, H-0002, H-0003, H-0004; approved: 3 + 20 (H-0001), -10 (H-0003), 3 (H-0004); 1 pending
    assert (out["totals"]["subjects"], out["totals"]["points_awarded"], out["totals"]["points_deducted"],
            out["totals"]["events_pending"]) == (4, 26, 10, 1)
    assert [v["name"] for v in out["groups"]["village"]] == ["韩家曲村", "北岳庄村"]
    # summary straight from the export gives the same figures
    direct = json.loads(run_cli("summary", str(export), "--map", str(mapfile), "--rejects", str(rejects),
                                "--format", "json").stdout)
    assert direct["totals"] == out["totals"]


def test_an_imported_registers_problem_names_the_export_cell(tmp_path):
    export = write(tmp_path, "reg.csv", "户号,姓名,村,日期,事项\nH-1,季忠学,韩家曲村,2024-03-02,参加志愿服务\n"
                                        "H-1,季忠学,韩家曲村,2024-02-30,参加志愿服务\n")
    mapfile = write(tmp_path, "map.yaml", "import: 1\nledger:\n  version: 1\n  ledger: credit\n  jurisdiction: 道托镇\n"
                                          "  rules: [{code: V01, name: 参加志愿服务, points: 3}]\nfields:\n"
                                          "  subject: 户号\n  subject.name: 姓名\n  subject.village: 村\n"
                                          "  date: 日期\n  rule: 事项\n")
    result = run_cli("summary", str(export), "--map", str(mapfile))
    # 2024-02-30 is no day: row 3, column D (the 4th), named as the export's cell, never the ledger's line
    assert result.exit_code == 1
    assert f"{export}:3:4: " in result.stderr and "2024-02-30" in result.stderr, result.stderr


def test_the_example_credit_ledger_is_valid_and_a_credit_ledger_is_read_alone(tmp_path):
    example = run_cli("example", "--credit")
    assert example.exit_code == 0 and "ledger: credit" in example.stdout
    path = write(tmp_path, "credit.yaml", example.stdout)
    checked = run_cli("check", str(path))
    # the example's 4th 垃圾分类 of March is cut to 0 by the monthly cap, on purpose: one warning
    assert checked.exit_code == 0 and "E-008" in checked.stderr and "16 条积分和兑换记录" in checked.stderr
    case_ledger = write(tmp_path, "cases.yaml", run_cli("example").stdout)
    both = run_cli("summary", str(path), str(case_ledger))
    assert both.exit_code == 2 and "信用积分台账一次只读一个文件" in both.stderr
    for option in (["--by", "unit"], ["--policy", str(path)], ["--fail-on-target"], ["--format", "partial"]):
        refused = run_cli("summary", str(path), *option)
        assert refused.exit_code == 2 and refused.stdout == "", (option, refused.stderr)


# == 8. The spreadsheet and the Word document =============================================================
def test_the_credit_summary_as_a_spreadsheet_and_the_report_in_word(tmp_path):
    from python_calamine import CalamineWorkbook
    import docx

    ledger = write(tmp_path, "credit.yaml", run_cli("example", "--credit").stdout.replace(
        "韩家曲村绿源果蔬专业合作社", "'=HYPERLINK(x)'"))
    out = tmp_path / "c.xlsx"
    result = run_cli("summary", str(ledger), "--format", "xlsx", "-o", str(out))
    assert (result.exit_code, result.stdout) == (0, "") and f"汇总已写入 {out}" in result.stderr
    rows = CalamineWorkbook.from_path(str(out)).get_sheet_by_name("村").to_python()
    totals = json.loads(run_cli("summary", str(ledger), "--format", "json").stdout)["totals"]
    assert rows[0][:4] == ["村", "信用主体", "参与主体", "参与率"]
    # the example: 61 points awarded (numbers, not text), 5 of 6 subjects took part (0.8333 as a number)
    assert rows[-1][0] == "合计" and rows[-1][rows[0].index("发放积分")] == totals["points_awarded"] == 61
    assert rows[-1][rows[0].index("参与率")] == totals["participation_rate"] == 0.8333
    csv_text = run_cli("summary", str(ledger), "--format", "csv", "--by", "rule").stdout
    assert "\n" in csv_text and "=HYPERLINK" not in csv_text  # no subject name in a rule's row
    document = tmp_path / "c.docx"
    assert run_cli("report", str(ledger), "-o", str(document)).exit_code == 0
    body = "\n".join(p.text for p in docx.Document(str(document)).paragraphs)
    for heading in ("积分总体情况", "等级分布", "积分榜", "月度信用之星", "守信、失信事项", "兑换情况", "积分公示"):
        assert heading in body
    cells = {c.text for t in docx.Document(str(document)).tables for r in t.rows for c in r.cells}
    assert "季某某" in cells and "季忠学" not in cells and "=HYPERLINK(x)" in cells  # a business as written, as text


def test_header_keys_after_the_records_are_read_with_them(tmp_path):
    # rules and policy after the events, subjects before them: read again knowing them (base 500 + 1 point)
    path = write(tmp_path, "late.yaml", "version: 1\nledger: credit\njurisdiction: 道托镇\n"
                 "subjects: [{id: S1, name: 张三, village: 甲村}]\n"
                 "events:\n  - {id: E1, subject: S1, date: '2024-03-01', rule: V1}\n"
                 "rules: [{code: V1, name: 参加志愿服务, points: 1}]\npolicy: {base: 500}\n")
    out = summary(tmp_path, path.read_text(encoding="utf-8"))
    assert (out["honour_roll"][0]["score"], out["honour_roll"][0]["grade"], out["totals"]["points_awarded"]) == (501, "C", 1)
    bad = write(tmp_path, "bad.yaml", path.read_text(encoding="utf-8").replace("policy: {base: 500}", "policy: [500]"))
    result = run_cli("check", str(bad))
    assert result.exit_code == 1 and "policy" in result.stderr


# == Hostile input: the credit ledger =====================================================================
def test_hostile_names_and_items_are_inert_in_the_report_and_the_tables(tmp_path):
    from conftest import clean

    hostile = "=HYPERLINK(\"x\")\x1b[31m\u202e|**y**"
    text = run_cli("example", "--credit").stdout
    # a business's name (printed as written) and an item's name, each as a JSON string (YAML reads it alike)
    text = text.replace("name: 韩家曲村绿源果蔬专业合作社", "name: " + json.dumps(hostile))
    path = write(tmp_path, "credit.yaml", text.replace("name: 参加志愿服务", "name: '|参加志愿服务|'"))
    for args in (("report",), ("summary",), ("summary", "--by", "rule", "--format", "csv"),
                 ("summary", "--format", "json"), ("summary", "--format", "markdown")):
        result = run_cli(*args, str(path))
        assert result.exit_code == 0, (args, result.stderr)
        clean(result.stdout, result.stderr)
    report = run_cli("report", str(path)).stdout
    assert "\\|参加志愿服务\\|" in report  # a pipe in an item cannot split a table's cell
    assert "\\*\\*y\\*\\*" in report  # nor stars make bold
