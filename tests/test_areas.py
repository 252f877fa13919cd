"""Areas (属地): the gazetteer, inference from location and summary, hot places and place repeats.

SPEC.md "Areas (属地: 街镇 / 村社区 / 点位)": a case's `area` resolved level by level against the
top-level `areas` (names and aliases, counted under the standard names), the area inferred from
`location` or else `summary` when a case has none, an area outside the gazetteer refused at its line,
`groups.area` (first level, 属地不明 last), `hot_places`, `place_repeats` and `--areas FILE` (YAML or
CSV) standing in for the ledger's own gazetteer.

Every expected number is counted by hand from that contract in the comment beside it; none is copied
from the tool's output.  Names compared by order were chosen so that code-point order and pinyin order
agree (府 fu < 新 xin, 交 jiao < 劳 lao, 城 cheng < 生 sheng / 市 shi, 铜 tong < 鱼 yu).
"""
from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import HEADER, ONE_CASE, run_cli, write

# The gazetteer every test uses (unless it says otherwise): two first-level areas, three levels deep.
GAZETTEER: list[dict[str, Any]] = [
    {"name": "铜城街道", "aliases": ["铜城"], "areas": [
        {"name": "府前社区", "aliases": ["府前"], "areas": [
            {"name": "府前小区", "aliases": ["府前花园", "府前家园"]}]},
        {"name": "新华社区", "areas": [{"name": "阳光小区"}]}]},
    {"name": "鱼山镇", "aliases": ["鱼山"], "areas": [{"name": "前阿村", "aliases": ["前阿"]}]},
]
# The same gazetteer as `--areas FILE.csv`: aliases joined by 、, 上级 the parent's standard name.
GAZETTEER_CSV = """\
标准地名,别名,上级
铜城街道,铜城,
府前社区,府前,铜城街道
府前小区,府前花园、府前家园,府前社区
新华社区,,铜城街道
阳光小区,,新华社区
鱼山镇,鱼山,
前阿村,前阿,鱼山镇
"""
FUQIAN_XIAOQU = "铜城街道/府前社区/府前小区"  # the full standard path of the deepest entry, used often
UNKNOWN = "属地不明"


# -- helpers ---------------------------------------------------------------------------------------
def ledger_text(cases: list[dict[str, Any]], *, areas: Any = GAZETTEER, policy: dict | None = None) -> str:
    """A ledger (values as JSON, which is YAML flow style), as_of given, each case with a distinct id."""
    lines = ["version: 1", "jurisdiction: 东阿县", "as_of: '2024-04-01 09:00'"]
    if policy is not None:
        lines.append(f"policy: {json.dumps(policy, ensure_ascii=False)}")
    if areas is not None:
        lines.append(f"areas: {json.dumps(areas, ensure_ascii=False)}")
    lines.append("cases:")
    for n, fields in enumerate(cases, start=1):
        item = {"id": f"AR-{n:03d}", "received": "2024-03-04 09:00", "kind": "complaint",
                "category": "城乡建设", "unit": "铜城街道", "status": "open", **fields}
        lines.append(f"  - {json.dumps(item, ensure_ascii=False)}")
    return "\n".join(lines) + "\n"


def summary(tmp_path: Path, text: str, *args: str, name: str = "ledger.yaml") -> dict[str, Any]:
    """`summary --by area --format json` of a ledger; the run must succeed."""
    path = write(tmp_path, name, text)
    result = run_cli("summary", str(path), "--format", "json", "--by", "area", *args)
    assert result.exit_code == 0, (result.exit_code, result.stderr)
    return json.loads(result.stdout)


def by_area(out: dict[str, Any]) -> dict[str, int]:
    """groups.area as {name: received}."""
    return {entry["name"]: entry["received"] for entry in out["groups"]["area"]}


def places(out: dict[str, Any]) -> dict[str, int]:
    """hot_places as {place: received}."""
    return {entry["place"]: entry["received"] for entry in out["hot_places"]}


def at(day_time: str) -> str:
    """'03-01 08:00' -> the ISO time as JSON writes it (default timezone +08:00, like as_of)."""
    return f"2024-{day_time[:5]}T{day_time[6:]}:00+08:00"


