"""Periods: --period and its comparisons (环比, 同比, 累计), and the workdays_cn calendar.

The period grammar and its comparison windows, deadlines by the State Council's
holiday schedule, and a differential test: each window of a period equals its
cases cut out into a file of their own.  The period goldens are in test_report.py.
"""
from __future__ import annotations

import datetime as dt
import json
import random

import pytest

from conftest import ROOT, run_cli

EXAMPLE_LEDGER = ROOT / "examples" / "hotline-2024-03.yaml"
from grassroots_report import (PeriodError, month_bounds, parse_period, previous_period, trend_months,
                               year_ago_period, year_to_date_period)


# == The period grammar of --period and its comparisons ============================================
D = dt.date


@pytest.mark.parametrize("text, start, end", [
    ("2024", D(2024, 1, 1), D(2024, 12, 31)),
    ("2024-H1", D(2024, 1, 1), D(2024, 6, 30)),
    ("2024-H2", D(2024, 7, 1), D(2024, 12, 31)),
    ("2024-Q1", D(2024, 1, 1), D(2024, 3, 31)),
    ("2024-Q4", D(2024, 10, 1), D(2024, 12, 31)),
    ("2024-02", D(2024, 2, 1), D(2024, 2, 29)),
    ("2023-02", D(2023, 2, 1), D(2023, 2, 28)),
    ("2024-12", D(2024, 12, 1), D(2024, 12, 31)),
    ("2024-W10", D(2024, 3, 4), D(2024, 3, 10)),
    ("2025-W01", D(2024, 12, 30), D(2025, 1, 5)),      # a week across the year boundary
    ("2020-W53", D(2020, 12, 28), D(2021, 1, 3)),
    ("2024-03-01..2024-03-15", D(2024, 3, 1), D(2024, 3, 15)),
    ("2024-03-01..2024-03-01", D(2024, 3, 1), D(2024, 3, 1)),
])
def test_period_grammar(text, start, end):
    period = parse_period(text)
    assert (period.start, period.end) == (start, end)
    assert period.text() == text


@pytest.mark.parametrize("text, start, end", [
    ("2024-03", D(2024, 2, 19), D(2024, 3, 18)),
    ("2024-01", D(2023, 12, 19), D(2024, 1, 18)),
    ("2024-Q1", D(2023, 12, 19), D(2024, 3, 18)),      # a quarter of 19th-to-18th months
    ("2024-H2", D(2024, 6, 19), D(2024, 12, 18)),
    ("2024", D(2023, 12, 19), D(2024, 12, 18)),
])
def test_months_from_the_19th_to_the_18th(text, start, end):
    period = parse_period(text, 19)
    assert (period.start, period.end) == (start, end)


@pytest.mark.parametrize("text", ["2024-13", "2024-00", "2024-Q5", "2024-H3", "2024-W54", "2021-W53", "24-03",
                                  "2024-03-15..2024-03-01", "2024-02-30..2024-03-01", "March", ""])
def test_not_a_period(text):
    with pytest.raises(PeriodError):
        parse_period(text)


