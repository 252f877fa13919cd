"""Repeat requests (重复诉求) and signals of data to look at, with planted patterns.

Each pattern is asserted in the JSON summary and in the report text, in both
languages.  Every expected number is worked out by hand in the comment next to it.
"""
from __future__ import annotations

import json
from typing import Any

import pytest

import grassroots_report as gr
from conftest import run_cli

PHONE = "13812345678"
MASKED = "138****5678"
MASKED_MD = r"138\*\*\*\*5678"  # as the Markdown report escapes it


# -- helpers -------------------------------------------------------------------------
def case(**fields: Any) -> dict[str, Any]:
    """A case with sensible defaults; `resolved` alone implies status resolved."""
    out: dict[str, Any] = {"received": "2024-03-04 10:00", "kind": "complaint",
                           "category": "城乡建设/物业管理", "unit": "铜城街道"}
    out.update(fields)
    out.setdefault("status", "resolved" if "resolved" in out else "open")
    return out


def ledger_yaml(cases: list[dict[str, Any]], policy: dict[str, Any] | None = None) -> str:
    """A version-1 ledger, every value written as JSON (valid YAML flow style)."""
    lines = ["version: 1", "jurisdiction: 测试县", "as_of: '2024-12-31 00:00'"]
    if policy is not None:
        lines.append(f"policy: {json.dumps(policy, ensure_ascii=False)}")
    lines.append("cases:")
    for n, item in enumerate(cases, start=1):
        lines.append(f"  - {json.dumps({'id': f'C{n:03d}', **item}, ensure_ascii=False)}")
    return "\n".join(lines) + "\n"


def summarise(cases: list[dict[str, Any]], policy: dict[str, Any] | None = None) -> dict[str, Any]:
    result = run_cli("summary", "-", "--format", "json", input=ledger_yaml(cases, policy))
    assert (result.exit_code, result.stderr) == (0, "")
    return json.loads(result.stdout)


def report(cases: list[dict[str, Any]], lang: str, policy: dict[str, Any] | None = None) -> str:
    result = run_cli("report", "-", "--lang", lang, input=ledger_yaml(cases, policy))
    assert (result.exit_code, result.stderr) == (0, "")
    return result.stdout


def group(out: dict[str, Any], grouping: str, name: str) -> dict[str, Any]:
    entries = [e for e in out["groups"][grouping] if e["name"] == name]
    assert len(entries) == 1, (grouping, name)
    return entries[0]


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


# -- who is the same caller ------------------------------------------------------------
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
    out = summarise(four_ways())
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
    assert "本期重复诉求 3 件（同一诉求人 30 天内就同一大类再次反映），重复诉求率 75.00%；重复诉求的满意率 50.00%。" in zh
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


# -- the window and the category -----------------------------------------------------
def test_exactly_30_days_is_a_repeat_and_31_days_is_not():
    cases = [
        case(received="2024-03-01 10:00", requester=caller(PHONE), unit="甲街道"),
        case(received="2024-03-31 10:00", requester=caller(PHONE), unit="乙街道"),  # 30 days after: repeat
        case(received="2024-05-01 10:00", requester=caller(PHONE), unit="丙街道"),  # 31 days after: not
        case(received="2024-05-31 10:00:01", requester=caller(PHONE), unit="丁街道"),  # 30 days + 1 s: not
    ]
    out = summarise(cases)
    assert out["totals"]["repeats"] == 1
    assert [(e["name"], e["repeats"]) for e in sorted(out["groups"]["unit"], key=lambda e: e["name"])] == \
        [("丁街道", 0), ("丙街道", 0), ("乙街道", 1), ("甲街道", 0)]
    assert out["repeat_callers"] == [{"caller": MASKED, "cases": 2, "repeats": 1, "units": ["乙街道", "甲街道"],
                                      "categories": ["城乡建设"]}]
    zh = section(report(cases, "zh"), "重复诉求")
    assert "本期重复诉求 1 件（同一诉求人 30 天内就同一大类再次反映），重复诉求率 25.00%；重复诉求的满意率 —。" in zh
    assert "| 乙街道 | 1 | 100.00% |" in zh and "丙街道" not in zh.split("**")[0]
    assert f"| {MASKED_MD} | 乙街道、甲街道 | 城乡建设 | 1 | 2 |" in zh
    en = section(report(cases, "en"), "Repeat requests")
    assert ": 1, repeat rate 25.00%; satisfaction of the repeat cases —." in en
    assert f"| {MASKED_MD} | 乙街道, 甲街道 | 城乡建设 | 1 | 2 |" in en


def test_repeat_days_policy():
    cases = [case(received="2024-03-01 10:00", requester=caller(PHONE)),
             case(received="2024-03-09 10:00", requester=caller(PHONE))]  # 8 days after
    assert summarise(cases)["totals"]["repeats"] == 1
    assert summarise(cases, {"repeat_days": 7})["totals"]["repeats"] == 0
    assert summarise(cases, {"repeat_days": 8})["totals"]["repeats"] == 1