# == 1. Names and aliases counted under the standard names ==========================================
def test_names_aliases_and_first_level_areas_are_counted_under_standard_names(tmp_path):
    out = summary(tmp_path, ledger_text([
        {"area": "铜城街道/府前社区/府前小区"},  # standard names           -> 铜城街道/府前社区/府前小区
        {"area": "铜城/府前/府前花园"},          # an alias at every level -> 铜城街道/府前社区/府前小区
        {"area": "铜城街道"},                    # first level only        -> 铜城街道
        {"area": "鱼山"},                        # first-level alias       -> 鱼山镇
        {"area": "鱼山镇/前阿"},                 # alias at level 2        -> 鱼山镇/前阿村
        {},                                      # no area, nothing to infer from -> unknown
    ]))
    # first level: 铜城街道 = cases 1, 2, 3 -> 3; 鱼山镇 = cases 4, 5 -> 2; 属地不明 = case 6 -> 1
    assert by_area(out) == {"铜城街道": 3, "鱼山镇": 2, UNKNOWN: 1}
    assert out["groups"]["area"][-1]["name"] == UNKNOWN  # listed last
    # deepest level known: cases 1 and 2 are one place (2); 铜城街道, 鱼山镇, 鱼山镇/前阿村 one each
    assert places(out) == {FUQIAN_XIAOQU: 2, "铜城街道": 1, "鱼山镇": 1, "鱼山镇/前阿村": 1}
    assert out["totals"]["area_inferred"] == 0  # every case either has an area or has no text to search
    assert out["totals"]["area_unknown"] == 1  # case 6


def test_without_a_gazetteer_area_is_counted_as_written(tmp_path):
    out = summary(tmp_path, ledger_text([
        {"area": "铜城/府前"},            # first level as written: 铜城 (not 铜城街道: no gazetteer)
        {"area": "铜城街道"},             # 铜城街道
        {"location": "府前花园3号楼"},    # no area, and no inference without a gazetteer -> 属地不明
    ], areas=None))
    assert by_area(out) == {"铜城": 1, "铜城街道": 1, UNKNOWN: 1}
    assert places(out) == {"铜城/府前": 1, "铜城街道": 1}  # the unknown case is no place


# == 2. Inference from location, else summary ======================================================
def test_area_inferred_from_location_else_summary(tmp_path):
    out = summary(tmp_path, ledger_text([
        # 1: location holds 府前花园 (4 chars, alias of 府前小区) and 府前 (2): longest -> 铜城街道/府前社区/府前小区
        {"location": "府前花园3号楼东侧", "summary": "楼道灯不亮"},
        # 2: location has no name; summary holds 前阿村 (3) and 前阿 (2) -> 鱼山镇/前阿村
        {"location": "阿胶街8号", "summary": "前阿村村口垃圾堆放"},
        # 3: location 阳光小区 -> 铜城街道/新华社区/阳光小区; summary's 府前花园 is not looked at (location wins)
        {"location": "阳光小区北门", "summary": "府前花园也有同样问题"},
        # 4: 阳光小区 (4) and 府前花园 (4), two different places tie at the longest -> unknown
        {"location": "阳光小区与府前花园之间的道路", "summary": "道路破损"},
        # 5: no name anywhere -> unknown
        {"location": "阿胶街8号", "summary": "噪音扰民"},
        # 6: 府前小区 (4) and 府前花园 (4) tie, but it is ONE place -> 铜城街道/府前社区/府前小区
        {"location": "府前小区（府前花园）南门"},
        # 7: an area is written: no inference, whatever location says -> 鱼山镇
        {"area": "鱼山镇", "location": "府前花园"},
        # 8: no location at all; summary holds 鱼山镇 (3) and 鱼山 (2) -> 鱼山镇
        {"summary": "鱼山镇政府门口积水"},
    ]))
    assert out["totals"]["area_inferred"] == 5  # cases 1, 2, 3, 6, 8
    assert out["totals"]["area_unknown"] == 2  # cases 4, 5
    # 铜城街道: cases 1, 3, 6 -> 3; 鱼山镇: cases 2, 7, 8 -> 3; 属地不明: cases 4, 5 -> 2
    assert by_area(out) == {"铜城街道": 3, "鱼山镇": 3, UNKNOWN: 2}
    assert out["groups"]["area"][-1]["name"] == UNKNOWN
    # places: 府前小区 = cases 1, 6; 阳光小区 = case 3; 前阿村 = case 2; 鱼山镇 = cases 7, 8
    assert places(out) == {FUQIAN_XIAOQU: 2, "铜城街道/新华社区/阳光小区": 1, "鱼山镇/前阿村": 1, "鱼山镇": 2}