@pytest.mark.parametrize("text, start_day, previous, year_ago, to_date", [
    ("2024-03", 1, ("2024-02-01", "2024-02-29"), ("2023-03-01", "2023-03-31"), ("2024-01-01", "2024-03-31")),
    ("2024-01", 1, ("2023-12-01", "2023-12-31"), ("2023-01-01", "2023-01-31"), None),
    ("2024-Q1", 1, ("2023-10-01", "2023-12-31"), ("2023-01-01", "2023-03-31"), None),
    ("2024-Q3", 1, ("2024-04-01", "2024-06-30"), ("2023-07-01", "2023-09-30"), ("2024-01-01", "2024-09-30")),
    ("2024-H1", 1, ("2023-07-01", "2023-12-31"), ("2023-01-01", "2023-06-30"), None),
    ("2024", 1, ("2023-01-01", "2023-12-31"), ("2023-01-01", "2023-12-31"), None),
    ("2024-03", 19, ("2024-01-19", "2024-02-18"), ("2023-02-19", "2023-03-18"), ("2023-12-19", "2024-03-18")),
    ("2024-W10", 1, ("2024-02-26", "2024-03-03"), ("2023-03-06", "2023-03-12"), ("2024-01-01", "2024-03-10")),
    ("2024-03-01..2024-03-10", 1, ("2024-02-20", "2024-02-29"), ("2023-03-01", "2023-03-10"),
     ("2024-01-01", "2024-03-10")),
    # Feb 29 shifted a year becomes Feb 28
    ("2024-02-29..2024-03-05", 1, ("2024-02-23", "2024-02-28"), ("2023-02-28", "2023-03-05"),
     ("2024-01-01", "2024-03-05")),
    ("2024-12-20..2024-12-31", 19, ("2024-12-08", "2024-12-19"), ("2023-12-20", "2023-12-31"),
     ("2024-12-19", "2024-12-31")),
])
def test_comparisons(text, start_day, previous, year_ago, to_date):
    period = parse_period(text, start_day)
    days = lambda p: (p.start.isoformat(), p.end.isoformat()) if p else None  # noqa: E731
    assert days(previous_period(period, start_day)) == previous
    assert days(year_ago_period(period, start_day)) == year_ago
    assert days(year_to_date_period(period, start_day)) == to_date


def test_a_week_a_year_earlier():
    period = year_ago_period(parse_period("2021-W01"))
    assert (period.start, period.end) == (D(2019, 12, 30), D(2020, 1, 5))  # 2020-W01 began in 2019
    fallback = year_ago_period(parse_period("2020-W53"))  # 2019 has no week 53
    assert (fallback.year, fallback.number, fallback.start) == (2019, 52, D(2019, 12, 23))


def test_month_bounds_of_december_with_a_late_start_day():
    assert month_bounds(2024, 12, 26) == (D(2024, 11, 26), D(2024, 12, 25))


# == calendar: workdays_cn: deadlines by the State Council's holiday schedule ======================
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


# == Differential test of --period: each window equals its cases cut out into their own file =======
# For random long ledgers, the figures of `summary --period P` and of each of its comparisons
# must equal `summary --as-of END` of a file holding just the cases received in that window,
# with every event after END removed by this test (independently of the tool's own rule), END
# being the window's as-of.

UNITS = ("铜城街道", "新城街道", "县人社局")
CATEGORIES = ("城乡建设/物业管理", "劳动保障/欠薪", "市场监管")
KINDS = ("complaint", "consultation", "help", "dispute")
START = dt.datetime(2023, 1, 1)
SPAN_DAYS = 456  # 15 months: 2023-01-01 .. 2024-03-31


def random_cases(rng: random.Random, n: int) -> list[dict]:
    cases = []
    for i in range(n):
        received = START + dt.timedelta(minutes=rng.randrange(SPAN_DAYS * 24 * 60))
        case = {"id": f"C{i:04d}", "received": received, "kind": rng.choice(KINDS),
                "category": rng.choice(CATEGORIES), "unit": rng.choice(UNITS),
                "status": rng.choice(("open", "resolved", "resolved", "resolved", "withdrawn"))}
        if rng.random() < 0.7:
            case["dispatched"] = received + dt.timedelta(minutes=rng.randrange(1, 600))
        if case["status"] == "resolved":
            case["resolved"] = received + dt.timedelta(hours=rng.randrange(1, 24 * 40))
            visits = []
            at = case["resolved"]
            for _ in range(rng.randrange(3)):
                at = at + dt.timedelta(hours=rng.randrange(1, 24 * 10))
                visits.append({"at": at, "satisfaction": rng.choice(("satisfied", "basically_satisfied",
                                                                     "dissatisfied", "unreachable")),
                               "solved": rng.random() < 0.6})
            if visits:
                case["visits"] = visits
        if rng.random() < 0.15:
            case["escalated"] = {"at": received + dt.timedelta(hours=rng.randrange(1, 24 * 20)), "to": "县政府"}
        if rng.random() < 0.2:
            case["returns"] = rng.randrange(1, 3)
        cases.append(case)
    return cases