def test_repeat_days_out_of_range_is_refused():
    result = run_cli("check", "-", input=ledger_yaml([case()], {"repeat_days": 0}))
    assert result.exit_code == 1
    assert "policy.repeat_days: 应不小于 1，实际是 `0`" in result.stderr


def test_the_same_caller_in_another_category_is_not_a_repeat():
    out = summarise([
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
    out = summarise([
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
    out = summarise([
        case(received="2024-03-01 10:00", requester=caller(PHONE), status="withdrawn"),
        case(received="2024-03-02 10:00", requester=caller(PHONE)),  # the one before is withdrawn: not a repeat
        case(received="2024-03-03 10:00", requester=caller(PHONE), status="withdrawn", unit="撤回单位"),
    ])
    t = out["totals"]
    assert (t["received"], t["withdrawn"], t["repeats"], t["repeat_rate"]) == (3, 1 + 1, 0, 0.0)
    assert group(out, "unit", "撤回单位")["repeat_rate"] is None  # 0 / (1 - 1)


def test_id_number_when_there_is_no_phone_and_masked():
    out = summarise([
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
    out = summarise(cases)
    assert out["totals"]["repeats"] == 21 + 2  # one repeat each, two for the last
    callers = out["repeat_callers"]
    assert len(callers) == 20
    assert callers[0] == {"caller": "139****0021", "cases": 3, "repeats": 2, "units": ["铜城街道"],
                          "categories": ["城乡建设"]}
    assert [c["caller"] for c in callers[1:4]] == ["139****0000", "139****0001", "139****0002"]
    assert callers[-1]["caller"] == "139****0018"


# -- signals ------------------------------------------------------------------------
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
    out = summarise(cases)
    assert out["signals"] == [{"kind": "bulk_closure", "unit": "古邵镇", "start": "2024-03-05T10:02:00+08:00",
                               "end": "2024-03-05T10:10:00+08:00", "cases": 25}]
    assert out["totals"]["resolved"] == 65  # a signal changes no figure
    zh = section(report(cases, "zh"), "数据质量提示")
    assert "- 古邵镇 2024-03-05 10:02–10:10 集中办结 25 件（10 分钟内办结不少于 20 件），请核实办理过程。" in zh
    assert "甲街道" not in zh and "乙街道" not in zh
    en = section(report(cases, "en"), "Data-quality warnings")
    assert ("- 古邵镇 resolved 25 cases from 2024-03-05 10:02 to 10:10 (at least 20 within 10 minutes): "
            "please check how they were handled.") in en


def test_two_bursts_of_one_unit_and_the_policy_thresholds():
    cases = closures("古邵镇", 20, "09:00", 30) + closures("古邵镇", 20, "15:00", 0)  # 20 in 9.5 min; 20 at once
    out = summarise(cases)
    assert [(s["start"][11:16], s["end"][11:16], s["cases"]) for s in out["signals"]] == \
        [("09:00", "09:09", 20), ("15:00", "15:00", 20)]
    assert summarise(cases, {"bulk_closure": {"cases": 21, "minutes": 10}})["signals"] == []
    assert [s["cases"] for s in summarise(cases, {"bulk_closure": {"cases": 20, "minutes": 5}})["signals"]] == [20]


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
    out = summarise(cases)
    assert out["signals"] == [
        {"kind": "instant_visit", "unit": "甲街道", "cases": 2},
        {"kind": "instant_visit", "unit": "乙街道", "cases": 1},
        {"kind": "visit_before_resolved", "unit": "乙街道", "cases": 2},
        {"kind": "visit_before_resolved", "unit": "丙街道", "cases": 1},
    ]
    assert [s["cases"] for s in summarise(cases, {"min_visit_minutes": 0})["signals"]] == [2, 1]
    zh = section(report(cases, "zh"), "数据质量提示")
    assert "以下数据建议核实（不是错误，也不代表存在问题）：" in zh
    assert "- 甲街道有 2 件在办结后不到 10 分钟即记录满意回访，请核实回访是否实际进行。" in zh
    assert "- 乙街道有 2 件的回访时间早于办结时间，请核对回访和办结时间。" in zh
    assert "- 丙街道有 1 件的回访时间早于办结时间，请核对回访和办结时间。" in zh
    en = section(report(cases, "en"), "Data-quality warnings")
    assert ("- 甲街道: a satisfied follow-up recorded less than 10 minutes after resolution, on 2 of its cases: "
            "please check that the follow-ups took place.") in en
    assert "- 乙街道: a follow-up dated before resolution, on 2 of its cases: please check both times." in en


def test_no_signal_and_no_repeat_leave_the_json_lists_empty():
    out = summarise([case(received="2024-03-05 09:00", resolved="2024-03-05 10:00",
                          visits=[{"at": "2024-03-06 10:00", "satisfaction": "satisfied"}])])
    assert (out["signals"], out["repeat_callers"], out["totals"]["repeats"]) == ([], [], 0)
    assert list(out)[-4:] == ["repeat_callers", "signals", "warnings", "compare"]


def test_a_foreign_number_and_an_odd_id_are_callers_too():
    # neither fits the int keys: they go through the table of long callers
    out = summarise([
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