# == 3. An area outside the gazetteer ==============================================================
BAD_AREAS = HEADER + """\
areas:
  - name: 铜城街道
    aliases: [铜城]
    areas:
      - name: 府前社区
        aliases: [府前]
      - name: 新华社区
""" + ONE_CASE + """\
    area: 铜城街道/府前设区
  - id: 'DA-0002'
    received: '2024-03-05 09:12'
    kind: complaint
    category: 城乡建设
    unit: 铜城街道
    status: open
    area: 铜成街道
"""


def test_area_outside_the_gazetteer_is_refused_at_its_line(tmp_path):
    lines = BAD_AREAS.splitlines()
    # hand count: HEADER is lines 1-3, areas lines 4-10, cases: line 11, first case 12-18, second 19-25
    assert lines[17] == "    area: 铜城街道/府前设区" and lines[24] == "    area: 铜成街道"
    path = write(tmp_path, "bad.yaml", BAD_AREAS)
    result = run_cli("check", str(path))
    assert result.exit_code == 1
    first = re.search(rf"^{re.escape(str(path))}:18:\d+: cases\[0\]\.area: (.*)$", result.stderr, re.M)
    assert first, result.stderr
    # the unknown second level is named; 府前社区 is the close standard name (difflib ratio 0.75)
    assert "府前设区" in first.group(1) and "府前社区" in first.group(1)
    assert "是否想写" in first.group(1)
    second = re.search(rf"^{re.escape(str(path))}:25:\d+: cases\[1\]\.area: (.*)$", result.stderr, re.M)
    assert second, result.stderr
    # the unknown first level 铜成街道 is named; did you mean 铜城街道 (ratio 0.75)
    assert "铜成街道" in second.group(1) and "铜城街道" in second.group(1)


# == 4. hot_places =================================================================================
def test_hot_places_hand_count(tmp_path):
    fuqian, xinhua = "铜城街道/府前社区", "铜城街道/新华社区"
    out = summary(tmp_path, ledger_text([
        {"area": FUQIAN_XIAOQU, "category": "城乡建设/物业管理"},
        {"area": FUQIAN_XIAOQU, "category": "城乡建设/供水供气"},
        {"area": FUQIAN_XIAOQU, "category": "城乡建设"},
        {"area": FUQIAN_XIAOQU, "category": "生态环境/噪音扰民"},
        {"area": FUQIAN_XIAOQU, "category": "生态环境/噪音扰民", "status": "withdrawn"},  # still counted
        {"area": FUQIAN_XIAOQU, "category": "交通运输/道路维护"},
        {"area": FUQIAN_XIAOQU, "category": "劳动保障/欠薪"},
        {"area": fuqian, "category": "城乡建设/市容市政"},
        {"area": fuqian, "category": "城乡建设/市容市政"},
        {"area": "铜城/新华社区", "category": "生态环境/大气污染"},  # alias 铜城 -> 铜城街道/新华社区
        {"area": xinhua, "category": "城乡建设/市容市政"},
        {"area": "鱼山镇", "category": "农业农村/土地承包"},
        {"category": "城乡建设"},  # three cases of unknown area: had they been a place, it would rank 2nd
        {"category": "城乡建设"},
        {"category": "城乡建设"},
    ]))
    assert out["hot_places"] == [
        # 7 cases (the withdrawn one included); 城乡建设 3, 生态环境 2 (withdrawn included),
        # then 交通运输 1 and 劳动保障 1 tie: by name 交 < 劳, and only 3 are kept
        {"place": FUQIAN_XIAOQU, "received": 7, "top_categories": [
            {"name": "城乡建设", "received": 3}, {"name": "生态环境", "received": 2},
            {"name": "交通运输", "received": 1}]},
        # 2 and 2: the tie broken by place, 府前社区 < 新华社区 (府 U+5E9C < 新 U+65B0)
        {"place": fuqian, "received": 2, "top_categories": [{"name": "城乡建设", "received": 2}]},
        # 1 and 1: 城乡建设 < 生态环境 (城 U+57CE < 生 U+751F)
        {"place": xinhua, "received": 2, "top_categories": [
            {"name": "城乡建设", "received": 1}, {"name": "生态环境", "received": 1}]},
        {"place": "鱼山镇", "received": 1, "top_categories": [{"name": "农业农村", "received": 1}]},
    ]