def text(value) -> str:
    return f"'{value:%Y-%m-%d %H:%M}'" if isinstance(value, dt.datetime) else str(value)


def ledger_text(cases: list[dict], month_start_day: int) -> str:
    lines = ["version: 1", "jurisdiction: 东阿县", "policy:", f"  month_start_day: {month_start_day}",
             "  rank_min_cases: 1", "cases:"]
    if not cases:
        lines[-1] = "cases: []"
    for case in cases:
        first = True
        for key, value in case.items():
            lead = "  - " if first else "    "
            first = False
            if key == "visits":
                lines.append(f"{lead}visits:")
                for v in value:
                    lines.append(f"      - {{at: {text(v['at'])}, satisfaction: {v['satisfaction']}, "
                                 f"solved: {str(v['solved']).lower()}}}")
            elif key == "escalated":
                lines.append(f"{lead}escalated: {{at: {text(value['at'])}, to: {value['to']}}}")
            else:
                lines.append(f"{lead}{key}: {text(value)}")
    return "\n".join(lines) + "\n"


def cut_out(cases: list[dict], start: dt.date, end: dt.date) -> list[dict]:
    """The cases received in [start, end], as they stood at the end of `end`."""
    as_of = dt.datetime.combine(end, dt.time(23, 59, 59))
    out = []
    for case in cases:
        if not start <= case["received"].date() <= end:
            continue
        case = dict(case)
        if case.get("resolved") and case["resolved"] > as_of:
            case["status"] = "open"
            del case["resolved"]
        if case.get("dispatched") and case["dispatched"] > as_of:
            del case["dispatched"]
        if case.get("escalated") and case["escalated"]["at"] > as_of:
            del case["escalated"]
        if case.get("visits"):
            kept = [v for v in case["visits"] if v["at"] <= as_of]
            if kept:
                case["visits"] = kept
            else:
                del case["visits"]
        out.append(case)
    return out


def summary_json(tmp_path, name: str, body: str, *args: str) -> dict:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    result = run_cli("summary", str(path), "--format", "json", *args)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


PERIOD_KEYS = ("carried_over", "carried_over_resolved", "carried_over_overdue")


def figures(block: dict) -> dict:
    """Totals and groups, without the figures only a period has."""
    totals = {k: v for k, v in block["totals"].items() if k not in PERIOD_KEYS}
    groups = {g: [{k: v for k, v in e.items() if k not in PERIOD_KEYS and k != "tier_previous"} for e in entries]
              for g, entries in block["groups"].items()}
    return {"totals": totals, "groups": groups}


@pytest.mark.parametrize("seed, period, month_start_day", [
    (1, "2024-02", 1), (2, "2024-03", 19), (3, "2024-Q1", 1), (4, "2024-Q1", 19), (5, "2023-W40", 1),
    (6, "2024-01-10..2024-02-20", 1), (7, "2023-H2", 1), (8, "2024-02", 26),
])
def test_each_window_equals_its_cases_cut_out(tmp_path, seed, period, month_start_day):
    rng = random.Random(seed)
    cases = random_cases(rng, 160)
    whole = summary_json(tmp_path, "whole.yaml", ledger_text(cases, month_start_day), "--period", period)
    main = parse_period(period, month_start_day)
    windows = {"main": main, "previous": previous_period(main, month_start_day),
               "year_ago": year_ago_period(main, month_start_day),
               "year_to_date": year_to_date_period(main, month_start_day)}
    for name, window in windows.items():
        block = whole if name == "main" else whole["compare"][name]
        if window is None:
            assert block is None
            continue
        cut = cut_out(cases, window.start, window.end)
        if not cut:
            assert block is None, name  # a comparison with no case received is null
            continue
        assert block["period"] == {"start": window.start.isoformat(), "end": window.end.isoformat()}
        alone = summary_json(tmp_path, f"{name}.yaml", ledger_text(cut, month_start_day),
                             "--as-of", f"{window.end.isoformat()} 23:59:59")
        assert figures(block) == figures(alone), name
        assert block["as_of"] == alone["as_of"]


