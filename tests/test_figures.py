"""Figures: what SPEC.md counts, computed once from the cases and rendered many ways.

The metrics one rule at a time, 直办 and ranking within a unit type, the as-of
rule for later events, properties over random ledgers, repeat requests and the
data-quality signals, and the numbers as shown (rounding, medians, the streamed
JSON).  Periods and their comparisons are test_periods.py; the roll-up of
several jurisdictions is test_partials.py.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import grassroots_report as gr
from conftest import EXAMPLES, run_cli


# == The figures of SPEC.md, pinned one rule at a time through `summary --format json` =============
# Every expected number below is worked out by hand from SPEC.md in the comment next to it;
# none is copied from the tool's output.
#
# Two readings of this implementation are taken as the contract here: a target on
# `return_rate` is a maximum and a weighted return_rate enters the score as
# (1 - return_rate); `dissatisfied` and `reworked` count every case that is not withdrawn
# (not only resolved ones).

CST = dt.timezone(dt.timedelta(hours=8))
UTC = dt.timezone.utc

RATE_KEYS = (
    "completion_rate", "on_time_rate", "response_rate", "visit_rate",
    "satisfaction_rate", "solved_rate", "mediation_success_rate",
    "backlog_cleared_rate", "return_rate",
)
SPRING_FESTIVAL_2024 = {
    "calendar": "workdays",
    "holidays": [f"2024-02-{day}" for day in range(10, 18)],  # 2024-02-10 .. 2024-02-17
    "makeup_workdays": ["2024-02-04", "2024-02-18"],  # both Sundays
}


# -- helpers ---------------------------------------------------------------------------------------
def case(**fields: Any) -> dict[str, Any]:
    """A case with sensible defaults; `resolved` alone implies status resolved."""
    out: dict[str, Any] = {
        "received": "2024-03-04 10:00",  # a Monday
        "kind": "complaint",
        "category": "城乡建设/物业管理",
        "unit": "铜城街道",
    }
    out.update(fields)
    out.setdefault("status", "resolved" if "resolved" in out else "open")
    return out


def ledger_yaml(cases: list[dict[str, Any]], policy: dict[str, Any] | None = None, **top: Any) -> str:
    """A version-1 ledger; every value written as JSON (valid YAML flow style)."""
    lines = ["version: 1", f"jurisdiction: {json.dumps('测试县', ensure_ascii=False)}"]
    for key, value in top.items():
        lines.append(f"{key}: {json.dumps(value, ensure_ascii=False)}")
    if policy is not None:
        lines.append(f"policy: {json.dumps(policy, ensure_ascii=False)}")
    if not cases:
        lines.append("cases: []")
    else:
        lines.append("cases:")
        for n, item in enumerate(cases, start=1):
            item = {"id": f"C{n:03d}", **item}
            lines.append(f"  - {json.dumps(item, ensure_ascii=False)}")
    return "\n".join(lines) + "\n"


def summarise(cases: list[dict[str, Any]], policy: dict[str, Any] | None = None, *args: str,
              **top: Any) -> dict[str, Any]:
    """The JSON summary of a ledger; the run must succeed."""
    text = ledger_yaml(cases, policy, **top)
    result = run_cli("summary", "-", "--format", "json", *args, input=text)
    assert result.exit_code == 0, (result.exit_code, result.stderr, text)
    return json.loads(result.stdout)


def totals(cases: list[dict[str, Any]], policy: dict[str, Any] | None = None, *args: str,
           **top: Any) -> dict[str, Any]:
    return summarise(cases, policy, *args, **top)["totals"]


def group(out: dict[str, Any], grouping: str, name: str) -> dict[str, Any]:
    entries = [e for e in out["groups"][grouping] if e["name"] == name]
    assert len(entries) == 1, (grouping, name, [e["name"] for e in out["groups"][grouping]])
    return entries[0]


def assert_nothing_rated(entry: dict[str, Any]) -> None:
    """Every rate, the score and the median are null (no case they could count)."""
    for key in RATE_KEYS:
        assert entry[key] is None, key
    assert entry["score"] is None
    assert entry["median_hours_to_resolve"] is None


def deadlines(cases: list[dict[str, Any]], policy: dict[str, Any] | None = None) -> dict[str, dt.datetime]:
    """Deadline instants of open cases, read from the overdue list far after all of them."""
    for item in cases:
        assert item.get("status", "open") == "open"
    out = summarise(cases, policy, as_of="2030-01-01 00:00")
    return {entry["id"]: dt.datetime.fromisoformat(entry["deadline"]) for entry in out["overdue"]}


def on_time_and_late(cases: list[dict[str, Any]], policy: dict[str, Any] | None = None) -> tuple[int, int]:
    t = totals(cases, policy, as_of="2030-01-01 00:00")
    return t["on_time"], t["late"]


# -- deadlines -------------------------------------------------------------------------------------
def test_resolved_exactly_at_the_deadline_is_on_time():
    # complaint received Mon 2024-03-04 10:00, 3 natural days -> due 2024-03-07 23:59:59 +08:00
    t = totals([case(resolved="2024-03-07 23:59:59")], as_of="2024-03-31 00:00")
    assert (t["on_time"], t["late"]) == (1, 0)
    assert t["on_time_rate"] == 1.0  # 1 / (1 resolved + 0 overdue)
    assert t["penalty_points"] == 0


def test_resolved_one_second_after_the_deadline_is_late():
    # due 2024-03-07 23:59:59 +08:00; resolved 2024-03-08 00:00:00 is one second late
    t = totals([case(resolved="2024-03-08 00:00:00")], as_of="2024-03-31 00:00")
    assert (t["on_time"], t["late"]) == (0, 1)
    assert t["on_time_rate"] == 0.0  # 0 / (1 resolved + 0 overdue)
    assert t["penalty_points"] == 1  # default penalty_per_overdue 1 x (0 overdue + 1 late)


def test_default_deadline_per_kind_natural_calendar():
    # received 2024-03-04 10:00; the end of the N-th day after 2024-03-04, +08:00:
    got = deadlines([
        case(id="consult", kind="consultation"),  # 1 day   -> 2024-03-05
        case(id="complain", kind="complaint"),    # 3 days  -> 2024-03-07
        case(id="help", kind="help"),             # default 3 -> 2024-03-07
        case(id="dispute", kind="dispute"),       # 15 days -> 2024-03-19
        case(id="petition", kind="petition"),     # 60 days: Mar 4 + 27 = Mar 31, + 30 = Apr 30, + 3 = May 3
    ])
    assert got == {
        "consult": dt.datetime(2024, 3, 5, 23, 59, 59, tzinfo=CST),
        "complain": dt.datetime(2024, 3, 7, 23, 59, 59, tzinfo=CST),
        "help": dt.datetime(2024, 3, 7, 23, 59, 59, tzinfo=CST),
        "dispute": dt.datetime(2024, 3, 19, 23, 59, 59, tzinfo=CST),
        "petition": dt.datetime(2024, 5, 3, 23, 59, 59, tzinfo=CST),
    }


def test_default_deadline_per_kind_decides_on_time_and_late():
    # per kind: one case resolved at its deadline (on time), one a second after (late)
    pairs = {
        "consultation": "2024-03-05",  # 1 day
        "complaint": "2024-03-07",     # 3 days
        "dispute": "2024-03-19",       # 15 days
        "petition": "2024-05-03",      # 60 days
    }
    cases = []
    for kind, day in pairs.items():
        next_day = (dt.date.fromisoformat(day) + dt.timedelta(days=1)).isoformat()
        cases.append(case(kind=kind, resolved=f"{day} 23:59:59"))
        cases.append(case(kind=kind, resolved=f"{next_day} 00:00:00"))
    out = summarise(cases, as_of="2024-06-01 00:00")
    for kind in pairs:
        entry = group(out, "kind", kind)
        assert (entry["on_time"], entry["late"]) == (1, 1), kind
    assert (out["totals"]["on_time"], out["totals"]["late"]) == (4, 4)


def test_category_resolve_days_beats_kind_and_minor_beats_major():
    policy = {"category_resolve_days": {"劳动保障": 5, "劳动保障/欠薪": 7}}
    got = deadlines([
        # consultation would be 1 day; 劳动保障/欠薪 says 7: 2024-03-04 + 7 = 2024-03-11
        case(id="minor", kind="consultation", category="劳动保障/欠薪"),
        # no entry for the minor category; the major 劳动保障 says 5: 2024-03-09
        case(id="major", kind="consultation", category="劳动保障/社保就业"),
        # the major category alone: 5 days -> 2024-03-09
        case(id="bare", kind="dispute", category="劳动保障"),
        # another category: the kind decides, consultation 1 day -> 2024-03-05
        case(id="other", kind="consultation", category="教育"),
    ], policy)
    assert got == {
        "minor": dt.datetime(2024, 3, 11, 23, 59, 59, tzinfo=CST),
        "major": dt.datetime(2024, 3, 9, 23, 59, 59, tzinfo=CST),
        "bare": dt.datetime(2024, 3, 9, 23, 59, 59, tzinfo=CST),
        "other": dt.datetime(2024, 3, 5, 23, 59, 59, tzinfo=CST),
    }


def test_case_deadline_date_alone_is_the_end_of_that_day():
    got = deadlines([
        case(id="date", deadline="2024-03-10"),            # -> 2024-03-10 23:59:59 +08:00
        case(id="time", deadline="2024-03-10 12:00"),      # -> 2024-03-10 12:00 +08:00
        case(id="utc", deadline="2024-03-10T12:00:00Z"),   # -> 2024-03-10 20:00 +08:00
    ])
    assert got == {
        "date": dt.datetime(2024, 3, 10, 23, 59, 59, tzinfo=CST),
        "time": dt.datetime(2024, 3, 10, 12, 0, tzinfo=CST),
        "utc": dt.datetime(2024, 3, 10, 20, 0, tzinfo=CST),
    }


def test_case_deadline_overrides_the_policy_for_on_time():
    # own deadline 2024-03-10 (end of day) instead of the complaint's 2024-03-07
    assert on_time_and_late([
        case(deadline="2024-03-10", resolved="2024-03-10 23:59:59"),  # on time
        case(deadline="2024-03-10", resolved="2024-03-11 00:00:00"),  # late
        case(deadline="2024-03-05", resolved="2024-03-06 09:00"),     # late (policy would allow it)
    ]) == (1, 2)


def test_workdays_across_the_2024_spring_festival():
    got = deadlines([
        # Fri 02-09, 3 working days: 10..17 holidays, 18 (Sun) make-up = 1, 19 Mon = 2, 20 Tue = 3
        case(id="festival", received="2024-02-09 10:00"),
        # received on a holiday (Mon 02-12): 18 = 1, 19 = 2, 20 = 3
        case(id="on_holiday", received="2024-02-12 10:00"),
        # Thu 02-08, consultation 1 working day: Fri 02-09
        case(id="consult", kind="consultation", received="2024-02-08 10:00"),
        # Fri 02-09, consultation: the next working day is the make-up Sunday 02-18
        case(id="consult_makeup", kind="consultation", received="2024-02-09 10:00"),
        # Fri 02-02, 3 working days: Sat 03 no, Sun 04 make-up = 1, Mon 05 = 2, Tue 06 = 3
        case(id="makeup_sunday", received="2024-02-02 10:00"),
        # Sat 2024-03-02, consultation: Sun 03-03 no, Mon 03-04 = 1
        case(id="weekend", kind="consultation", received="2024-03-02 10:00"),
    ], SPRING_FESTIVAL_2024)
    assert got == {
        "festival": dt.datetime(2024, 2, 20, 23, 59, 59, tzinfo=CST),
        "on_holiday": dt.datetime(2024, 2, 20, 23, 59, 59, tzinfo=CST),
        "consult": dt.datetime(2024, 2, 9, 23, 59, 59, tzinfo=CST),
        "consult_makeup": dt.datetime(2024, 2, 18, 23, 59, 59, tzinfo=CST),
        "makeup_sunday": dt.datetime(2024, 2, 6, 23, 59, 59, tzinfo=CST),
        "weekend": dt.datetime(2024, 3, 4, 23, 59, 59, tzinfo=CST),
    }


def test_workdays_deadline_decides_on_time_and_late():
    # received Fri 2024-02-09 10:00, 3 working days -> due 2024-02-20 23:59:59 +08:00
    assert on_time_and_late([
        case(received="2024-02-09 10:00", resolved="2024-02-20 23:59:59"),  # on time
        case(received="2024-02-09 10:00", resolved="2024-02-21 00:00:00"),  # late
        # received Fri 2024-02-02, due Tue 2024-02-06 (the make-up Sunday counts)
        case(received="2024-02-02 10:00", resolved="2024-02-06 23:59:59"),  # on time
        case(received="2024-02-02 10:00", resolved="2024-02-07 00:00:00"),  # late
    ], SPRING_FESTIVAL_2024) == (2, 2)


# -- time zones ------------------------------------------------------------------------------------
def test_same_instant_with_z_offset_or_none_gives_the_same_result():
    # received 2024-03-04 10:00 +08:00 (also written 02:00Z): due 2024-03-07 23:59:59 +08:00,
    # which is 2024-03-07 15:59:59Z
    cases = [
        case(received="2024-03-04T02:00:00Z", resolved="2024-03-07T15:59:59Z"),          # on time
        case(received="2024-03-04T10:00:00+08:00", resolved="2024-03-07T23:59:59+08:00"),  # on time
        case(received="2024-03-04 10:00", resolved="2024-03-07 23:59:59"),                 # on time
        case(received="2024-03-04T02:00Z", resolved="2024-03-07T16:00:00Z"),               # late
        case(received="2024-03-04 10:00+08:00", resolved="2024-03-08T00:00:00+08:00"),     # late
        case(received="2024-03-04 10:00", resolved="2024-03-08 00:00"),                    # late
    ]
    t = totals(cases, as_of="2024-03-31 00:00")
    assert (t["on_time"], t["late"]) == (3, 3)
    # durations: 3 x (3 d 13:59:59) and 3 x (3 d 14:00:00); the even median is the mean of
    # 85:59:59 and 86:00:00 = 85.99986 h -> 86.0
    assert t["median_hours_to_resolve"] == 86.0


def test_received_in_utc_is_counted_from_its_local_day():
    # 2024-03-03T17:00Z is 2024-03-04 01:00 +08:00: the day received is 03-04, due 03-07 23:59:59
    # (counting from the UTC day 03-03 would give 03-06)
    got = deadlines([case(id="late_utc", received="2024-03-03T17:00Z")])
    assert got == {"late_utc": dt.datetime(2024, 3, 7, 23, 59, 59, tzinfo=CST)}


def test_timezone_policy_utc():
    policy = {"timezone": "+00:00"}
    got = deadlines([
        # 10:00 without offset is 10:00 UTC on 03-04: due 2024-03-07 23:59:59 +00:00
        case(id="plain", received="2024-03-04 10:00"),
        # 07:00 +08:00 is 2024-03-03 23:00 UTC: the day received is 03-03, due 03-06 23:59:59 +00:00
        case(id="east", received="2024-03-04T07:00+08:00"),
    ], policy)
    assert got == {
        "plain": dt.datetime(2024, 3, 7, 23, 59, 59, tzinfo=UTC),
        "east": dt.datetime(2024, 3, 6, 23, 59, 59, tzinfo=UTC),
    }
    # the same deadline seen from resolved times: 2024-03-07 23:59:59Z = 2024-03-08 07:59:59 +08:00
    assert on_time_and_late([
        case(received="2024-03-04 10:00", resolved="2024-03-07 23:59:59"),        # on time (UTC)
        case(received="2024-03-04 10:00", resolved="2024-03-08 07:59:59+08:00"),  # on time
        case(received="2024-03-04 10:00", resolved="2024-03-08 08:00:00+08:00"),  # late
    ], policy) == (2, 1)


# -- withdrawn, overdue ----------------------------------------------------------------------------
def test_withdrawn_cases_count_only_in_received_and_withdrawn():
    out = summarise([
        # withdrawn, with everything that would count if it were not: an old deadline, a late
        # dispatch, a dissatisfied visit, a failed mediation, backlog, escalation, returns
        case(unit="撤回单位", status="withdrawn", received="2024-03-01 08:00", dispatched="2024-03-01 20:00",
             visits=[{"at": "2024-03-02 09:00", "satisfaction": "dissatisfied", "solved": False}],
             mediation={"outcome": "no_agreement"}, backlog={"since": "2023-01-01"},
             escalated={"at": "2024-03-01 09:00", "to": "县信访局"}, returns=2),
        # one plain case, resolved on time, dispatched in time, visited and satisfied
        case(unit="铜城街道", received="2024-03-04 10:00", dispatched="2024-03-04 11:00",
             resolved="2024-03-05 10:00",
             visits=[{"at": "2024-03-06 09:00", "satisfaction": "satisfied", "solved": True}]),
    ], as_of="2024-03-31 00:00")
    t = out["totals"]
    assert (t["received"], t["withdrawn"], t["resolved"], t["open"]) == (2, 1, 1, 0)
    assert (t["overdue"], t["late"], t["on_time"]) == (0, 0, 1)
    assert t["completion_rate"] == 1.0        # 1 resolved / (2 received - 1 withdrawn)
    assert t["on_time_rate"] == 1.0           # 1 / (1 + 0)
    assert t["response_rate"] == 1.0          # only the plain case is due, dispatched after 1 h
    assert t["visit_rate"] == 1.0             # 1 / 1
    assert t["satisfaction_rate"] == 1.0
    assert t["solved_rate"] == 1.0
    assert (t["dissatisfied"], t["reworked"]) == (0, 0)
    assert (t["mediations"], t["mediation_agreements"], t["mediation_success_rate"]) == (0, 0, None)
    assert (t["backlog"], t["backlog_resolved"], t["backlog_cleared_rate"]) == (0, 0, None)
    assert t["escalated"] == 0
    assert (t["returned"], t["return_rate"]) == (0, 0.0)  # 0 / 1
    assert t["median_hours_to_resolve"] == 24.0           # only the plain case: 24 h
    assert t["penalty_points"] == 0
    assert out["overdue"] == []
    assert out["dissatisfied"] == []
    # the unit with only the withdrawn case: received 1, withdrawn 1, nothing else
    w = group(out, "unit", "撤回单位")
    assert (w["received"], w["withdrawn"], w["resolved"], w["open"], w["overdue"]) == (1, 1, 0, 0, 0)
    assert_nothing_rated(w)


def test_overdue_is_open_with_deadline_before_as_of():
    # as-of 2024-03-10 23:59:59 +08:00; complaints have 3 natural days
    out = summarise([
        # due 03-07 23:59:59: overdue by exactly 3 days
        case(id="O1", received="2024-03-04 10:00"),
        # due 03-10 23:59:59 = as-of: not before it, so not overdue
        case(id="O2", received="2024-03-07 10:00"),
        # due 03-11 23:59:59: not overdue
        case(id="O3", received="2024-03-08 10:00"),
        # resolved late (due 03-07): late, never overdue
        case(id="R1", received="2024-03-04 10:00", resolved="2024-03-09 10:00"),
        # resolved on time
        case(id="R2", received="2024-03-04 10:00", resolved="2024-03-05 10:00"),
    ], as_of="2024-03-10 23:59:59")
    t = out["totals"]
    assert (t["open"], t["overdue"], t["resolved"], t["late"], t["on_time"]) == (3, 1, 2, 1, 1)
    assert t["on_time_rate"] == 0.3333   # on_time 1 / (resolved 2 + overdue 1)
    assert t["penalty_points"] == 2      # 1 x (1 overdue + 1 late)
    assert len(out["overdue"]) == 1
    entry = out["overdue"][0]
    assert (entry["id"], entry["unit"], entry["category"]) == ("O1", "铜城街道", "城乡建设/物业管理")
    assert dt.datetime.fromisoformat(entry["deadline"]) == dt.datetime(2024, 3, 7, 23, 59, 59, tzinfo=CST)
    assert entry["days_overdue"] == 3    # 03-07 23:59:59 -> 03-10 23:59:59


# -- response rate ---------------------------------------------------------------------------------
RESPONSE_CASES = [
    case(id="in_time", dispatched="2024-03-04 13:00"),               # exactly 3 h: in time, due
    case(id="late", dispatched="2024-03-04 13:00:01"),               # 3 h + 1 s: late, due
    case(id="spot", resolved="2024-03-04 11:00"),                    # no dispatch, resolved 1 h: in time
    case(id="spot_late", resolved="2024-03-04 13:30"),               # no dispatch, resolved 3.5 h: late
    case(id="open_10", received="2024-03-04 10:00"),                 # window ends 13:00
    case(id="open_11", received="2024-03-04 11:00"),                 # window ends 14:00
    case(id="open_12", received="2024-03-04 12:00"),                 # window ends 15:00
    case(id="open_1330", received="2024-03-04 13:30"),               # window ends 16:30
]


def test_response_rate_before_the_open_cases_windows_end():
    # as-of 14:00: due = in_time, late, spot, spot_late (response times) + open_10 (13:00 < 14:00);
    # open_11 ends exactly at as-of (not before), open_12 and open_1330 later.  In time: in_time, spot.
    t = totals(RESPONSE_CASES, as_of="2024-03-04 14:00")
    assert t["response_rate"] == 0.4  # 2 / 5


def test_response_rate_after_the_open_cases_windows_end():
    # as-of 16:31: every open window has ended -> due 8, in time 2
    t = totals(RESPONSE_CASES, as_of="2024-03-04 16:31")
    assert t["response_rate"] == 0.25  # 2 / 8


def test_response_rate_dispatch_hours_policy():
    # dispatch_hours 1: dispatched after 1 h exactly is in time, after 2 h is not
    t = totals([case(dispatched="2024-03-04 11:00"), case(dispatched="2024-03-04 12:00")],
               {"dispatch_hours": 1}, as_of="2024-03-04 14:00")
    assert t["response_rate"] == 0.5  # 1 / 2


# -- visits ----------------------------------------------------------------------------------------
def visit(at: str, satisfaction: str, **more: Any) -> dict[str, Any]:
    return {"at": at, "satisfaction": satisfaction, **more}


def test_unreachable_latest_visit_falls_back_to_the_previous_one():
    t = totals([
        # effective: satisfied
        case(resolved="2024-03-05 10:00", visits=[visit("2024-03-06 09:00", "satisfied"),
                                                  visit("2024-03-07 09:00", "unreachable")]),
        # effective: dissatisfied
        case(resolved="2024-03-05 10:00", visits=[visit("2024-03-06 09:00", "dissatisfied"),
                                                  visit("2024-03-07 09:00", "unreachable")]),
        # no effective visit (only unreachable): out of 满意率, but visited
        case(resolved="2024-03-05 10:00", visits=[visit("2024-03-06 09:00", "unreachable")]),
    ], as_of="2024-03-31 00:00")
    assert t["satisfaction_rate"] == 0.5  # (1 satisfied) / 2 effective visits
    assert t["visit_rate"] == 1.0         # 3 visited / 3 resolved
    assert (t["dissatisfied"], t["reworked"]) == (1, 0)


def test_unreasonable_request_is_left_out_of_satisfaction_and_solved():
    t = totals([
        case(resolved="2024-03-05 10:00", reasonable=False,
             visits=[visit("2024-03-06 09:00", "dissatisfied", solved=False)]),
        case(resolved="2024-03-05 10:00", reasonable=True,
             visits=[visit("2024-03-06 09:00", "satisfied", solved=True)]),
    ], as_of="2024-03-31 00:00")
    assert t["satisfaction_rate"] == 1.0  # only the reasonable case: 1 / 1
    assert t["solved_rate"] == 1.0        # 1 / 1
    assert t["visit_rate"] == 1.0         # both resolved cases were visited: 2 / 2
    assert t["dissatisfied"] == 1         # the unreasonable case's effective visit is dissatisfied


def test_basically_satisfied_weight():
    cases = [
        case(resolved="2024-03-05 10:00", visits=[visit("2024-03-06 09:00", "satisfied")]),
        case(resolved="2024-03-05 10:00", visits=[visit("2024-03-06 09:00", "basically_satisfied")]),
    ]
    assert totals(cases, as_of="2024-03-31 00:00")["satisfaction_rate"] == 1.0  # default 1: (1 + 1) / 2
    assert totals(cases, {"basically_satisfied_weight": 0.9},
                  as_of="2024-03-31 00:00")["satisfaction_rate"] == 0.95       # (1 + 0.9) / 2


def test_basically_satisfied_weight_with_a_dissatisfied_case():
    t = totals([
        case(resolved="2024-03-05 10:00", visits=[visit("2024-03-06 09:00", "satisfied")]),
        case(resolved="2024-03-05 10:00", visits=[visit("2024-03-06 09:00", "basically_satisfied")]),
        case(resolved="2024-03-05 10:00", visits=[visit("2024-03-06 09:00", "dissatisfied")]),
    ], {"basically_satisfied_weight": 0.9}, as_of="2024-03-31 00:00")
    assert t["satisfaction_rate"] == 0.6333  # (1 + 0.9) / 3 = 0.63333...


def test_dissatisfied_then_satisfied_is_reworked_not_dissatisfied():
    out = summarise([
        case(id="fixed", resolved="2024-03-05 10:00",
             visits=[visit("2024-03-06 09:00", "dissatisfied"), visit("2024-03-08 09:00", "satisfied")]),
        case(id="fixed_basic", resolved="2024-03-05 10:00",
             visits=[visit("2024-03-06 09:00", "dissatisfied"), visit("2024-03-08 09:00", "basically_satisfied")]),
        case(id="soured", resolved="2024-03-05 10:00",
             visits=[visit("2024-03-06 09:00", "satisfied"), visit("2024-03-08 09:00", "dissatisfied")]),
        case(id="happy", resolved="2024-03-05 10:00", visits=[visit("2024-03-06 09:00", "satisfied")]),
    ], as_of="2024-03-31 00:00")
    t = out["totals"]
    assert t["reworked"] == 2       # fixed, fixed_basic
    assert t["dissatisfied"] == 1   # soured
    assert t["satisfaction_rate"] == 0.75  # effective: satisfied, basically, dissatisfied, satisfied -> 3/4
    assert [e["id"] for e in out["dissatisfied"]] == ["soured"]
    assert out["dissatisfied"][0] == {"id": "soured", "unit": "铜城街道", "category": "城乡建设/物业管理"}


def test_visit_rate():
    t = totals([
        case(resolved="2024-03-05 10:00", visits=[visit("2024-03-06 09:00", "satisfied")]),
        case(resolved="2024-03-05 10:00", visits=[visit("2024-03-06 09:00", "unreachable")]),
        case(resolved="2024-03-05 10:00"),
        case(status="open", visits=[visit("2024-03-06 09:00", "satisfied")]),  # not resolved: not counted
    ], as_of="2024-03-31 00:00")
    assert t["visit_rate"] == 0.6667  # 2 visited / 3 resolved


def test_solved_rate_over_effective_visits_that_state_solved():
    t = totals([
        case(resolved="2024-03-05 10:00", visits=[visit("2024-03-06 09:00", "satisfied", solved=True)]),
        case(resolved="2024-03-05 10:00", visits=[visit("2024-03-06 09:00", "satisfied", solved=False)]),
        case(resolved="2024-03-05 10:00", visits=[visit("2024-03-06 09:00", "basically_satisfied")]),  # no solved
        case(resolved="2024-03-05 10:00", visits=[visit("2024-03-06 09:00", "dissatisfied", solved=False)]),
        # the effective visit is the satisfied one, solved true; the unreachable one does not count
        case(resolved="2024-03-05 10:00", visits=[visit("2024-03-06 09:00", "satisfied", solved=True),
                                                  visit("2024-03-07 09:00", "unreachable", solved=False)]),
        # the effective (latest) visit does not state solved; an older one did
        case(resolved="2024-03-05 10:00", visits=[visit("2024-03-06 09:00", "dissatisfied", solved=False),
                                                  visit("2024-03-07 09:00", "satisfied")]),
    ], as_of="2024-03-31 00:00")
    assert t["solved_rate"] == 0.5  # stating: cases 1, 2, 4, 5 -> solved true: 1, 5 -> 2 / 4


def test_mediation_success_rate_leaves_pending_out():
    t = totals([
        case(kind="dispute", mediation={"outcome": "agreement"}),
        case(kind="dispute", mediation={"outcome": "agreement", "amount": 5000}),
        case(kind="dispute", mediation={"outcome": "no_agreement"}),
        case(kind="dispute", mediation={"outcome": "referred"}),
        case(kind="dispute", mediation={"outcome": "pending"}),
        case(kind="dispute"),
    ], as_of="2024-03-05 00:00")
    assert (t["mediations"], t["mediation_agreements"]) == (5, 2)
    assert t["mediation_success_rate"] == 0.5  # 2 / (2 + 1 + 1)


def test_mediation_success_rate_is_null_with_only_pending():
    t = totals([case(kind="dispute", mediation={"outcome": "pending"})], as_of="2024-03-05 00:00")
    assert (t["mediations"], t["mediation_agreements"]) == (1, 0)
    assert t["mediation_success_rate"] is None  # 0 / 0


def test_backlog_cleared_rate():
    t = totals([
        case(kind="petition", backlog={"since": "2023-06-01"}, resolved="2024-03-05 10:00"),
        case(kind="petition", backlog={"since": "2023-06-01", "leader": "王副县长"}),
        case(kind="petition", backlog={"since": "2023-06-01"}, resolved="2024-03-06 10:00"),
        case(kind="petition", backlog={"since": "2023-06-01"}, status="withdrawn"),  # left out
        case(kind="petition", resolved="2024-03-05 10:00"),                          # no backlog
    ], as_of="2024-03-31 00:00")
    assert (t["backlog"], t["backlog_resolved"]) == (3, 2)
    assert t["backlog_cleared_rate"] == 0.6667  # 2 / 3


def test_return_rate():
    t = totals([
        case(returns=0),
        case(returns=1),
        case(returns=3),
        case(),
        case(),
        case(returns=2, status="withdrawn"),  # left out
    ], as_of="2024-03-05 00:00")
    assert t["returned"] == 2         # returns >= 1: two of the five not withdrawn
    assert t["return_rate"] == 0.4    # 2 / (6 - 1)


def test_escalated_count():
    t = totals([
        case(escalated={"at": "2024-03-04 12:00", "to": "县信访局", "reason": "涉及多部门"}),
        case(),
    ], as_of="2024-03-05 00:00")
    assert t["escalated"] == 1


def test_median_hours_to_resolve_odd_count():
    t = totals([
        case(received="2024-03-04 10:00", resolved="2024-03-04 11:00"),  # 1 h
        case(received="2024-03-04 10:00", resolved="2024-03-04 12:00"),  # 2 h
        case(received="2024-03-04 10:00", resolved="2024-03-04 20:00"),  # 10 h
        case(received="2024-03-04 10:00"),                               # open: no duration
    ], as_of="2024-03-05 00:00")
    assert t["median_hours_to_resolve"] == 2.0


def test_median_hours_to_resolve_even_count():
    t = totals([
        case(received="2024-03-04 10:00", resolved="2024-03-04 11:00"),  # 1 h
        case(received="2024-03-04 10:00", resolved="2024-03-04 12:00"),  # 2 h
        case(received="2024-03-04 10:00", resolved="2024-03-04 13:00"),  # 3 h
        case(received="2024-03-04 10:00", resolved="2024-03-04 20:00"),  # 10 h
    ], as_of="2024-03-05 00:00")
    assert t["median_hours_to_resolve"] == 2.5  # (2 + 3) / 2


def test_median_hours_to_resolve_one_decimal():
    t = totals([
        case(received="2024-03-04 10:00", resolved="2024-03-04 11:00"),  # 60 min
        case(received="2024-03-04 10:00", resolved="2024-03-04 12:10"),  # 130 min
    ], as_of="2024-03-05 00:00")
    assert t["median_hours_to_resolve"] == 1.6  # 95 min = 1.5833 h


# -- null rates ------------------------------------------------------------------------------------
def test_empty_ledger_has_every_rate_null():
    t = totals([], as_of="2024-03-31 00:00")
    for key in ("received", "withdrawn", "resolved", "open", "overdue", "late", "on_time"):
        assert t[key] == 0, key
    for key in RATE_KEYS:
        assert t[key] is None, key
    assert t["score"] is None
    assert t["median_hours_to_resolve"] is None
    assert t["penalty_points"] == 0


def test_only_withdrawn_cases_have_every_rate_null():
    t = totals([case(status="withdrawn", dispatched="2024-03-04 11:00", returns=1),
                case(status="withdrawn", mediation={"outcome": "agreement"})], as_of="2024-03-31 00:00")
    assert (t["received"], t["withdrawn"], t["resolved"], t["open"]) == (2, 2, 0, 0)
    assert_nothing_rated(t)


# -- score -----------------------------------------------------------------------------------------
ROUND_ONE_WEIGHTS = {"weights": {"response_rate": 0.1, "solved_rate": 0.5, "satisfaction_rate": 0.4}}


def test_weights_reweight_over_the_rates_that_exist():
    # no visits: satisfaction_rate and solved_rate are null, only response_rate (0.1) weighs
    t = totals([
        case(dispatched="2024-03-04 11:00", resolved="2024-03-05 10:00"),
        case(dispatched="2024-03-04 11:00", resolved="2024-03-05 10:00"),
        case(dispatched="2024-03-04 11:00", resolved="2024-03-05 10:00"),
        case(dispatched="2024-03-04 18:00", resolved="2024-03-05 10:00"),  # 8 h: late
    ], ROUND_ONE_WEIGHTS, as_of="2024-03-31 00:00")
    assert t["response_rate"] == 0.75
    assert (t["satisfaction_rate"], t["solved_rate"]) == (None, None)
    assert t["score"] == 75.0  # 100 x 0.75


def test_weights_of_round_one_keep_their_formula_and_subtract_no_penalty():
    t = totals([
        case(dispatched="2024-03-04 11:00", resolved="2024-03-05 10:00",
             visits=[visit("2024-03-06 09:00", "satisfied", solved=True)]),
        case(dispatched="2024-03-04 11:00", resolved="2024-03-05 10:00",
             visits=[visit("2024-03-06 09:00", "dissatisfied", solved=False)]),
        case(dispatched="2024-03-04 11:00"),  # open past its deadline: overdue, 1 penalty point
    ], ROUND_ONE_WEIGHTS, as_of="2024-03-31 00:00")
    # response 1.0, solved 0.5, satisfaction 0.5:
    # 100 x (0.1 x 1 + 0.5 x 0.5 + 0.4 x 0.5) / (0.1 + 0.5 + 0.4) = 55.0, the penalty shown, not taken off
    assert (t["score"], t["penalty_points"]) == (55.0, 1)


def test_the_default_score_gives_points_per_rate_and_takes_the_penalty_off():
    t = totals([
        case(dispatched="2024-03-04 11:00", resolved="2024-03-05 10:00",
             visits=[visit("2024-03-06 09:00", "satisfied", solved=True)]),
        case(dispatched="2024-03-04 11:00", resolved="2024-03-05 10:00",
             visits=[visit("2024-03-06 09:00", "dissatisfied", solved=False)]),
    ], as_of="2024-03-31 00:00")
    # completion 1 x 20 + on time 1 x 30 + satisfaction 0.5 x 40 + response 1 x 10 = 80 of 100
    assert t["score"] == 80.0
    late = totals([
        case(dispatched="2024-03-04 11:00", resolved="2024-03-05 10:00",
             visits=[visit("2024-03-06 09:00", "satisfied")]),
        case(dispatched="2024-03-04 11:00"),  # overdue at as-of
    ], as_of="2024-03-31 00:00")
    # completion 0.5 x 20 + on time 0.5 x 30 (1 on time of 1 resolved + 1 overdue) + satisfaction 1 x 40
    # + response 1 x 10 = 75; less the penalty of 1 point for the overdue case = 74.0
    assert (late["on_time_rate"], late["penalty_points"], late["score"]) == (0.5, 1, 74.0)


def test_a_score_with_targets_and_deductions_per_point_as_offices_publish_it():
    policy = {"targets": {"satisfaction_rate": 0.8},
              "score": {"completion_rate": {"points": 25, "target": 0.9, "per_point": 1},
                        "satisfaction_rate": {"points": 75}}}
    t = totals([
        case(resolved="2024-03-05 10:00", visits=[visit("2024-03-06 09:00", "satisfied")]),
        case(resolved="2024-03-05 10:00", visits=[visit("2024-03-06 09:00", "dissatisfied")]),
        case(resolved="2024-03-05 10:00"),
        case(status="withdrawn"), case(received="2024-03-20 09:00"),  # open, within its deadline at as-of
    ], policy, as_of="2024-03-21 00:00")
    assert (t["completion_rate"], t["satisfaction_rate"], t["penalty_points"]) == (0.75, 0.5, 0)
    # completion 0.75, 15 points short of 0.9: 25 - 1 x 15 = 10; satisfaction below the policy's target
    # 0.8 and no per_point: 75 x 0.5 / 0.8 = 46.875; 100 x 56.875 / 100 = 56.9
    assert t["score"] == 56.9
    floor = totals([case(resolved="2024-03-05 10:00"), case(), case(), case()],
                   {"score": {"completion_rate": {"points": 10, "target": 1, "per_point": 2}}},
                   as_of="2024-03-05 12:00")
    assert (floor["completion_rate"], floor["score"]) == (0.25, 0.0)  # 10 - 2 x 75 floored at 0


def test_a_score_of_a_rate_where_lower_is_better_holds_it_to_a_maximum():
    policy = {"score": {"return_rate": {"points": 10, "target": 0.1, "per_point": 0.5},
                        "completion_rate": {"points": 10}}}
    t = totals([case(resolved="2024-03-05 10:00", returns=1)] + [case(resolved="2024-03-05 10:00")] * 4,
               policy, as_of="2024-03-31 00:00")
    # return_rate 0.2, 10 points above its maximum 0.1: 10 - 0.5 x 10 = 5; completion 1 x 10; 100 x 15 / 20
    assert (t["return_rate"], t["score"]) == (0.2, 75.0)


def test_score_custom_weights_with_return_rate():
    t = totals([
        case(resolved="2024-03-05 10:00", returns=1),
        case(resolved="2024-03-05 10:00", returns=2),
        case(resolved="2024-03-05 10:00"),
        case(),
    ], {"weights": {"completion_rate": 3, "return_rate": 1}}, as_of="2024-03-31 00:00")
    assert t["completion_rate"] == 0.75  # 3 / 4
    assert t["return_rate"] == 0.5       # 2 / 4
    # 100 x (3 x 0.75 + 1 x (1 - 0.5)) / (3 + 1) = 100 x 2.75 / 4 = 68.75 -> 68.8
    assert t["score"] == 68.8


def test_score_custom_weights_with_one_rate():
    t = totals([
        case(resolved="2024-03-05 10:00", visits=[visit("2024-03-06 09:00", "satisfied")]),
        case(resolved="2024-03-05 10:00"),
        case(resolved="2024-03-05 10:00"),
    ], {"weights": {"visit_rate": 1}}, as_of="2024-03-31 00:00")
    assert t["score"] == 33.3  # 100 x 1/3 = 33.33 -> 33.3


def test_penalty_per_overdue():
    t = totals([
        case(received="2024-03-01 10:00"),                               # due 03-04: overdue
        case(received="2024-03-01 10:00", resolved="2024-03-06 10:00"),  # late
        case(received="2024-03-01 10:00", resolved="2024-03-07 10:00"),  # late
        case(received="2024-03-01 10:00", resolved="2024-03-02 10:00"),  # on time
        case(received="2024-03-09 10:00"),                               # due 03-12: open, not overdue
    ], {"penalty_per_overdue": 2}, as_of="2024-03-10 00:00")
    assert (t["overdue"], t["late"]) == (1, 2)
    assert t["penalty_points"] == 6  # 2 x (1 + 2)


# -- ranking ---------------------------------------------------------------------------------------
def test_ranking():
    sat = [visit("2024-03-06 09:00", "satisfied")]
    dis = [visit("2024-03-06 09:00", "dissatisfied")]
    done = "2024-03-05 10:00"
    out = summarise([
        case(unit="Kilo", resolved=done, visits=sat), case(unit="Kilo", resolved=done, visits=sat),      # 100
        case(unit="Juliet", resolved=done, visits=sat), case(unit="Juliet", resolved=done, visits=sat),  # 100
        case(unit="Hotel", resolved=done, visits=sat), case(unit="Hotel", resolved=done, visits=dis),    # 50
        case(unit="India", resolved=done, visits=dis), case(unit="India", resolved=done, visits=dis),    # 0
        case(unit="Golf"), case(unit="Golf"),                                                            # null
        case(unit="Echo", resolved=done, visits=sat),                                  # 1 case: unranked
        case(unit="Delta", resolved=done, visits=dis), case(unit="Delta", status="withdrawn"),  # 1 active
    ], {"weights": {"satisfaction_rate": 1}, "rank_min_cases": 2}, as_of="2024-03-31 00:00")
    # ranked by score (ties by name), then by name with rank null the units with too few cases and those
    # without a score
    assert [(e["name"], e["rank"], e["score"]) for e in out["groups"]["unit"]] == [
        ("Juliet", 1, 100.0),
        ("Kilo", 2, 100.0),
        ("Hotel", 3, 50.0),
        ("India", 4, 0.0),   # a score of 0 is ranked
        ("Delta", None, 0.0),
        ("Echo", None, 100.0),
        ("Golf", None, None),  # no score: listed, never ranked (nor on the 黑榜)
    ]


@given(st.lists(st.tuples(st.integers(0, 100), st.booleans(), st.integers(0, 2), st.integers(0, 1)),
                min_size=0, max_size=12), st.integers(0, 6))
@settings(max_examples=300, deadline=None)
def test_the_honour_roll_never_holds_a_unit_that_misses_a_target_or_has_an_overdue_case(units, size):
    # (score, misses a target, overdue, late) per ranked unit, best first as rank_units orders them
    entries = [gr.Entry(f"U{i}", {"score": Decimal(score), "overdue": overdue, "late": late},
                        missed=("completion_rate",) if missed else (), rank=i + 1)
               for i, (score, missed, overdue, late) in enumerate(sorted(units, key=lambda u: -u[0]))]
    best, worst = gr.honour_roll(entries, size)
    assert len(best) <= size and len(worst) <= size and not set(best) & set(worst)
    for p in best:
        assert not entries[p].missed and not entries[p].metrics["overdue"] and not entries[p].metrics["late"]
    eligible = [p for p, e in enumerate(entries) if not e.missed and not e.metrics["overdue"] and not e.metrics["late"]]
    assert list(best) == eligible[:size]  # the best of those that qualify, in rank order
    assert list(worst) == [p for p in reversed(range(len(entries))) if p not in best][:size]


def test_tiers_by_score_and_their_movement_from_the_previous_period():
    sat, dis = [visit("2024-03-06 09:00", "satisfied")], [visit("2024-03-06 09:00", "dissatisfied")]
    feb = [visit("2024-02-06 09:00", "satisfied")]
    done = {"dispatched": "2024-03-04 10:30", "resolved": "2024-03-05 10:00"}
    cases = [case(unit="甲", visits=sat, **done) for _ in range(2)]  # 20 + 30 + 40 + 10 = 100: A
    cases += [case(unit="乙", visits=v, **done) for v in (sat, dis)]  # satisfaction 0.5: 80, B
    cases += [case(unit="丙", visits=dis, **done) for _ in range(2)]  # satisfaction 0: 60, D
    cases += [case(unit="乙", received="2024-02-05 09:00", dispatched="2024-02-05 09:30",
                   resolved="2024-02-06 10:00", visits=feb) for _ in range(2)]  # 乙 in February: 100, A
    cases += [case(unit="丁", status="withdrawn") for _ in range(2)]  # no score: not ranked, no tier
    out = summarise(cases, {"rank_min_cases": 2}, "--period", "2024-03", as_of="2024-03-31 00:00")
    tiers = {e["name"]: (e["score"], e["rank"], e["tier"], e["tier_previous"]) for e in out["groups"]["unit"]}
    assert tiers == {"甲": (100.0, 1, "A", None), "乙": (80.0, 2, "B", "A"), "丙": (60.0, 3, "D", None),
                     "丁": (None, None, None, None)}
    plain = summarise(cases, {"rank_min_cases": 2, "tiers": {"A": 95, "B": 60}}, as_of="2024-03-31 00:00")
    # February's cases counted too: 乙 has 3 satisfied of 4 (90); other bounds, below the last: C
    assert {e["name"]: (e["score"], e["tier"]) for e in plain["groups"]["unit"]} == {
        "甲": (100.0, "A"), "乙": (90.0, "B"), "丙": (60.0, "B"), "丁": (None, None)}
    assert "tier_previous" not in plain["groups"]["unit"][0]


def test_rank_min_cases_default_is_ten():
    cases = [case(unit="Ten", resolved="2024-03-05 10:00") for _ in range(10)]
    cases += [case(unit="Nine", resolved="2024-03-05 10:00") for _ in range(9)]
    cases += [case(unit="Nine", status="withdrawn")]  # withdrawn does not count towards the 10
    out = summarise(cases, as_of="2024-03-31 00:00")
    assert [(e["name"], e["rank"]) for e in out["groups"]["unit"]] == [("Ten", 1), ("Nine", None)]


# -- as-of rule ------------------------------------------------------------------------------------
AS_OF_CASES = [
    case(id="A", received="2024-03-01 10:00"),                          # due 03-04 23:59:59
    case(id="B", received="2024-03-05 10:00"),                          # due 03-08 23:59:59
    case(id="C", received="2024-03-09 11:00", deadline="2024-03-10 12:00"),  # due 03-10 12:00
    case(id="D", received="2024-03-10 10:00"),                          # due 03-13 23:59:59
    case(id="E", received="2024-03-09 10:00", resolved="2024-03-20 10:00"),  # latest timestamp
]
PERIOD = {"start": "2024-03-01", "end": "2024-03-10"}


def overdue_ids(out: dict[str, Any]) -> list[str]:
    return sorted(entry["id"] for entry in out["overdue"])


def test_as_of_falls_back_to_the_latest_timestamp():
    # no option, no as_of, no period: as-of 2024-03-20 10:00 (E resolved) -> A, B, C, D overdue
    out = summarise(AS_OF_CASES)
    assert out["totals"]["overdue"] == 4
    assert overdue_ids(out) == ["A", "B", "C", "D"]
    assert dt.datetime.fromisoformat(out["as_of"]) == dt.datetime(2024, 3, 20, 10, 0, tzinfo=CST)


def test_as_of_is_the_end_of_period_end():
    # period end 2024-03-10 means 2024-03-10 23:59:59: A, B and C (due 03-10 12:00) are overdue
    out = summarise(AS_OF_CASES, period=PERIOD)
    assert out["totals"]["overdue"] == 3
    assert overdue_ids(out) == ["A", "B", "C"]
    assert dt.datetime.fromisoformat(out["as_of"]) == dt.datetime(2024, 3, 10, 23, 59, 59, tzinfo=CST)


def test_file_as_of_beats_period_end():
    # as_of 2024-03-06 00:00: only A (due 03-04) is overdue
    out = summarise(AS_OF_CASES, period=PERIOD, as_of="2024-03-06 00:00")
    assert out["totals"]["overdue"] == 1
    assert overdue_ids(out) == ["A"]
    assert dt.datetime.fromisoformat(out["as_of"]) == dt.datetime(2024, 3, 6, 0, 0, tzinfo=CST)


def test_as_of_option_beats_the_file():
    # --as-of 2024-03-09 (a date alone: 00:00): A and B overdue; C is due 03-10 12:00
    out = summarise(AS_OF_CASES, None, "--as-of", "2024-03-09", period=PERIOD, as_of="2024-03-06 00:00")
    assert out["totals"]["overdue"] == 2
    assert overdue_ids(out) == ["A", "B"]
    assert dt.datetime.fromisoformat(out["as_of"]) == dt.datetime(2024, 3, 9, 0, 0, tzinfo=CST)


def test_as_of_option_with_offset():
    # 2024-03-08T16:00:00Z is 2024-03-09 00:00 +08:00: B (due 03-08 23:59:59) is overdue
    out = summarise(AS_OF_CASES, None, "--as-of", "2024-03-08T16:00:00Z", as_of="2024-03-06 00:00")
    assert overdue_ids(out) == ["A", "B"]
    # one second earlier, B's deadline equals as-of: not overdue
    out = summarise(AS_OF_CASES, None, "--as-of", "2024-03-08T15:59:59Z", as_of="2024-03-06 00:00")
    assert overdue_ids(out) == ["A"]


# -- --fail-on-target ------------------------------------------------------------------------------
TARGET_CASES = [case(resolved="2024-03-05 10:00", returns=1), case()]  # completion 0.5, return 0.5


def run_targets(targets: dict[str, float], *args: str):
    text = ledger_yaml(TARGET_CASES, {"targets": targets}, as_of="2024-03-05 12:00")
    return run_cli("summary", "-", "--format", "json", *args, input=text)


def test_fail_on_target_missed_exits_3_with_output():
    result = run_targets({"completion_rate": 0.9}, "--fail-on-target")  # 0.5 < 0.9: missed
    assert result.exit_code == 3
    assert json.loads(result.stdout)["totals"]["completion_rate"] == 0.5


def test_fail_on_target_met_exits_0():
    result = run_targets({"completion_rate": 0.5}, "--fail-on-target")  # 0.5 >= 0.5: met
    assert result.exit_code == 0
    assert json.loads(result.stdout)["totals"]["completion_rate"] == 0.5


def test_missed_target_without_the_option_exits_0():
    result = run_targets({"completion_rate": 0.9})
    assert result.exit_code == 0
    assert json.loads(result.stdout)["totals"]["completion_rate"] == 0.5


def test_return_rate_target_is_a_maximum():
    assert run_targets({"return_rate": 0.4}, "--fail-on-target").exit_code == 3  # 0.5 > 0.4: missed
    assert run_targets({"return_rate": 0.6}, "--fail-on-target").exit_code == 0  # 0.5 <= 0.6: met


def test_fail_on_target_with_the_table_format():
    text = ledger_yaml(TARGET_CASES, {"targets": {"completion_rate": 0.9}}, as_of="2024-03-05 12:00")
    result = run_cli("summary", "-", "--fail-on-target", input=text)
    assert result.exit_code == 3
    assert "50.00%" in result.stdout  # completion 1 / 2, shown with 2 decimals


# -- groups ----------------------------------------------------------------------------------------
def test_category_groups_use_the_major_category():
    out = summarise([
        case(category="城乡建设/物业管理"),
        case(category="城乡建设/供水供气"),
        case(category="城乡建设"),
        case(category="劳动保障/欠薪"),
    ], as_of="2024-03-05 00:00")
    assert sorted((e["name"], e["received"]) for e in out["groups"]["category"]) == [
        ("劳动保障", 1), ("城乡建设", 3)]


def test_channel_defaults_to_hotline():
    out = summarise([case(), case(channel="hotline"), case(channel="walk_in")], as_of="2024-03-05 00:00")
    assert group(out, "channel", "hotline")["received"] == 2
    assert group(out, "channel", "walk_in")["received"] == 1


def test_kind_and_unit_groups():
    out = summarise([
        case(unit="甲", kind="dispute"), case(unit="甲", kind="complaint"), case(unit="乙", kind="dispute"),
    ], as_of="2024-03-05 00:00")
    assert group(out, "kind", "dispute")["received"] == 2
    assert group(out, "kind", "complaint")["received"] == 1
    assert group(out, "unit", "甲")["received"] == 2
    assert group(out, "unit", "乙")["received"] == 1


# == 直办 (direct, direct_rate) and ranking within a unit type (type, type_rank) ===================
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


# == As-of: events after as-of do not count ========================================================
# The figures are the ledger as it stood at as-of.

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


def as_of_summary(tmp_path, text: str, *args: str) -> dict:
    path = tmp_path / "ledger.yaml"
    path.write_text(text, encoding="utf-8")
    result = run_cli("summary", str(path), "--format", "json", "--lang", "en", *args)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_later_events_are_left_out_of_every_figure(tmp_path):
    data = as_of_summary(tmp_path, LEDGER)
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
    later, then = as_of_summary(tmp_path, LEDGER), as_of_summary(tmp_path, early)
    assert later["totals"] == then["totals"]
    assert later["groups"] == then["groups"]
    assert later["overdue"] == then["overdue"]


# == Properties of the summary over random valid ledgers (hypothesis) ==============================
# - every count of the totals is the sum of that count over the groups of each grouping;
# - every rate is null or within [0, 1], every score null or within [0, 100];
# - the CSV and the table carry the same numbers as the JSON (compute once, render many).

COUNT_KEYS = (
    "received", "withdrawn", "resolved", "open", "overdue", "late", "on_time",
    "dissatisfied", "reworked", "mediations", "mediation_agreements",
    "backlog", "backlog_resolved", "escalated", "returned", "penalty_points",
)


METRIC_KEYS = COUNT_KEYS + RATE_KEYS + ("median_hours_to_resolve", "score")
GROUPINGS = ("unit", "category", "channel", "kind")

UNITS = ("铜城街道", "刘集镇", "县住建局", "Unit-A")
CATEGORIES = ("城乡建设/物业管理", "城乡建设/供水供气", "城乡建设", "劳动保障/欠薪", "教育")
KINDS = ("consultation", "complaint", "help", "report", "suggestion", "dispute", "petition", "legal_aid", "other")
CHANNELS = ("hotline", "walk_in", "letter", "online", "grid", "referral", "other")
SATISFACTIONS = ("satisfied", "basically_satisfied", "dissatisfied", "unreachable")
OUTCOMES = ("pending", "agreement", "no_agreement", "referred")

START = dt.datetime(2024, 2, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))
MINUTES_IN_A_MONTH = 30 * 24 * 60
ZONES = (None, dt.timezone.utc, dt.timezone(dt.timedelta(hours=8)), dt.timezone(dt.timedelta(hours=-5)))


def written(moment: dt.datetime, zone: dt.timezone | None) -> str:
    """A DATETIME text of the instant: without offset (policy +08:00), with Z or with ±HH:MM."""
    if zone is None:
        return moment.astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%Y-%m-%d %H:%M:%S")
    local = moment.astimezone(zone)
    suffix = "Z" if zone is dt.timezone.utc else local.strftime("%z")[:3] + ":" + local.strftime("%z")[3:]
    return local.strftime("%Y-%m-%dT%H:%M:%S") + suffix


@st.composite
def cases(draw: st.DrawFn, index: int) -> dict[str, Any]:
    zone = draw(st.sampled_from(ZONES))
    received = START + dt.timedelta(minutes=draw(st.integers(0, MINUTES_IN_A_MONTH)))
    item: dict[str, Any] = {
        "id": f"C{index:03d}",
        "received": written(received, zone),
        "kind": draw(st.sampled_from(KINDS)),
        "category": draw(st.sampled_from(CATEGORIES)),
        "unit": draw(st.sampled_from(UNITS)),
    }
    channel = draw(st.none() | st.sampled_from(CHANNELS))
    if channel is not None:
        item["channel"] = channel
    if draw(st.booleans()):
        item["dispatched"] = written(received + dt.timedelta(minutes=draw(st.integers(0, 600))), zone)
    if draw(st.integers(0, 4)) == 0:
        item["deadline"] = (received + dt.timedelta(days=draw(st.integers(0, 20)))).strftime("%Y-%m-%d")
    status = draw(st.sampled_from(("open", "resolved", "resolved", "withdrawn")))
    item["status"] = status
    if status == "resolved":
        resolved = received + dt.timedelta(minutes=draw(st.integers(0, 20 * 24 * 60)))
        item["resolved"] = written(resolved, zone)
        if draw(st.booleans()):
            visits = []
            at = resolved
            for _ in range(draw(st.integers(1, 3))):
                at += dt.timedelta(minutes=draw(st.integers(0, 3 * 24 * 60)))
                one: dict[str, Any] = {"at": written(at, zone), "satisfaction": draw(st.sampled_from(SATISFACTIONS))}
                solved = draw(st.none() | st.booleans())
                if solved is not None:
                    one["solved"] = solved
                visits.append(one)
            item["visits"] = visits
    reasonable = draw(st.none() | st.booleans())
    if reasonable is not None:
        item["reasonable"] = reasonable
    if draw(st.integers(0, 3)) == 0:
        item["mediation"] = {"outcome": draw(st.sampled_from(OUTCOMES))}
    if draw(st.integers(0, 4)) == 0:
        item["backlog"] = {"since": "2023-06-01"}
    returns = draw(st.none() | st.integers(0, 3))
    if returns is not None:
        item["returns"] = returns
    if draw(st.integers(0, 4)) == 0:
        item["escalated"] = {"at": written(received + dt.timedelta(hours=draw(st.integers(0, 48))), zone),
                             "to": "县信访局"}
    return item


@st.composite
def ledgers(draw: st.DrawFn) -> str:
    n = draw(st.integers(0, 25))
    items = [draw(cases(i)) for i in range(1, n + 1)]
    policy: dict[str, Any] = {"rank_min_cases": draw(st.integers(0, 6))}
    if draw(st.booleans()):
        policy.update(calendar="workdays", holidays=["2024-02-10", "2024-02-11", "2024-02-12"],
                      makeup_workdays=["2024-02-18"])
    if draw(st.booleans()):
        policy["basically_satisfied_weight"] = 0.9
    if draw(st.booleans()):
        policy["penalty_per_overdue"] = 2
    lines = ["version: 1", 'jurisdiction: "测试县"', f"policy: {json.dumps(policy, ensure_ascii=False)}"]
    if draw(st.booleans()):
        minutes = draw(st.integers(0, MINUTES_IN_A_MONTH + 30 * 24 * 60))
        lines.append(f'as_of: "{written(START + dt.timedelta(minutes=minutes), None)}"')
    if not items:
        lines.append("cases: []")
    else:
        lines.append("cases:")
        lines += [f"  - {json.dumps(item, ensure_ascii=False)}" for item in items]
    return "\n".join(lines) + "\n"


def summary(text: str, *args: str) -> str:
    result = run_cli("summary", "-", *args, input=text)
    assert result.exit_code == 0, (result.stderr, text)
    return result.stdout


SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(ledgers())
def test_counts_of_the_totals_are_the_sums_over_each_grouping(text):
    out = json.loads(summary(text, "--format", "json"))
    for grouping in GROUPINGS:
        entries = out["groups"][grouping]
        for key in COUNT_KEYS:
            assert out["totals"][key] == sum(e[key] for e in entries), (grouping, key)


@SETTINGS
@given(ledgers())
def test_rates_are_null_or_fractions(text):
    out = json.loads(summary(text, "--format", "json"))
    entries = [out["totals"]] + [e for grouping in GROUPINGS for e in out["groups"][grouping]]
    for entry in entries:
        for key in RATE_KEYS:
            assert entry[key] is None or 0 <= entry[key] <= 1, (key, entry[key])
        assert entry["score"] is None or 0 <= entry["score"] <= 100, entry["score"]
        # a rate with a zero denominator is null, never 0
        active = entry["received"] - entry["withdrawn"]
        assert (entry["completion_rate"] is None) == (active == 0)
        assert (entry["visit_rate"] is None) == (entry["resolved"] == 0)


def csv_value(cell: str) -> float | None:
    return None if cell == "" else float(cell)


@SETTINGS
@given(ledgers())
def test_csv_carries_the_numbers_of_the_json(text):
    out = json.loads(summary(text, "--format", "json"))
    rows = list(csv.reader(io.StringIO(summary(text, "--format", "csv", "--by", "unit"))))
    header, body = rows[0], rows[1:]
    columns = {key: header.index(key) for key in METRIC_KEYS}
    name_column = header.index("name")
    total_rows = [r for r in body if "total" in r[:2]]
    unit_rows = {r[name_column]: r for r in body if r not in total_rows}
    assert len(total_rows) == 1
    assert sorted(unit_rows) == sorted(e["name"] for e in out["groups"]["unit"])
    pairs = [(total_rows[0], out["totals"])] + [(unit_rows[e["name"]], e) for e in out["groups"]["unit"]]
    for row, entry in pairs:
        for key, column in columns.items():
            assert csv_value(row[column]) == entry[key], (entry.get("name", "total"), key, row[column], entry[key])


def percent(value: float | None) -> str:
    """A JSON fraction (4 places) as the table shows it: two-decimal percentage or '—'."""
    return "—" if value is None else f"{(Decimal(str(value)) * 100).quantize(Decimal('0.01'))}%"


@SETTINGS
@given(ledgers())
def test_table_shows_each_units_received_and_completion_rate(text):
    out = json.loads(summary(text, "--format", "json"))
    lines = summary(text, "--format", "table").splitlines()
    for entry in out["groups"]["unit"]:
        matching = [line.split() for line in lines if line.split()[:1] == [entry["name"]]]
        assert len(matching) == 1, (entry["name"], lines)
        cells = matching[0]
        assert str(entry["received"]) in cells, (entry["name"], cells)
        assert percent(entry["completion_rate"]) in cells, (entry["name"], entry["completion_rate"], cells)


# == Repeat requests (重复诉求) and signals of data to look at, with planted patterns ==============
# Each pattern is asserted in the JSON summary and in the report text, in both languages.
# Every expected number is worked out by hand in the comment next to it.  case() and group()
# are the metrics' above.

PHONE = "13812345678"
MASKED = "138****5678"
MASKED_MD = r"138\*\*\*\*5678"  # as the Markdown report escapes it


def repeats_ledger_yaml(cases: list[dict[str, Any]], policy: dict[str, Any] | None = None) -> str:
    """A version-1 ledger, every value written as JSON (valid YAML flow style)."""
    lines = ["version: 1", "jurisdiction: 测试县", "as_of: '2024-12-31 00:00'"]
    if policy is not None:
        lines.append(f"policy: {json.dumps(policy, ensure_ascii=False)}")
    lines.append("cases:")
    for n, item in enumerate(cases, start=1):
        lines.append(f"  - {json.dumps({'id': f'C{n:03d}', **item}, ensure_ascii=False)}")
    return "\n".join(lines) + "\n"


def repeats_summarise(cases: list[dict[str, Any]], policy: dict[str, Any] | None = None) -> dict[str, Any]:
    result = run_cli("summary", "-", "--format", "json", input=repeats_ledger_yaml(cases, policy))
    assert (result.exit_code, result.stderr) == (0, "")
    return json.loads(result.stdout)


def report(cases: list[dict[str, Any]], lang: str, policy: dict[str, Any] | None = None) -> str:
    result = run_cli("report", "-", "--lang", lang, input=repeats_ledger_yaml(cases, policy))
    assert (result.exit_code, result.stderr) == (0, "")
    return result.stdout


def section(text: str, title: str) -> str:
    """The text of the report section whose heading ends with `title`."""
    parts = text.split("\n## ")
    found = [p for p in parts if p.split("\n", 1)[0].endswith(title)]
    assert len(found) == 1, (title, [p.split("\n", 1)[0] for p in parts])
    return found[0]


def caller(phone: str | None = None, id_number: str | None = None) -> dict[str, str]:
    out = {"name": "冯小明"}
    if phone is not None:
        out["phone"] = phone
    if id_number is not None:
        out["id_number"] = id_number
    return out


# -- who is the same caller ------------------------------------------------------------------------
@pytest.mark.parametrize("written,compared", [
    ("13812345678", "13812345678"),
    ("138 1234 5678", "13812345678"),
    ("138-1234-5678", "13812345678"),
    ("+86 13812345678", "13812345678"),
    ("+86-138-1234-5678", "13812345678"),
    ("0086 13812345678", "13812345678"),
    ("8613812345678", "13812345678"),
    ("１３８１２３４５６７８", "13812345678"),        # full-width digits
    ("＋８６ １３８１２３４５６７８", "13812345678"),  # full-width plus and digits
    ("(0632) 771-2345", "06327712345"),
    ("+86 632 7712345", "06327712345"),            # the trunk 0 comes back
    ("0632-7712345", "06327712345"),
    ("+1 202 555 0100", "+12025550100"),           # another country keeps its code
    ("8612345", "8612345"),                        # 86 then too few digits: no country code
    ("无", ""),
])
def test_phone_caller(written, compared):
    assert gr.phone_caller(written) == compared


def test_id_caller_and_masks():
    assert gr.id_caller("370404 19800101 123x") == "37040419800101123X"
    assert gr.id_caller("３７０４０４１９８００１０１１２３Ｘ") == "37040419800101123X"
    assert gr.mask_caller("13812345678") == "138****5678"
    assert gr.mask_caller("06327712345") == "063****2345"
    assert gr.mask_caller("ID37040419800101123X") == "370404********123X"
    assert gr.mask_caller("12345") == "*****"  # too short to show any of it


def test_a_phone_written_four_ways_is_one_caller():
    out = repeats_summarise(four_ways())
    t = out["totals"]
    assert (t["received"], t["repeats"], t["repeat_rate"]) == (4, 3, 0.75)  # cases 2, 3, 4 repeat: 3 / 4
    assert (group(out, "unit", "铜城街道")["repeats"], group(out, "unit", "古邵镇")["repeats"]) == (2, 1)
    assert group(out, "category", "城乡建设")["repeats"] == 3
    assert group(out, "kind", "complaint")["repeats"] == 3
    assert group(out, "channel", "hotline")["repeat_rate"] == 0.75
    assert out["repeat_callers"] == [{"caller": MASKED, "cases": 4, "repeats": 3, "units": ["古邵镇", "铜城街道"],
                                      "categories": ["城乡建设"]}]
    text = json.dumps(out, ensure_ascii=False)
    assert "12345678" not in text and "1234 5678" not in text

    zh = section(report(four_ways(), "zh"), "重复诉求")
    # satisfaction of the repeats: case 2 dissatisfied, case 3 basically satisfied, case 4 open: 1 / 2
    assert "本期重复诉求3件（同一诉求人30天内就同一大类再次反映），重复诉求率75.00%；重复诉求的满意率50.00%。" in zh
    assert "| 铜城街道 | 2 | 66.67% |" in zh  # 2 of its 3 cases
    assert "| 古邵镇 | 1 | 100.00% |" in zh
    assert "| 城乡建设 | 3 | 75.00% |" in zh
    assert f"| {MASKED_MD} | 古邵镇、铜城街道 | 城乡建设 | 3 | 4 |" in zh
    en = section(report(four_ways(), "en"), "Repeat requests")
    assert ("Repeat requests (the same caller on the same major category within 30 days): 3, repeat rate 75.00%; "
            "satisfaction of the repeat cases 50.00%.") in en
    assert f"| {MASKED_MD} | 古邵镇, 铜城街道 | 城乡建设 | 3 | 4 |" in en
    assert "12345678" not in zh and "12345678" not in en


def four_ways() -> list[dict[str, Any]]:
    """One caller, 138 1234 5678 written four ways, on 城乡建设 four days apart."""
    return [
        case(received="2024-03-01 09:00", requester=caller("138 1234 5678"), resolved="2024-03-01 12:00",
             visits=[{"at": "2024-03-02 10:00", "satisfaction": "satisfied"}]),
        case(received="2024-03-05 09:00", requester=caller("138-1234-5678"), resolved="2024-03-05 12:00",
             visits=[{"at": "2024-03-06 10:00", "satisfaction": "dissatisfied"}]),
        case(received="2024-03-09 09:00", requester=caller("+86 13812345678"), resolved="2024-03-09 12:00",
             visits=[{"at": "2024-03-10 10:00", "satisfaction": "basically_satisfied"}]),
        case(received="2024-03-13 09:00", requester=caller("13812345678"), category="城乡建设/房屋质量",
             unit="古邵镇"),
    ]


# -- the window and the category -------------------------------------------------------------------
def test_exactly_30_days_is_a_repeat_and_31_days_is_not():
    cases = [
        case(received="2024-03-01 10:00", requester=caller(PHONE), unit="甲街道"),
        case(received="2024-03-31 10:00", requester=caller(PHONE), unit="乙街道"),  # 30 days after: repeat
        case(received="2024-05-01 10:00", requester=caller(PHONE), unit="丙街道"),  # 31 days after: not
        case(received="2024-05-31 10:00:01", requester=caller(PHONE), unit="丁街道"),  # 30 days + 1 s: not
    ]
    out = repeats_summarise(cases)
    assert out["totals"]["repeats"] == 1
    assert [(e["name"], e["repeats"]) for e in sorted(out["groups"]["unit"], key=lambda e: e["name"])] == \
        [("丁街道", 0), ("丙街道", 0), ("乙街道", 1), ("甲街道", 0)]
    assert out["repeat_callers"] == [{"caller": MASKED, "cases": 2, "repeats": 1, "units": ["乙街道", "甲街道"],
                                      "categories": ["城乡建设"]}]
    zh = section(report(cases, "zh"), "重复诉求")
    assert "本期重复诉求1件（同一诉求人30天内就同一大类再次反映），重复诉求率25.00%；重复诉求的满意率—。" in zh
    assert "| 乙街道 | 1 | 100.00% |" in zh and "丙街道" not in zh.split("**")[0]
    assert f"| {MASKED_MD} | 乙街道、甲街道 | 城乡建设 | 1 | 2 |" in zh
    en = section(report(cases, "en"), "Repeat requests")
    assert ": 1, repeat rate 25.00%; satisfaction of the repeat cases —." in en
    assert f"| {MASKED_MD} | 乙街道, 甲街道 | 城乡建设 | 1 | 2 |" in en


def test_repeat_days_policy():
    cases = [case(received="2024-03-01 10:00", requester=caller(PHONE)),
             case(received="2024-03-09 10:00", requester=caller(PHONE))]  # 8 days after
    assert repeats_summarise(cases)["totals"]["repeats"] == 1
    assert repeats_summarise(cases, {"repeat_days": 7})["totals"]["repeats"] == 0
    assert repeats_summarise(cases, {"repeat_days": 8})["totals"]["repeats"] == 1


def test_repeat_days_out_of_range_is_refused():
    result = run_cli("check", "-", input=repeats_ledger_yaml([case()], {"repeat_days": 0}))
    assert result.exit_code == 1
    assert "policy.repeat_days: 应不小于 1，实际是 `0`" in result.stderr


def test_the_same_caller_in_another_category_is_not_a_repeat():
    out = repeats_summarise([
        case(received="2024-03-01 10:00", requester=caller(PHONE), category="城乡建设/物业管理"),
        case(received="2024-03-02 10:00", requester=caller(PHONE), category="城市管理/占道经营"),
        case(received="2024-03-03 10:00", requester=caller("13900000000"), category="城乡建设/物业管理"),
    ])
    assert (out["totals"]["repeats"], out["totals"]["repeat_rate"]) == (0, 0.0)
    assert out["repeat_callers"] == []
    two = [case(received="2024-03-01 10:00", requester=caller(PHONE)),
           case(received="2024-03-02 10:00", requester=caller(PHONE), category="城市管理/占道经营")]
    assert "重复诉求" not in report(two, "zh")  # no repeats: no section
    assert "Repeat" not in report(two, "en")


def test_out_of_order_cases_repeat_by_received_time():
    # written latest first: the repeats are the later received ones, whatever the file order
    out = repeats_summarise([
        case(received="2024-03-20 10:00", requester=caller(PHONE), unit="丙街道"),
        case(received="2024-03-01 10:00", requester=caller(PHONE), unit="甲街道"),
        case(received="2024-03-10 10:00", requester=caller("+86 138 1234 5678"), unit="乙街道"),
    ])
    assert out["totals"]["repeats"] == 2
    assert {e["name"]: e["repeats"] for e in out["groups"]["unit"]} == {"甲街道": 0, "乙街道": 1, "丙街道": 1}
    assert out["repeat_callers"][0]["cases"] == 3
    cases = [case(received="2024-03-20 10:00", requester=caller(PHONE), unit="丙街道"),
             case(received="2024-03-01 10:00", requester=caller(PHONE), unit="甲街道"),
             case(received="2024-03-10 10:00", requester=caller("+86 138 1234 5678"), unit="乙街道")]
    zh = section(report(cases, "zh"), "重复诉求")
    assert "| 丙街道 | 1 | 100.00% |\n| 乙街道 | 1 | 100.00% |" in zh  # most first, ties by name
    assert "甲街道 |" not in zh.split("诉求分类")[0]
    assert f"| {MASKED_MD} | 丙街道、乙街道、甲街道 | 城乡建设 | 2 | 3 |" in zh
    en = section(report(cases, "en"), "Repeat requests")
    assert f"| {MASKED_MD} | 丙街道, 乙街道, 甲街道 | 城乡建设 | 2 | 3 |" in en


def test_withdrawn_cases_neither_repeat_nor_make_repeats():
    out = repeats_summarise([
        case(received="2024-03-01 10:00", requester=caller(PHONE), status="withdrawn"),
        case(received="2024-03-02 10:00", requester=caller(PHONE)),  # the one before is withdrawn: not a repeat
        case(received="2024-03-03 10:00", requester=caller(PHONE), status="withdrawn", unit="撤回单位"),
    ])
    t = out["totals"]
    assert (t["received"], t["withdrawn"], t["repeats"], t["repeat_rate"]) == (3, 1 + 1, 0, 0.0)
    assert group(out, "unit", "撤回单位")["repeat_rate"] is None  # 0 / (1 - 1)


def test_id_number_when_there_is_no_phone_and_masked():
    out = repeats_summarise([
        case(received="2024-03-01 10:00", requester=caller(id_number="37040419800101123X")),
        case(received="2024-03-02 10:00", requester=caller(id_number="370404 19800101 123x")),
        # a phone wins over the ID number: this caller is 13812345678
        case(received="2024-03-03 10:00", requester=caller(PHONE, id_number="37040419800101123X")),
    ])
    assert out["totals"]["repeats"] == 1
    assert out["repeat_callers"] == [{"caller": "370404********123X", "cases": 2, "repeats": 1,
                                      "units": ["铜城街道"], "categories": ["城乡建设"]}]


def test_at_most_20_callers_most_repeats_first_ties_by_masked_caller():
    cases = []
    for n in range(22):
        phone = f"139000000{n:02d}"
        for day in range(1, 3 + (n == 21)):  # the last caller calls three times
            cases.append(case(received=f"2024-03-{day:02d} 10:00", requester=caller(phone)))
    out = repeats_summarise(cases)
    assert out["totals"]["repeats"] == 21 + 2  # one repeat each, two for the last
    callers = out["repeat_callers"]
    assert len(callers) == 20
    assert callers[0] == {"caller": "139****0021", "cases": 3, "repeats": 2, "units": ["铜城街道"],
                          "categories": ["城乡建设"]}
    assert [c["caller"] for c in callers[1:4]] == ["139****0000", "139****0001", "139****0002"]
    assert callers[-1]["caller"] == "139****0018"


# -- signals ---------------------------------------------------------------------------------------
def closures(unit: str, count: int, first: str, step_seconds: int) -> list[dict[str, Any]]:
    """`count` cases of `unit` resolved `step_seconds` apart from `first` (HH:MM on 2024-03-05)."""
    hours, minutes = map(int, first.split(":"))
    out = []
    for n in range(count):
        seconds = hours * 3600 + minutes * 60 + n * step_seconds
        at = f"2024-03-05 {seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
        out.append(case(unit=unit, received="2024-03-04 09:00", resolved=at))
    return out


def test_a_burst_of_25_closures_in_8_minutes_and_19_that_stay_below():
    cases = closures("古邵镇", 25, "10:02", 20)  # 10:02:00, 10:02:20, ... 10:10:00: 25 in 8 minutes
    cases += closures("甲街道", 19, "10:02", 20)  # 19 in 6 minutes: below 20
    cases += closures("乙街道", 21, "14:00", 60)  # 21 in 20 minutes: never 20 within 10
    out = repeats_summarise(cases)
    assert out["signals"] == [{"kind": "bulk_closure", "unit": "古邵镇", "start": "2024-03-05T10:02:00+08:00",
                               "end": "2024-03-05T10:10:00+08:00", "cases": 25}]
    assert out["totals"]["resolved"] == 65  # a signal changes no figure
    zh = section(report(cases, "zh"), "数据质量提示")
    assert "- 古邵镇 2024-03-05 10:02–10:10集中办结25件（10分钟内办结不少于20件），请核实办理过程。" in zh
    assert "甲街道" not in zh and "乙街道" not in zh
    en = section(report(cases, "en"), "Data-quality warnings")
    assert ("- 古邵镇 resolved 25 cases from 2024-03-05 10:02 to 10:10 (at least 20 within 10 minutes): "
            "please check how they were handled.") in en


def test_two_bursts_of_one_unit_and_the_policy_thresholds():
    cases = closures("古邵镇", 20, "09:00", 30) + closures("古邵镇", 20, "15:00", 0)  # 20 in 9.5 min; 20 at once
    out = repeats_summarise(cases)
    assert [(s["start"][11:16], s["end"][11:16], s["cases"]) for s in out["signals"]] == \
        [("09:00", "09:09", 20), ("15:00", "15:00", 20)]
    assert repeats_summarise(cases, {"bulk_closure": {"cases": 21, "minutes": 10}})["signals"] == []
    assert [s["cases"] for s in repeats_summarise(cases, {"bulk_closure": {"cases": 20, "minutes": 5}})["signals"]] == [20]


def test_instant_visits_and_visits_before_resolution():
    def resolved_with(unit: str, visit_at: str, satisfaction: str = "satisfied") -> dict[str, Any]:
        return case(unit=unit, received="2024-03-05 09:00", resolved="2024-03-05 10:00",
                    visits=[{"at": visit_at, "satisfaction": satisfaction}])

    cases = [
        resolved_with("甲街道", "2024-03-05 10:00"),                         # at once: instant
        resolved_with("甲街道", "2024-03-05 10:09:59", "basically_satisfied"),  # 9 min 59 s: instant
        resolved_with("甲街道", "2024-03-05 10:10"),                         # 10 min: not instant
        resolved_with("甲街道", "2024-03-05 10:05", "dissatisfied"),         # not satisfied: not instant
        resolved_with("乙街道", "2024-03-05 10:01"),                         # instant
        resolved_with("乙街道", "2024-03-05 09:30"),                         # before resolution
        resolved_with("乙街道", "2024-03-05 09:59:59", "unreachable"),        # before resolution
        resolved_with("丙街道", "2024-03-05 09:10"),                         # before resolution
    ]
    out = repeats_summarise(cases)
    assert out["signals"] == [
        {"kind": "instant_visit", "unit": "甲街道", "cases": 2},
        {"kind": "instant_visit", "unit": "乙街道", "cases": 1},
        {"kind": "visit_before_resolved", "unit": "乙街道", "cases": 2},
        {"kind": "visit_before_resolved", "unit": "丙街道", "cases": 1},
    ]
    assert [s["cases"] for s in repeats_summarise(cases, {"min_visit_minutes": 0})["signals"]] == [2, 1]
    zh = section(report(cases, "zh"), "数据质量提示")
    assert "以下数据建议核实（不是错误，也不代表存在问题）：" in zh
    assert "- 甲街道有2件在办结后不到10分钟即记录满意回访，请核实回访是否实际进行。" in zh
    assert "- 乙街道有2件的回访时间早于办结时间，请核对回访和办结时间。" in zh
    assert "- 丙街道有1件的回访时间早于办结时间，请核对回访和办结时间。" in zh
    en = section(report(cases, "en"), "Data-quality warnings")
    assert ("- 甲街道: a satisfied follow-up recorded less than 10 minutes after resolution, on 2 of its cases: "
            "please check that the follow-ups took place.") in en
    assert "- 乙街道: a follow-up dated before resolution, on 2 of its cases: please check both times." in en


def test_no_signal_and_no_repeat_leave_the_json_lists_empty():
    out = repeats_summarise([case(received="2024-03-05 09:00", resolved="2024-03-05 10:00",
                          visits=[{"at": "2024-03-06 10:00", "satisfaction": "satisfied"}])])
    assert (out["signals"], out["repeat_callers"], out["totals"]["repeats"]) == ([], [], 0)
    assert list(out)[-9:] == ["repeat_callers", "signals", "warnings", "compare", "sources", "trend", "alerts",
                              "hot_places", "place_repeats"]
    assert (out["hot_places"], out["place_repeats"]) == ([], [])


def test_a_foreign_number_and_an_odd_id_are_callers_too():
    # neither fits the int keys: they go through the table of long callers
    out = repeats_summarise([
        case(received="2024-03-01 10:00", requester=caller("+1 202 555 0100")),
        case(received="2024-03-02 10:00", requester=caller("+1-202-555-0100")),
        case(received="2024-03-01 10:00", requester=caller(id_number="A1234567(8)")),
        case(received="2024-03-02 10:00", requester=caller(id_number="a1234567(8)")),
        case(received="2024-03-03 10:00", requester=caller("2025550100")),  # no +1: another caller
    ])
    assert out["totals"]["repeats"] == 2
    assert [(c["caller"], c["cases"], c["repeats"]) for c in out["repeat_callers"]] == \
        [("********", 2, 1), ("+120****0100", 2, 1)]  # the ID's 8 digits are too few to show any


def brute_force_bursts(times: list[int], least: int, window: int) -> list[tuple[int, int, int]]:
    """The definition of the README, step by step: every dense window, chained while they share a case."""
    windows = []
    for first in range(len(times)):
        last = max(i for i in range(first, len(times)) if times[i] - times[first] <= window)
        if last - first + 1 >= least:
            windows.append([first, last])
    chained: list[list[int]] = []
    for first, last in windows:
        if chained and first <= chained[-1][1]:
            chained[-1][1] = max(chained[-1][1], last)
        else:
            chained.append([first, last])
    return [(times[first], times[last], last - first + 1) for first, last in chained]


def test_bursts_follow_their_definition_on_random_times():
    import random

    rng = random.Random(15)
    for _trial in range(2000):
        times = sorted(rng.randint(0, 3000) for _ in range(rng.randint(0, 60)))
        least, window = rng.randint(2, 8), rng.randint(0, 400)
        assert list(gr.bursts(times, least, window)) == brute_force_bursts(times, least, window), \
            (times, least, window)
    # one case read by hand: 3 within 10 s, a gap, then 2 (too few)
    assert list(gr.bursts([0, 5, 10, 100, 105], 3, 10)) == [(0, 10, 3)]


# == Numbers as shown: rounding, percentages, medians and the streamed JSON ========================
@pytest.mark.parametrize("value,places,text", [
    (Fraction(1, 8), 2, "0.13"), (Fraction(5, 1000), 2, "0.01"), (Fraction(2, 3), 4, "0.6667"),
    (Fraction(6875, 100), 1, "68.8"), (Fraction(-1, 8), 2, "-0.13"),
])
def test_round_half_up_is_exact(value, places, text):
    assert gr.round_half_up(value, places) == Decimal(text)


def test_percent_and_null():
    assert gr.percent(Fraction(2, 3)) == "66.67%"
    assert gr.percent(None) == "—"


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 1 << 16])
def test_median_over_sorted_chunks_is_the_median(monkeypatch, chunk):
    # the median is found by bisection over arrays sorted in chunks: the same as sorting everything
    import array
    import random
    import statistics
    from fractions import Fraction

    monkeypatch.setattr(gr, "MEDIAN_CHUNK", chunk)
    rng = random.Random(chunk)
    for size in (1, 2, 3, 10, 101):
        runs = [array.array("i", (rng.choice([0, 60, 3600, 5400, 86_400 * rng.randint(0, 9)])
                                  for _ in range(rng.randint(0, size)))) for _ in range(3)]
        everything = [d for run in runs for d in run]
        for run in runs:
            gr.sort_in_chunks(run)
        expected = None if not everything else \
            gr.round_half_up(Fraction(statistics.median(everything)) / 3600, 1)
        assert gr.median_hours(runs) == expected


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_streamed_json_is_json_dumps_of_the_summary(example):
    # the JSON is written piece by piece, the listed cases made as they are written: same bytes
    import json

    analysis = gr.analyse(gr.open_sources([str(example)]), gr.Options(needs="summary"))
    document = gr.summary_json(analysis.summary)
    materialised = {key: list(value) if isinstance(value, gr.ListedCases) else value
                    for key, value in document.items()}
    assert materialised["overdue"], "the example should have overdue cases"
    assert gr.render_json(analysis.summary, "unit") == json.dumps(materialised, ensure_ascii=False, indent=2) + "\n"
    overdue = materialised["overdue"]
    assert overdue == sorted(overdue, key=lambda e: (-e["days_overdue"], e["deadline"], e["id"]))


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_repeats_by_numpy_are_the_repeats_in_buckets(example, monkeypatch):
    # from REPEAT_BY_NUMPY caller cases on, repeats are found by one numpy sort: the same repeats, counted in
    # the same order (the partial holds the tally; the JSON the repeats, their groups and callers)
    outputs = []
    for threshold in (1 << 62, 1):
        monkeypatch.setattr(gr, "REPEAT_BY_NUMPY", threshold)
        outputs.append([run_cli("summary", str(example), "--format", fmt).stdout for fmt in ("json", "partial")])
    assert outputs[0] == outputs[1]


@pytest.mark.parametrize("seed", range(5))
def test_repeats_by_numpy_on_many_callers(seed, tmp_path, monkeypatch):
    # 400 cases of 25 callers (phones, ID numbers, one too long for an int key) in three categories over
    # two months: chains of repeats, ties of received time, callers across buckets
    import random

    rng = random.Random(seed)
    callers = ([f"phone: '1380000{n:04d}'" for n in range(12)] + [f"id_number: '37040419800101{n:04d}'"
                                                                    for n in range(12)] + ["phone: '+44 20 7946 0958 1234'"])
    lines = ["version: 1", "jurisdiction: 东阿县", "cases:"]
    for n in range(400):
        day, hour = rng.randint(1, 59), rng.choice([9, 9, 10, 14])
        received = f"2024-03-01 {hour:02d}:00" if day > 31 else f"2024-01-{day:02d} {hour:02d}:00"
        lines += [f"  - id: C{n:04d}", f"    received: '{received}'", "    kind: complaint",
                  f"    category: {rng.choice(['城乡建设', '劳动保障', '市场监管'])}",
                  f"    unit: {rng.choice(['铜城街道', '新城街道', '县人社局'])}", "    status: open",
                  f"    requester: {{{rng.choice(callers)}}}"]
    ledger = tmp_path / "callers.yaml"
    ledger.write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setattr(gr, "REPEAT_BUCKET", 16)  # 25 buckets: their order is the order repeats are counted in
    outputs = []
    for threshold in (1 << 62, 1):
        monkeypatch.setattr(gr, "REPEAT_BY_NUMPY", threshold)
        outputs.append([run_cli("summary", str(ledger), "--format", fmt, "--as-of", "2024-04-01").stdout
                        for fmt in ("json", "partial")])
    assert outputs[0] == outputs[1]
    assert json.loads(outputs[0][0])["totals"]["repeats"] > 100