def test_hot_places_are_the_top_ten(tmp_path):
    # twelve towns, town k with k cases (k = 1..12): the top ten are towns 12 down to 3
    towns = [f"第{k:02d}镇" for k in range(1, 13)]
    cases = [{"area": town} for k, town in enumerate(towns, start=1) for _ in range(k)]  # 78 cases
    out = summary(tmp_path, ledger_text(cases, areas=[{"name": town} for town in towns]))
    assert [(e["place"], e["received"]) for e in out["hot_places"]] == [
        (f"第{k:02d}镇", k) for k in range(12, 2, -1)]
    assert out["hot_places"][0]["top_categories"] == [{"name": "城乡建设", "received": 12}]


# == 5. place_repeats ==============================================================================
def test_place_repeats_at_the_edges_of_the_window(tmp_path):
    qiana, sunshine, fuqian = "鱼山镇/前阿村", "铜城街道/新华社区/阳光小区", "铜城街道/府前社区"
    out = summary(tmp_path, ledger_text([
        # 府前小区 x 城乡建设: 03-01 08:00 .. 03-08 08:00 is exactly 7x24 h -> a repeat of 3
        {"area": FUQIAN_XIAOQU, "category": "城乡建设/物业管理", "received": "2024-03-01 08:00"},
        {"area": FUQIAN_XIAOQU, "category": "城乡建设/供水供气", "received": "2024-03-04 12:00"},
        {"area": FUQIAN_XIAOQU, "category": "城乡建设", "received": "2024-03-08 08:00"},
        # 府前小区 x 生态环境: only 2 (not pooled with the place's 城乡建设 cases) -> none
        {"area": FUQIAN_XIAOQU, "category": "生态环境/噪音扰民", "received": "2024-03-02 08:00"},
        {"area": FUQIAN_XIAOQU, "category": "生态环境/噪音扰民", "received": "2024-03-03 08:00"},
        # 阳光小区 x 生态环境: 03-01 08:00 .. 03-08 08:01 is 7 days 1 minute -> none
        {"area": sunshine, "category": "生态环境/噪音扰民", "received": "2024-03-01 08:00"},
        {"area": sunshine, "category": "生态环境/噪音扰民", "received": "2024-03-05 08:00"},
        {"area": sunshine, "category": "生态环境/噪音扰民", "received": "2024-03-08 08:01"},
        # 前阿村 x 农业农村: windows 03-01..03-08 (7 d) and 03-05..03-12 (7 d) share cases -> one chain of 4
        {"area": qiana, "category": "农业农村/土地承包", "received": "2024-03-01 08:00"},
        {"area": qiana, "category": "农业农村/土地承包", "received": "2024-03-05 08:00"},
        {"area": qiana, "category": "农业农村/土地承包", "received": "2024-03-08 08:00"},
        {"area": qiana, "category": "农业农村/土地承包", "received": "2024-03-12 08:00"},
        # 府前社区 x 交通运输: 3 in 2 days, but the withdrawn one is not counted -> 2 -> none
        {"area": fuqian, "category": "交通运输", "received": "2024-03-10 09:00"},
        {"area": fuqian, "category": "交通运输", "received": "2024-03-11 09:00", "status": "withdrawn"},
        {"area": fuqian, "category": "交通运输", "received": "2024-03-12 09:00"},
        # no area and nothing to infer from: not a place -> none
        {"category": "城乡建设", "received": "2024-03-20 09:00"},
        {"category": "城乡建设", "received": "2024-03-20 10:00"},
        {"category": "城乡建设", "received": "2024-03-20 11:00"},
    ]))
    assert out["place_repeats"] == [  # cases 4 before cases 3
        {"place": qiana, "category": "农业农村", "cases": 4, "first": at("03-01 08:00"), "last": at("03-12 08:00")},
        {"place": FUQIAN_XIAOQU, "category": "城乡建设", "cases": 3,
         "first": at("03-01 08:00"), "last": at("03-08 08:00")},
    ]