def test_carried_over_cases(tmp_path):
    rng = random.Random(11)
    cases = random_cases(rng, 200)
    whole = summary_json(tmp_path, "whole.yaml", ledger_text(cases, 1), "--period", "2024-02")
    start, as_of = dt.datetime(2024, 2, 1), dt.datetime(2024, 2, 29, 23, 59, 59)
    carried = [c for c in cases if c["received"] < start and c["status"] != "withdrawn"
               and not (c.get("resolved") and c["resolved"] < start)]
    resolved = [c for c in carried if c.get("resolved") and c["resolved"] <= as_of]
    totals = whole["totals"]
    assert totals["carried_over"] == len(carried) > 0
    assert totals["carried_over_resolved"] == len(resolved) > 0
    # the overdue ones: open at as-of and past a deadline of 3 days (1 for consultation, 15 for dispute)
    days = {"consultation": 1, "dispute": 15}
    overdue = [c for c in carried if c not in resolved
               and dt.datetime.combine(c["received"].date() + dt.timedelta(days=days.get(c["kind"], 3)),
                                       dt.time(23, 59, 59)) < as_of]
    assert totals["carried_over_overdue"] == len(overdue)


def test_a_period_with_no_cases(tmp_path):
    # March 2025 is after every case: nothing received, the rates null, the older cases carried over
    cases = random_cases(random.Random(3), 40)
    # the ledger's period reaches 2025, so March 2025 is inside it (wholly outside would be a usage error)
    text = ledger_text(cases, 1).replace("policy:", "period: {start: '2023-01-01', end: '2025-12-31'}\npolicy:", 1)
    whole = summary_json(tmp_path, "whole.yaml", text, "--period", "2025-03")
    totals = whole["totals"]
    assert (totals["received"], totals["completion_rate"], totals["score"]) == (0, None, None)
    start = dt.datetime(2025, 3, 1)
    carried = [c for c in cases if c["status"] != "withdrawn" and not (c.get("resolved") and c["resolved"] < start)]
    assert totals["carried_over"] == len(carried) == 9  # the open ones: every resolution came earlier
    assert whole["compare"]["previous"] is None
    assert whole["compare"]["year_to_date"] is None  # no case received from 2025-01-01 either
    march_2024 = sum(1 for c in cases if (c["received"].year, c["received"].month) == (2024, 3))
    assert whole["compare"]["year_ago"]["totals"]["received"] == march_2024 > 0
    assert whole["groups"]["unit"] == []


# == Hostile input, round three: the bounds of a period ---------------------------------
@pytest.mark.parametrize("period", ["0001-01-01..9999-12-31", "1899-12-31..2024-03-31", "2024-01-01..2200-01-01",
                                    "1899", "2200-Q1"])
def test_a_period_past_the_years_a_ledger_holds_states_the_real_bounds(period):
    result = run_cli("summary", str(EXAMPLE_LEDGER), "--period", period)
    assert result.exit_code == 2 and result.stdout == "" and "Traceback" not in result.stderr
    assert "统计期应在 1900 年 1 月 1 日到 2199 年 12 月 31 日之间" in result.stderr


@pytest.mark.parametrize("period", ["1900-01-01..2199-12-31", "1900", "1900-01", "1900-W01", "2199-Q4", "2199-12",
                                    "2199-W52"])
