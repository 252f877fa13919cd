"""The period grammar of --period and its comparisons (环比, 同比, 累计)."""
from __future__ import annotations

import datetime as dt

import pytest

from grassroots_report import (PeriodError, month_bounds, parse_period, previous_period, year_ago_period,
                               year_to_date_period)

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