def test_place_repeats_with_a_policy_of_two_cases_in_one_day(tmp_path):
    qiana = "鱼山镇/前阿村"
    out = summary(tmp_path, ledger_text([
        # 鱼山镇 x 城乡建设: exactly 24 h apart -> a repeat of 2
        {"area": "鱼山镇", "category": "城乡建设", "received": "2024-03-01 08:00"},
        {"area": "鱼山镇", "category": "城乡建设", "received": "2024-03-02 08:00"},
        # 鱼山镇 x 市场监管: 4 h apart -> a repeat of 2 (same place and first as above: after it by category)
        {"area": "鱼山镇", "category": "市场监管/消费维权", "received": "2024-03-01 08:00"},
        {"area": "鱼山镇", "category": "市场监管/食品安全", "received": "2024-03-01 12:00"},
        # 前阿村 x 城乡建设: 24 h 1 min apart -> none
        {"area": qiana, "category": "城乡建设", "received": "2024-03-01 08:00"},
        {"area": qiana, "category": "城乡建设", "received": "2024-03-02 08:01"},
        # 前阿村 x 农业农村: 1 h apart -> a repeat of 2 (same first: after 鱼山镇 by place, a prefix sorts first)
        {"area": qiana, "category": "农业农村", "received": "2024-03-01 08:00"},
        {"area": qiana, "category": "农业农村", "received": "2024-03-01 09:00"},
        # 铜城街道 x 生态环境: 12 h then 22 h (34 h end to end): two windows sharing a case -> chain of 3
        {"area": "铜城街道", "category": "生态环境", "received": "2024-03-10 08:00"},
        {"area": "铜城街道", "category": "生态环境", "received": "2024-03-10 20:00"},
        {"area": "铜城街道", "category": "生态环境", "received": "2024-03-11 18:00"},
    ], policy={"place_repeat": {"cases": 2, "days": 1}}))
    assert out["place_repeats"] == [
        {"place": "铜城街道", "category": "生态环境", "cases": 3, "first": at("03-10 08:00"), "last": at("03-11 18:00")},
        {"place": "鱼山镇", "category": "城乡建设", "cases": 2, "first": at("03-01 08:00"), "last": at("03-02 08:00")},
        {"place": "鱼山镇", "category": "市场监管", "cases": 2, "first": at("03-01 08:00"), "last": at("03-01 12:00")},
        {"place": qiana, "category": "农业农村", "cases": 2, "first": at("03-01 08:00"), "last": at("03-01 09:00")},
    ]


# == 6. --areas FILE ===============================================================================
AREAS_CASES: list[dict[str, Any]] = [
    {"area": "铜城/府前/府前家园"},   # second alias of 府前小区 -> 铜城街道/府前社区/府前小区
    {"area": "鱼山镇/前阿"},          # -> 鱼山镇/前阿村
    {"location": "新华社区东门"},     # inferred: 新华社区 (4) -> 铜城街道/新华社区
    {"location": "阿胶街8号"},        # nothing found -> unknown
    {"area": "铜城街道"},             # -> 铜城街道
]


def assert_areas_figures(out: dict[str, Any]) -> None:
    # 铜城街道: cases 1, 3, 5 -> 3; 鱼山镇: case 2 -> 1; 属地不明: case 4 -> 1
    assert by_area(out) == {"铜城街道": 3, "鱼山镇": 1, UNKNOWN: 1}
    assert places(out) == {FUQIAN_XIAOQU: 1, "鱼山镇/前阿村": 1, "铜城街道/新华社区": 1, "铜城街道": 1}
    assert (out["totals"]["area_inferred"], out["totals"]["area_unknown"]) == (1, 1)  # case 3; case 4


def test_areas_file_csv_and_yaml_give_the_ledgers_figures(tmp_path):
    inside = summary(tmp_path, ledger_text(AREAS_CASES), name="inside.yaml")
    assert_areas_figures(inside)
    bare = ledger_text(AREAS_CASES, areas=None)
    csv_file = write(tmp_path, "areas.csv", GAZETTEER_CSV)
    yaml_file = write(tmp_path, "areas.yaml", yaml.safe_dump(GAZETTEER, allow_unicode=True, sort_keys=False))
    for gazetteer in (csv_file, yaml_file):
        out = summary(tmp_path, bare, "--areas", str(gazetteer), name="bare.yaml")
        assert_areas_figures(out)
        for data in (out, inside):
            data.pop("sources", None)
        assert out == inside  # the same figures, whichever way the gazetteer comes


def test_areas_file_replaces_the_ledgers_own(tmp_path):
    # the ledger's own gazetteer knows only 鱼山镇; --areas brings the full one, and only it is used
    own = ledger_text(AREAS_CASES, areas=[{"name": "鱼山镇", "areas": [{"name": "前阿村"}]}])
    yaml_file = write(tmp_path, "areas.yaml", yaml.safe_dump(GAZETTEER, allow_unicode=True, sort_keys=False))
    assert_areas_figures(summary(tmp_path, own, "--areas", str(yaml_file)))


