"""The figures of SPEC.md, pinned one rule at a time through `summary --format json`.

Every expected number below is worked out by hand from SPEC.md in the comment
next to it; none is copied from the tool's output.

Two readings of this implementation are taken as the contract here: a target
on `return_rate` is a maximum and a weighted return_rate enters the score as
(1 - return_rate); `dissatisfied` and `reworked` count every case that is not
withdrawn (not only resolved ones).
"""
from __future__ import annotations

import datetime as dt
import json
from typing import Any

from conftest import run_cli

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


# -- helpers -------------------------------------------------------------------------
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


# -- deadlines ---------------------------------------------------------------------
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


# -- time zones --------------------------------------------------------------------
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


# -- withdrawn, overdue ------------------------------------------------------------------
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


# -- response rate -------------------------------------------------------------------
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


# -- visits --------------------------------------------------------------------------
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


# -- null rates ----------------------------------------------------------------------
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


# -- score ----------------------------------------------------------------------------
def test_score_reweights_over_the_rates_that_exist():
    # no visits: satisfaction_rate and solved_rate are null, only response_rate (0.1) weighs
    t = totals([
        case(dispatched="2024-03-04 11:00", resolved="2024-03-05 10:00"),
        case(dispatched="2024-03-04 11:00", resolved="2024-03-05 10:00"),
        case(dispatched="2024-03-04 11:00", resolved="2024-03-05 10:00"),
        case(dispatched="2024-03-04 18:00", resolved="2024-03-05 10:00"),  # 8 h: late
    ], as_of="2024-03-31 00:00")
    assert t["response_rate"] == 0.75
    assert (t["satisfaction_rate"], t["solved_rate"]) == (None, None)
    assert t["score"] == 75.0  # 100 x 0.75


def test_score_default_weights():
    t = totals([
        case(dispatched="2024-03-04 11:00", resolved="2024-03-05 10:00",
             visits=[visit("2024-03-06 09:00", "satisfied", solved=True)]),
        case(dispatched="2024-03-04 11:00", resolved="2024-03-05 10:00",
             visits=[visit("2024-03-06 09:00", "dissatisfied", solved=False)]),
    ], as_of="2024-03-31 00:00")
    # response 1.0, solved 0.5, satisfaction 0.5:
    # 100 x (0.1 x 1 + 0.5 x 0.5 + 0.4 x 0.5) / (0.1 + 0.5 + 0.4) = 55.0
    assert t["score"] == 55.0


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


# -- ranking --------------------------------------------------------------------------
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
    # ranked by score (ties by name, null last), then the unranked by name with rank null
    assert [(e["name"], e["rank"], e["score"]) for e in out["groups"]["unit"]] == [
        ("Juliet", 1, 100.0),
        ("Kilo", 2, 100.0),
        ("Hotel", 3, 50.0),
        ("India", 4, 0.0),   # a score of 0 still comes before a null score
        ("Golf", 5, None),
        ("Delta", None, 0.0),
        ("Echo", None, 100.0),
    ]


def test_rank_min_cases_default_is_ten():
    cases = [case(unit="Ten", resolved="2024-03-05 10:00") for _ in range(10)]
    cases += [case(unit="Nine", resolved="2024-03-05 10:00") for _ in range(9)]
    cases += [case(unit="Nine", status="withdrawn")]  # withdrawn does not count towards the 10
    out = summarise(cases, as_of="2024-03-31 00:00")
    assert [(e["name"], e["rank"]) for e in out["groups"]["unit"]] == [("Ten", 1), ("Nine", None)]


# -- as-of rule --------------------------------------------------------------------------
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


# -- --fail-on-target ------------------------------------------------------------------
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


# -- groups -------------------------------------------------------------------------------
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