def test_the_first_and_last_years_can_be_briefed_and_their_comparisons_stay_empty(period, tmp_path):
    # a ledger whose period spans every year a ledger may hold, so that none of these is outside it
    ledger = tmp_path / "ledger.yaml"
    ledger.write_text(EXAMPLE_LEDGER.read_text(encoding="utf-8").replace(
        "period:\n  start: '2024-03-01'\n  end: '2024-03-31'", "period:\n  start: '1900-01-01'\n  end: '2199-12-31'", 1),
        encoding="utf-8")
    result = run_cli("summary", str(ledger), "--period", period, "--format", "json")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["period"]["start"][:4] in ("1899", "1900", "2199")
    # the comparison that reaches past 1900 (or holds no case) is null, never an error
    assert None in (document["compare"]["previous"], document["compare"]["year_ago"])


# == Empty, unfinished and mistaken input (round three) ===========================================
def test_a_period_wholly_outside_the_ledger_is_a_usage_error_naming_its_span():
    result = run_cli("report", str(EXAMPLE_LEDGER), "--period", "2025-03")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.strip() == ("--period 2025-03（2025-03-01 至 2025-03-31）不在台账的范围内"
                                     "（2024-03-01 至 2024-03-31）：请检查期间是否写错")


def test_without_a_period_the_span_of_the_cases_received_is_the_ledgers(tmp_path):
    cases = random_cases(random.Random(5), 30)  # received in 2023 and 2024
    path = tmp_path / "l.yaml"
    path.write_text(ledger_text(cases, 1), encoding="utf-8")
    first = min(c["received"] for c in cases).date().isoformat()
    result = run_cli("summary", str(path), "--period", "2030")
    assert result.exit_code == 2 and f"（{first} 至" in result.stderr


def test_a_period_inside_the_ledger_with_no_case_says_so_and_warns(tmp_path):
    path = tmp_path / "gap.yaml"
    path.write_text("version: 1\njurisdiction: 测试县\nperiod: {start: '2024-01-01', end: '2024-03-31'}\ncases:\n"
                    "  - {id: A-1, received: '2024-01-05 09:00', kind: consultation, category: 城乡建设, unit: 甲街道,"
                    " status: open}\n  - {id: A-2, received: '2024-03-05 09:00', kind: consultation, category: 城乡建设,"
                    " unit: 甲街道, status: open}\n", encoding="utf-8")
    result = run_cli("report", str(path), "--period", "2024-02")
    assert result.exit_code == 0
    assert "## 一、总体情况\n\n**本期无受理。**\n" in result.stdout
    assert "本期（2024-02-01 至 2024-02-29）没有受理的案件" in result.stderr
    assert run_cli("report", str(path), "--period", "2024-02", "--strict").exit_code == 1


# == Trends and alerts (round three) ==============================================================
TREND_KEYS = ("received", "resolved", "completion_rate", "on_time_rate", "satisfaction_rate")


@pytest.mark.parametrize("seed, period, month_start_day", [(11, "2024-02", 1), (12, "2024-Q1", 19),
                                                            (13, "2023-W40", 1), (14, "2024-02", 26)])
def test_each_month_of_the_trend_equals_its_cases_cut_out(tmp_path, seed, period, month_start_day):
    cases = random_cases(random.Random(seed), 200)
    whole = summary_json(tmp_path, "whole.yaml", ledger_text(cases, month_start_day), "--period", period)
    months = trend_months(parse_period(period, month_start_day), month_start_day)
    assert len(whole["trend"]) == len(months) == 12
    assert months[-1].start <= parse_period(period, month_start_day).end <= months[-1].end  # ends with the period
    for entry, month in zip(whole["trend"], months):
        assert entry["period"] == {"start": month.start.isoformat(), "end": month.end.isoformat()}
        cut = cut_out(cases, month.start, month.end)
        if not cut:  # a month with no case: zeros and nulls
            assert {k: entry[k] for k in TREND_KEYS} == {"received": 0, "resolved": 0, "completion_rate": None,
                                                         "on_time_rate": None, "satisfaction_rate": None}
            continue
        alone = summary_json(tmp_path, "m.yaml", ledger_text(cut, month_start_day),
                             "--as-of", f"{month.end.isoformat()} 23:59:59")
        assert {k: entry[k] for k in TREND_KEYS} == {k: alone["totals"][k] for k in TREND_KEYS}, month
    plain = summary_json(tmp_path, "plain.yaml", ledger_text(cases, month_start_day))
    assert plain["trend"] is None and plain["alerts"] == []