# == 7. The import: join, the guessed map, an area outside the gazetteer at its cell =================
AREA_EXPORT = (
    "工单编号,受理时间,诉求类型,一级分类,承办单位,办件状态,被反映街乡镇,村/社区,小区点位,事发地址\n"
    "A1,2024-03-01 09:00,投诉,城乡建设,铜城街道,办理中,铜城,府前,府前花园,阿胶街8号\n"
    "A2,2024-03-01 10:00,投诉,城乡建设,铜城街道,办理中,鱼山镇,,,\n"
    "A3,2024-03-01 11:00,投诉,城乡建设,铜城街道,办理中,,,,府前花园3号楼\n"
    "A4,2024-03-01 12:00,投诉,城乡建设,铜城街道,办理中,铜城街道,府前设区,,\n"
)


def test_map_guesses_the_area_columns_and_the_import_joins_them(tmp_path):
    export = write(tmp_path, "export.csv", AREA_EXPORT)
    guessed = run_cli("map", str(export))
    assert guessed.exit_code == 0, guessed.stderr
    assert '  area: {join: ["被反映街乡镇", "村/社区", "小区点位"]}' in guessed.stdout
    assert '  location: "事发地址"' in guessed.stdout
    header = ("ledger:\n  version: 1\n  jurisdiction: 东阿县\n  as_of: '2024-03-05 00:00'\n"
              f"  areas: {json.dumps(GAZETTEER, ensure_ascii=False)}\n")
    text = guessed.stdout.replace("ledger:\n  version: 1\n  jurisdiction: \"请填写区县名称\"   # 统计区域\n", header)
    mapfile = write(tmp_path, "map.yaml", text)
    rejects = tmp_path / "rejects.csv"
    result = run_cli("import", str(export), "--map", str(mapfile), "--rejects", str(rejects))
    assert result.exit_code == 0, result.stderr
    assert 'area: "铜城/府前/府前花园"' in result.stdout  # joined as written; counted under the standard names
    assert 'area: "鱼山镇"' in result.stdout  # empty levels left out
    assert "A4" not in result.stdout  # 府前设区 is not under 铜城街道: the row is rejected, at its cell
    reasons = list(csv.reader(io.StringIO(rejects.read_text(encoding="utf-8-sig"))))
    assert reasons[1][0] == "A4" and "府前设区" in reasons[1][-1] and "府前社区" in reasons[1][-1]
    out = json.loads(run_cli("summary", str(export), "--map", str(mapfile), "--rejects", str(rejects),
                             "--format", "json").stdout)
    # A1 -> 府前小区 (aliases), A2 -> 鱼山镇, A3 inferred from 事发地址 (府前花园) -> 府前小区
    assert places(out) == {FUQIAN_XIAOQU: 2, "鱼山镇": 1}
    assert (out["totals"]["area_inferred"], out["totals"]["area_unknown"]) == (1, 0)


# == 8. --areas FILE: what a bad gazetteer gets ======================================================
@pytest.mark.parametrize("text, where, words", [
    ("名称,别名\n铜城街道,\n", ":1:1: ", "标准地名"),
    ("标准地名,别名,上级\n府前社区,,铜城街道\n", ":2:3: ", "铜城街道"),  # the parent comes later (or never)
    ("标准地名,别名,上级\n甲镇,,\n东关村,,甲镇\n乙镇,,\n东关村,,乙镇\n小区,,东关村\n", ":6:3: ", "铜城街道/府前社区"),
    ("标准地名,别名,上级\n甲镇,,\n一村,,甲镇\n一组,,甲镇/一村\n一号,,甲镇/一村/一组\n", ":5:3: ", "三级"),
    ("标准地名,别名,上级\n甲/镇,,\n", ":2:1: ", "'/'"),
], ids=["no 标准地名 column", "unknown parent", "parent at two places", "four levels", "a slash"])
def test_a_bad_csv_gazetteer_is_refused_at_its_cell(tmp_path, text, where, words):
    ledger = write(tmp_path, "ledger.yaml", ledger_text([{"area": "铜城街道"}], areas=None))
    gazetteer = write(tmp_path, "areas.csv", text)
    result = run_cli("check", str(ledger), "--areas", str(gazetteer))
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith(str(gazetteer) + where) and words in result.stderr, result.stderr


