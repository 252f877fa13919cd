"""Properties of the summary over random valid ledgers (hypothesis).

- every count of the totals is the sum of that count over the groups of each grouping;
- every rate is null or within [0, 1], every score null or within [0, 100];
- the CSV and the table carry the same numbers as the JSON (compute once, render many).
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import run_cli

COUNT_KEYS = (
    "received", "withdrawn", "resolved", "open", "overdue", "late", "on_time",
    "dissatisfied", "reworked", "mediations", "mediation_agreements",
    "backlog", "backlog_resolved", "escalated", "returned", "penalty_points",
)
RATE_KEYS = (
    "completion_rate", "on_time_rate", "response_rate", "visit_rate",
    "satisfaction_rate", "solved_rate", "mediation_success_rate",
    "backlog_cleared_rate", "return_rate",
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