def planted(tmp_path, now: dict[str, int], before: dict[str, int], year_ago: dict[str, int], **policy) -> dict:
    """A ledger with `now` cases of each category in 2024-03, `before` in 2024-02, `year_ago` in 2023-03."""
    cases = []
    for (year, month), counts in (((2024, 3), now), ((2024, 2), before), ((2023, 3), year_ago)):
        for category, n in counts.items():
            for i in range(n):
                cases.append({"id": f"{category}-{year}{month:02d}-{i}",
                              "received": dt.datetime(year, month, 1 + i % 27, 9, 0), "kind": "complaint",
                              "category": category, "unit": "铜城街道", "status": "open"})
    body = ledger_text(cases, 1)
    if policy:
        body = body.replace("policy:\n", "policy:\n  alerts: {" + ", ".join(f"{k}: {v}" for k, v in policy.items())
                            + "}\n", 1)
    return summary_json(tmp_path, "alerts.yaml", body, "--period", "2024-03")


def test_alerts_on_planted_rises(tmp_path):
    out = planted(tmp_path, now={"城乡建设/物业管理": 15, "市场监管/食品安全": 12, "劳动保障/欠薪": 9, "交通运输/公交": 14},
                  before={"城乡建设/物业管理": 10, "市场监管/食品安全": 9, "劳动保障/欠薪": 3, "交通运输/公交": 14},
                  year_ago={"市场监管/食品安全": 8, "交通运输/公交": 14})
    alerts = {(a["kind"], a["name"]): a for a in out["alerts"]}
    # +50% exactly is a rise; 12 against 9 (+33%) is not, but against 8 a year ago (+50%) it is
    assert alerts["category", "城乡建设"] == {"kind": "category", "name": "城乡建设", "received": 15, "previous": 10,
                                           "year_ago": 0, "change_previous": 0.5, "change_year_ago": None}
    assert alerts["subcategory", "市场监管/食品安全"]["change_year_ago"] == 0.5
    assert ("category", "劳动保障") not in alerts  # +200%, but 9 cases: under the minimum of 10
    assert ("category", "交通运输") not in alerts  # no rise
    assert alerts["unit", "铜城街道"]["received"] == 50
    changes = [max(c for c in (a["change_previous"], a["change_year_ago"]) if c is not None) for a in out["alerts"]]
    assert changes == sorted(changes, reverse=True)
    # just below the threshold, and a smaller minimum
    stricter = planted(tmp_path, now={"城乡建设/物业管理": 15}, before={"城乡建设/物业管理": 11}, year_ago={})
    assert not [a for a in stricter["alerts"] if a["kind"] == "category"]  # +36%
    looser = planted(tmp_path, now={"劳动保障/欠薪": 9}, before={"劳动保障/欠薪": 3}, year_ago={}, min_cases=9)
    assert [a["name"] for a in looser["alerts"] if a["kind"] == "category"] == ["劳动保障"]


def test_the_report_has_the_trend_and_the_alerts():
    text = run_cli("report", str(ROOT / "examples" / "hotline-2023-01-to-2024-03.yaml"), "--period", "2024-03").stdout
    assert "## 二、近12个月走势\n\n| 月份 | 受理 | 办结 | 办结率 | 按期办结率 | 满意率 |" in text
    assert "| 2024年3月 | 31 | 24 | 88.89% | 72.00% | 100.00% |" in text
    assert "| 诉求分类 | 城乡建设 | 15 | 5 | 增长200.00% | 4 | 增长275.00% |" in text