def test_a_name_twice_at_one_level_is_refused_where_it_stands_again(tmp_path):
    path = write(tmp_path, "ledger.yaml", HEADER + "areas:\n  - name: 铜城街道\n    aliases: [铜城]\n"
                 "  - name: 新城街道\n    aliases: [铜城]\ncases: []\n")
    result = run_cli("check", str(path))
    assert result.exit_code == 1
    # line 8, column 15: the second 铜城, an alias of 新城街道 and already of 铜城街道 at the same level
    assert f"{path}:8:15: areas[1].aliases[0]:" in result.stderr and "铜城街道" in result.stderr, result.stderr


def test_a_yaml_list_gazetteer_names_its_own_lines(tmp_path):
    ledger = write(tmp_path, "ledger.yaml", ledger_text([{"area": "铜城街道"}], areas=None))
    gazetteer = write(tmp_path, "areas.yaml", "# 地名表\n- name: 铜城街道\n- name: 铜城街道\n  colour: red\n")
    result = run_cli("check", str(ledger), "--areas", str(gazetteer))
    assert result.exit_code == 2
    assert f"{gazetteer}:4:3: areas[1]" in result.stderr, result.stderr  # line 4 of the file, not of a copy


# == 9. A roll-up keeps places within their jurisdiction; areas in alerts ============================
def test_a_roll_up_keeps_one_place_per_jurisdiction(tmp_path):
    def county(name: str, prefix: str, cases: int) -> Path:
        text = ledger_text([{"area": "城关镇/东关村"}] * cases, areas=[{"name": "城关镇", "areas": [{"name": "东关村"}]}])
        return write(tmp_path, f"{prefix}.yaml", text.replace("东阿县", name).replace("AR-", prefix + "-"))
    out = json.loads(run_cli("summary", str(county("东阿县", "DA", 3)), str(county("阳谷县", "YG", 2)),
                             "--format", "json", "--jobs", "1").stdout)
    assert by_area(out) == {"城关镇（东阿县）": 3, "城关镇（阳谷县）": 2}
    assert places(out) == {"城关镇/东关村（东阿县）": 3, "城关镇/东关村（阳谷县）": 2}
    # three cases at one place within 7 days in 东阿县 only: 阳谷县's two do not join them
    assert [(r["place"], r["cases"]) for r in out["place_repeats"]] == [("城关镇/东关村（东阿县）", 3)]


def test_an_area_that_rose_is_an_alert(tmp_path):
    march = [{"area": "鱼山镇", "received": f"2024-03-{d:02d} 09:00"} for d in range(1, 11)]  # 10 cases
    february = [{"area": "鱼山镇", "received": f"2024-02-{d:02d} 09:00"} for d in range(1, 6)]  # 5 cases
    out = summary(tmp_path, ledger_text(february + march), "--period", "2024-03")
    area_alerts = [a for a in out["alerts"] if a["kind"] == "area"]
    # 10 in March against 5 in February: +100% >= +50%, and 10 >= min_cases 10; no case a year ago
    assert area_alerts == [{"kind": "area", "name": "鱼山镇", "received": 10, "previous": 5, "year_ago": None,
                            "change_previous": 1.0, "change_year_ago": None}]


def test_a_policy_file_may_set_place_repeat_and_alerts(tmp_path):
    path = write(tmp_path, "ledger.yaml", ledger_text([{"area": "鱼山镇", "received": f"2024-03-0{d} 09:00"}
                                                       for d in (1, 2)]))
    policy = write(tmp_path, "policy.yaml", "policy:\n  place_repeat: {cases: 2, days: 1}\n  alerts: {min_cases: 3}\n")
    out = summary(tmp_path, path.read_text(encoding="utf-8"), "--policy", str(policy))
    assert [(r["place"], r["cases"]) for r in out["place_repeats"]] == [("鱼山镇", 2)]  # 24 h apart: within 1 day


# == 10. The report's sections ========================================================================
def test_the_report_has_the_area_sections_only_when_cases_have_areas(tmp_path):
    with_areas = write(tmp_path, "a.yaml", ledger_text([{"area": "鱼山镇/前阿村"}] * 3 + [{}]))
    report = run_cli("report", str(with_areas)).stdout
    for heading in ("属地分布", "各街镇受理情况", "热点点位（前十）", "同一地点重复反映"):
        assert heading in report
    assert "| 鱼山镇/前阿村 | 城乡建设3件 | 3 |" in report
    assert "属地：0件未填写属地、由事发地点或诉求内容识别出属地；1件属地不明。" in report
    without = write(tmp_path, "b.yaml", ledger_text([{}], areas=None))
    assert "属地" not in run_cli("report", str(without)).stdout


def test_more_than_10000_places_found_in_text_are_refused_at_the_first_too_many(tmp_path):
    # a gazetteer of 10,002 villages in two towns (a list holds at most 10,000), each case naming one in its
    # location: the 10,001st place counted is the first too many, at its case (it has no `area` of its own)
    areas = [{"name": f"{town}镇", "areas": [{"name": f"{town}镇第{i}村"} for i in range(5_001)]} for town in "甲乙"]
    cases = [{"location": f"{town}镇第{i}村路口"} for town in "甲乙" for i in range(5_001)]
    path = write(tmp_path, "many.yaml", ledger_text(cases, areas=areas))
    result = run_cli("check", str(path), "--lang", "en")
    assert result.exit_code == 1
    # line 10,006 (the header's 4 lines, `cases:`, then one a case): the case, as it has no `area`
    assert result.stderr.startswith(f"{path}:10006:5: cases[10000].area: one run counts at most 10,000 distinct "
                                    "areas"), result.stderr[-300:]


# == Hostile input: areas ===============================================================================
HOSTILE_PLACE = "=cmd|' -C calc'!A0\x1b[31m\u202e|**x**"  # no `/`: one level


def test_a_hostile_area_name_is_inert_in_every_output(tmp_path):
    # an area written as anything (no gazetteer): terminal controls, bidi, Markdown and a spreadsheet formula
    from conftest import clean

    path = write(tmp_path, "ledger.yaml", ledger_text([{"area": HOSTILE_PLACE}] * 3, areas=None))
    outputs = {fmt: run_cli("summary", str(path), "--by", "area", "--format", fmt) for fmt in
               ("table", "csv", "tsv", "json", "markdown")}
    report = run_cli("report", str(path))
    for result in (*outputs.values(), report):
        assert result.exit_code == 0, result.stderr
        clean(result.stdout, result.stderr)
    # CSV: the cell that begins with `=` is written after a `'` (never run as a formula)
    rows = list(csv.reader(io.StringIO(outputs["csv"].stdout)))
    assert rows[1][1].startswith("'=cmd")
    # Markdown: the pipe and the stars are escaped, so the table keeps its columns
    line = next(line for line in report.stdout.splitlines() if "cmd" in line and line.startswith("| "))
    assert "\\|" in line and "\\*\\*x\\*\\*" in line


def test_a_gazetteer_of_hostile_names_is_checked_not_run(tmp_path):
    from conftest import clean

    gazetteer = write(tmp_path, "areas.csv", "标准地名,别名,上级\n\"=1+1\",\"@x、\x1b[2J\",\n")
    path = write(tmp_path, "ledger.yaml", ledger_text([{"location": "@x路口"}], areas=None))
    result = run_cli("summary", str(path), "--areas", str(gazetteer), "--format", "csv", "--by", "area")
    assert result.exit_code == 0, result.stderr
    clean(result.stdout, result.stderr)
    assert "'=1+1" in result.stdout  # found by its alias @x, and guarded in the CSV


def test_a_standard_name_twice_at_one_level_is_refused_in_a_ledger_and_in_a_csv(tmp_path):
    twice = write(tmp_path, "ledger.yaml", HEADER + "areas:\n  - name: 铜城街道\n  - name: 铜城街道\ncases: []\n")
    result = run_cli("check", str(twice))
    # line 6: the second 铜城街道, at its value (column 11)
    assert result.exit_code == 1 and f"{twice}:6:11: areas[1].name:" in result.stderr, result.stderr
    ledger = write(tmp_path, "l.yaml", ledger_text([{"area": "甲镇"}], areas=None))
    for text, where in (("标准地名,别名,上级\n甲镇,,\n一村,,甲镇\n一村,,甲镇\n", ":4:1: "),  # a name again, line 4
                        ("标准地名,别名,上级\n甲镇,,\n一村,,甲镇\n二村,一村,甲镇\n", ":4:2: ")):  # an alias naming 一村
        gazetteer = write(tmp_path, "areas.csv", text)
        refused = run_cli("check", str(ledger), "--areas", str(gazetteer))
        assert refused.exit_code == 2 and refused.stderr.startswith(f"{gazetteer}{where}") and "一村" in refused.stderr
