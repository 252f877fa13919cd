"""The column path (section "Counting by column" of grassroots_report.py) held to the per-row path.

`summary`, `report` and `run EXPORT --map MAP` count a CSV or TSV export's clean rows by column
(import_by_columns, _ColumnImport, count_columns); grassroots_report.COLUMN_PATH = False sends every
export the per-row way, which is the reference.  Every test here runs the command both ways
(both_ways) and asserts the same exit code, standard output, standard error and files written,
byte for byte; the tests meant to exercise the column path also assert it was taken, so that a
test cannot pass by the column path silently stepping aside.

    the example export     examples/hotline-export-2024-03.csv in every format, grouping, as-of
    random exports         seeded exports mixing every kind of cell a platform writes, and bad ones
    hostile CSVs           quoting, line endings, encodings, NUL, ragged rows, controls, a 2 MB cell
    several files          two exports, two exports sharing an id, an export and a YAML ledger
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import io
import csv
import json
import os
import random
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest

import grassroots_report
from conftest import ROOT, run_cli

OUT = "{out}"  # the output directory of one run, in a command's arguments
EXAMPLE = ROOT / "examples" / "hotline-export-2024-03.csv"
EXAMPLE_MAP = ROOT / "examples" / "hotline-export.map.yaml"


# == Both ways ===================================================================================
@dataclasses.dataclass
class Outcome:
    """One command run both ways: what the reference gave, and whether the column path was taken."""

    exit_code: int
    stdout: str
    stderr: str
    files: dict[str, bytes]
    column_path: bool  # import_by_columns returned a result (not None) in the column run, for some export


def _readable(text: str) -> list[str]:
    """Text as lines to compare; a line of JSON (a partial summary is two) spread over many."""
    if text.startswith("{"):
        try:
            return json.dumps(json.loads(text), ensure_ascii=False, indent=1).splitlines()
        except ValueError:
            pass
    lines = []
    for line in text.splitlines():
        if line.startswith(("{", "[")) and len(line) > 200:
            try:
                lines += json.dumps(json.loads(line), ensure_ascii=False, indent=1).splitlines()
                continue
            except ValueError:
                pass
        lines.append(line)
    return lines


def _diff(name: str, row: str | bytes, column: str | bytes) -> str:
    if isinstance(row, bytes) or isinstance(column, bytes):
        try:
            row, column = bytes(row).decode("utf-8"), bytes(column).decode("utf-8")  # type: ignore[arg-type]
        except UnicodeDecodeError:
            return f"{name}: {len(row)} bytes by row, {len(column)} bytes by column, not the same"
    lines = difflib.unified_diff(_readable(str(row)), _readable(str(column)), f"{name} (by row)",
                                 f"{name} (by column)", lineterm="", n=2)
    return "\n".join(list(lines)[:120])


def _run_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, column: bool, args: tuple[str, ...],
              input: str | bytes | None) -> tuple[int, str, str, dict[str, bytes]]:
    out = Path(tempfile.mkdtemp(prefix="col-" if column else "row-", dir=tmp_path))
    monkeypatch.setattr(grassroots_report, "COLUMN_PATH", column)
    result = run_cli(*[a.replace(OUT, str(out)) for a in args], input=input)
    files = {}
    for name in sorted(os.listdir(out)):
        files[name] = (out / name).read_bytes().replace(str(out).encode(), OUT.encode())
    shutil.rmtree(out)
    return result.exit_code, result.stdout.replace(str(out), OUT), result.stderr.replace(str(out), OUT), files


def both_ways(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *args: str, outputs: tuple[str, ...] = (),
              input: str | bytes | None = None) -> Outcome:
    """Run the CLI in-process by column (COLUMN_PATH True) and by row (False), each writing into its own
    fresh directory (`{out}` in `args`); assert the same exit code, stdout, stderr and files (every file
    written, and `outputs`: the names that must be there whenever the run exits 0)."""
    taken: list[bool] = []
    original = grassroots_report.import_by_columns

    def spy(*spy_args: Any, **spy_kwargs: Any) -> Any:
        result = original(*spy_args, **spy_kwargs)
        taken.append(result is not None)
        return result

    monkeypatch.setattr(grassroots_report, "import_by_columns", spy)
    try:
        by_column = _run_once(tmp_path, monkeypatch, True, args, input)
        column_path = any(taken)
        taken.clear()
        by_row = _run_once(tmp_path, monkeypatch, False, args, input)
    finally:
        monkeypatch.setattr(grassroots_report, "import_by_columns", original)
        monkeypatch.setattr(grassroots_report, "COLUMN_PATH", True)
    assert not taken, "the reference run went by column"
    code, stdout, stderr, files = by_row
    command = " ".join(args)
    if by_column[0] != code:
        pytest.fail(f"{command}: exit {by_column[0]} by column, {code} by row\n" + _diff("stderr", stderr, by_column[2])
                    + "\n" + _diff("stdout", stdout, by_column[1]))
    if by_column[1] != stdout:
        pytest.fail(f"{command}\n" + _diff("stdout", stdout, by_column[1]))
    if by_column[2] != stderr:
        pytest.fail(f"{command}\n" + _diff("stderr", stderr, by_column[2]))
    if sorted(by_column[3]) != sorted(files):
        pytest.fail(f"{command}: files {sorted(by_column[3])} by column, {sorted(files)} by row")
    for name in files:
        if by_column[3][name] != files[name]:
            pytest.fail(f"{command}\n" + _diff(name, files[name], by_column[3][name]))
    assert "Traceback" not in stderr
    if code == 0:
        for name in outputs:
            assert name in files, f"{command}: {name} not written ({sorted(files)})"
    return Outcome(code, stdout, stderr, files, column_path)


def has_warnings(outcome: Outcome) -> bool:
    """The reference run said a warning (a case with one makes the file go by row)."""
    return "警告" in outcome.stderr or "warning" in outcome.stderr.lower()


# == The example export ==========================================================================
@pytest.fixture
def example(tmp_path: Path) -> tuple[str, str]:
    """The example export and its map, copied beside the test (short names in the messages)."""
    shutil.copy(EXAMPLE, tmp_path / "export.csv")
    shutil.copy(EXAMPLE_MAP, tmp_path / "map.yaml")
    return str(tmp_path / "export.csv"), str(tmp_path / "map.yaml")


@pytest.mark.parametrize("fmt", ["table", "json", "partial", "csv", "tsv", "markdown"])
def test_example_formats(tmp_path, monkeypatch, example, fmt):
    export, mapfile = example
    outcome = both_ways(tmp_path, monkeypatch, "summary", export, "--map", mapfile, "--rejects", f"{OUT}/rejects.csv",
                        "--format", fmt, outputs=("rejects.csv",))
    assert outcome.exit_code == 0 and outcome.column_path


@pytest.mark.parametrize("by", ["unit", "category", "channel", "kind", "jurisdiction", "area"])
def test_example_groupings(tmp_path, monkeypatch, example, by):
    export, mapfile = example
    outcome = both_ways(tmp_path, monkeypatch, "summary", export, "--map", mapfile, "--rejects", f"{OUT}/rejects.csv",
                        "--by", by)
    assert outcome.exit_code == 0 and outcome.column_path


def test_example_without_rejects_exits_1(tmp_path, monkeypatch, example):
    export, mapfile = example
    for command in ("summary", "report", "run"):
        outcome = both_ways(tmp_path, monkeypatch, command, export, "--map", mapfile)
        assert outcome.exit_code == 1 and outcome.column_path
        assert outcome.stdout == "" and outcome.files == {}


def test_example_rejects_file_and_output(tmp_path, monkeypatch, example):
    export, mapfile = example
    outcome = both_ways(tmp_path, monkeypatch, "summary", export, "--map", mapfile, "--rejects", f"{OUT}/rejects.csv",
                        "--format", "json", "-o", f"{OUT}/summary.json", outputs=("rejects.csv", "summary.json"))
    assert outcome.column_path
    assert json.loads(outcome.files["summary.json"])["totals"]["received"] == 5


# before the data, inside it (before some events, between), at its end, after it; a date alone
AS_OF = ["2024-02-01", "2024-03-01 09:00", "2024-03-02 12:00", "2024-03-04", "2024-03-05 12:00",
         "2024-03-06 08:00", "2024-03-31 23:59", "2024-04-01 09:00", "2025-01-01"]


@pytest.mark.parametrize("as_of", AS_OF)
def test_example_as_of(tmp_path, monkeypatch, example, as_of):
    export, mapfile = example
    outcome = both_ways(tmp_path, monkeypatch, "summary", export, "--map", mapfile, "--rejects", f"{OUT}/rejects.csv",
                        "--format", "partial", "--as-of", as_of)
    if not has_warnings(outcome):
        assert outcome.column_path
    both_ways(tmp_path, monkeypatch, "report", export, "--map", mapfile, "--rejects", f"{OUT}/rejects.csv",
              "--as-of", as_of)


def test_example_report_markdown(tmp_path, monkeypatch, example):
    export, mapfile = example
    for command in ("report", "run"):
        outcome = both_ways(tmp_path, monkeypatch, command, export, "--map", mapfile, "--rejects",
                            f"{OUT}/rejects.csv", "-o", f"{OUT}/report.md", outputs=("rejects.csv", "report.md"))
        assert outcome.exit_code == 0 and outcome.column_path
    outcome = both_ways(tmp_path, monkeypatch, "report", export, "--map", mapfile, "--rejects", f"{OUT}/rejects.csv")
    assert outcome.stdout.startswith("#") and outcome.column_path


def test_example_report_docx(tmp_path, monkeypatch, example):
    export, mapfile = example
    args = ("report", export, "--map", mapfile, "--rejects", str(tmp_path / "rejects.csv"))
    # the Word document is compared byte for byte only if the reference writes the same bytes twice
    monkeypatch.setattr(grassroots_report, "COLUMN_PATH", False)
    first, second = tmp_path / "first.docx", tmp_path / "second.docx"
    assert run_cli(*args, "-o", str(first)).exit_code == 0
    assert run_cli(*args, "-o", str(second)).exit_code == 0
    deterministic = first.read_bytes() == second.read_bytes()
    monkeypatch.setattr(grassroots_report, "COLUMN_PATH", True)
    if deterministic:
        outcome = both_ways(tmp_path, monkeypatch, *args[:-1], f"{OUT}/rejects.csv", "-o", f"{OUT}/report.docx",
                            outputs=("report.docx",))
        assert outcome.column_path
    else:  # pragma: no cover - compare the parts, the document properties aside
        by = {}
        for flag in (True, False):
            monkeypatch.setattr(grassroots_report, "COLUMN_PATH", flag)
            path = tmp_path / f"{flag}.docx"
            assert run_cli(*args, "-o", str(path)).exit_code == 0
            import zipfile
            with zipfile.ZipFile(path) as archive:
                by[flag] = {n: archive.read(n) for n in archive.namelist() if n != "docProps/core.xml"}
        assert by[True] == by[False]


def test_example_column_path_counts_the_same_state(tmp_path, monkeypatch, example):
    """The example export's partial (the whole counted state) says 5 cases, both ways."""
    export, mapfile = example
    outcome = both_ways(tmp_path, monkeypatch, "summary", export, "--map", mapfile, "--rejects", f"{OUT}/r.csv",
                        "--format", "partial", outputs=("r.csv",))
    assert outcome.column_path and outcome.stdout
    assert outcome.files["r.csv"].startswith(b"\xef\xbb\xbf")


# == Random exports ==============================================================================
# A seeded generator of platform exports: the example map's columns and more (every field the column
# path fills), rows mixing clean cases with every kind of cell a platform writes and every kind of
# mistake a clerk makes.
COLUMNS = ["工单编号", "受理时间", "诉求类型", "办件来源", "一级分类", "二级分类", "三级分类", "诉求内容", "事发地点",
           "承办单位", "诉求人", "诉求人电话", "身份证号", "派发时间", "办结期限", "办件状态", "办结时间", "是否合理",
           "退单次数", "回访时间", "是否满意", "是否解决", "回访备注", "市级编号"]
START = dt.datetime(2024, 3, 1)
PAD = [" ", "  ", "\t", "\u3000", " \t", "\u00a0"]
FULL_WIDTH = str.maketrans("0123456789-:/ ", "０１２３４５６７８９－：／\u3000")
UNITS = ["铜城街道", "新城街道", "县人社局", "县市场监管局", "A/B联合办", "Cafe\u0301服务中心", "Café服务中心",
         "新城\x07街道", "\u202e新城街道", "铜城街道\u200b", "=SUM(A1)"]
MAJORS = ["城乡建设", "劳动保障", "市场监管", "Cafe\u0301", "环境/保护", "\x1b[31m红\x1b[0m"]
MINORS = ["", "", "物业管理", "施工管理", "供水/供暖", "欠薪", "e\u0301"]
THIRDS = ["", "", "", "施工扰民", "电梯"]
PHONES = ["13812345678", "13812345678", "+86 138 1234 5678", "008613812345678", "8613812345678", "0632-7712345",
          "(0632)7712345", "138abc", "１３８１２３４５６７８", " 13912345678 ", "12345678901234567",
          "123456789012345678", "0", "+1 212 555 0100", "＋８６１３８１２３４５６７８", "13812345678 转 8", "86123"]
ID_NUMBERS = ["372524198703151234", "37252419870315123X", "37252419870315123x", " 372524198703151234 ",
              "３７２５２４１９８７０３１５１２３４", "372524-19870315-1234", "abc", "12345678901234567890"]
NAMES = ["张三", "欧阳娜娜", "Li Lei", "王 五", "Jose\u0301", "李四", "赵六"]
TEXTS = ["反映工地夜间施工", "电梯停运，电话13912345678", "讨要工资\n第二行", "停水", "张三反映路灯不亮",
         'say "hi", ok', "e\u0301te\u0301", "\u202eevil\u202c", "=cmd|' /C calc'!A0", "\x1b]0;title\x07"]
BAD_TIMES = ["2024-02-30 10:00:00", "1850-01-01 00:00:00", "2024-03-05 25:00:00", "2024-13-01 00:00:00",
             "2250-01-01 00:00:00", "明天", "2024-03-05 23:59:60", "2024/2/30 9:00", "20240230", "45356.5",
             "2024-03-05 09:30:00+25:00", "0000-01-01 00:00:00"]


def time_cell(rng: random.Random, moment: dt.datetime, odd: float) -> str:
    """A time as a platform writes it: the usual form mostly, else one of many others (`odd`: how often)."""
    if rng.random() >= odd:
        return moment.strftime("%Y-%m-%d %H:%M:%S")
    form = rng.randrange(14)
    y, m, d, hh, mm = moment.year, moment.month, moment.day, moment.hour, moment.minute
    if form == 0:
        return moment.strftime("%Y-%m-%d %H:%M")
    if form == 1:
        return f"{y}/{m}/{d} {hh}:{mm:02d}"
    if form == 2:
        return f"{y}年{m}月{d}日 {hh}时{mm}分"
    if form == 3:
        return moment.strftime("%Y%m%d")
    if form == 4:
        return moment.strftime("%Y-%m-%d")
    if form == 5:
        return moment.strftime("%Y-%m-%d %H:%M:%S").translate(FULL_WIDTH)
    if form == 6:
        return rng.choice(PAD) + moment.strftime("%Y-%m-%d %H:%M:%S") + rng.choice(PAD + [""])
    if form == 7:
        return moment.strftime("%Y-%m-%dT%H:%M:%S")
    if form == 8:
        return moment.strftime("%Y-%m-%d %H:%M:%S") + rng.choice(["+08:00", "+09:00", "Z", "+0800", "-05:00"])
    if form == 9:
        return moment.strftime("%Y%m%d %H%M%S")
    if form == 10:
        return moment.strftime("%d.%m.%Y %H:%M")  # only with the map's date_formats
    if form == 11:
        return moment.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
    if form == 12:
        return moment.strftime("%Y-%m-%d %H:%M:%S") + " "  # spaced at its end only
    return rng.choice(BAD_TIMES)


@dataclasses.dataclass
class Shape:
    """What one seed's export and map are like."""

    kind: str  # "column" (built-in words), "values" (the map's), "value" (a constant)
    status: str  # "values", "column" (built-in words), "none" (implied by resolved)
    channel: str  # "values", "column", "none"
    category: str  # "join", "single"
    optional: bool  # reasonable, returns, deadline mapped
    requester: bool  # requester.* mapped
    visit: bool  # visit.* mapped
    header: str  # "plain", "period", "as_of", "lists", "all"
    zone: str  # "same", "source" (source.timezone differs), "ledger" (policy.timezone +09:00)
    date_formats: bool
    id_default: bool  # a blank id takes the map's default
    odd: float  # how often a time is not in the usual form
    bad: float  # how often a cell is spoilt
    rows: int
    line_end: str


def shape_of(rng: random.Random) -> Shape:
    return Shape(kind=rng.choice(["column", "values", "value"]), status=rng.choice(["values", "values", "column", "none"]),
                 channel=rng.choice(["values", "column", "none"]), category=rng.choice(["join", "join", "single"]),
                 optional=rng.random() < 0.7, requester=rng.random() < 0.8, visit=rng.random() < 0.85,
                 header=rng.choice(["plain", "period", "as_of", "lists", "all"]),
                 zone=rng.choice(["same", "same", "same", "source", "ledger"]), date_formats=rng.random() < 0.15,
                 id_default=rng.random() < 0.15, odd=rng.choice([0.0, 0.05, 0.3, 0.8]),
                 bad=rng.choice([0.0, 0.0, 0.02, 0.08, 0.2]), rows=rng.randrange(5, 90),
                 line_end=rng.choice(["\r\n", "\n"]))


def map_text(shape: Shape, header: str | None = None) -> str:
    """The import map of a shape (its ledger header from `header`)."""
    lines = ["import: 1", "ledger:", "  version: 1", "  jurisdiction: 东阿县"]
    which = shape.header if header is None else header
    if which in ("period", "all"):
        lines.append("  period: {start: '2024-03-01', end: '2024-03-31'}")
    if which in ("as_of", "all"):
        lines.append("  as_of: '2024-04-20 18:00'")
    if which in ("lists", "all"):
        lines.append("  units: [{name: 铜城街道}, {name: 新城街道}, {name: 县人社局}, {name: 县市场监管局}]")
        lines.append("  categories: [{name: 城乡建设, subcategories: [物业管理, 施工管理, 供水／供暖]}, {name: 劳动保障},"
                     " {name: 市场监管, subcategories: [食品]}]")
    if shape.zone == "ledger":
        lines.append("  policy: {timezone: '+09:00'}")
    lines.append("source:")
    lines.append("  skip_rows_where: {工单编号: [合计, 总计], 诉求内容: [以下空白]}")
    if shape.zone == "source":
        lines.append("  timezone: '+09:00'")
    if shape.date_formats:
        lines.append("  date_formats: ['%d.%m.%Y %H:%M']")
    lines.append("fields:")
    lines.append("  id: {column: 工单编号, default: 无编号}" if shape.id_default else "  id: 工单编号")
    lines.append("  received: 受理时间")
    lines.append({"column": "  kind: 诉求类型",
                  "values": "  kind: {column: 诉求类型, values: {投诉: complaint, 咨询: consultation, 求助: help}, default: other}",
                  "value": "  kind: {value: complaint}"}[shape.kind])
    if shape.channel != "none":
        lines.append("  channel: {column: 办件来源, values: {电话: hotline, 微信: online}, default: other}"
                     if shape.channel == "values" else "  channel: 办件来源")
    lines.append("  category: {join: [一级分类, 二级分类, 三级分类]}" if shape.category == "join" else "  category: 一级分类")
    lines.append("  unit: 承办单位")
    lines.append("  summary: 诉求内容")
    lines.append("  location: 事发地点")
    if shape.requester:
        lines += ["  requester.name: 诉求人", "  requester.phone: 诉求人电话", "  requester.id_number: 身份证号"]
    lines.append("  dispatched: 派发时间")
    if shape.optional:
        lines += ["  deadline: 办结期限", "  reasonable: 是否合理", "  returns: 退单次数"]
    if shape.status == "values":
        lines.append("  status: {column: 办件状态, values: {已办结: resolved, 办理中: open, 已撤回: withdrawn}}")
    elif shape.status == "column":
        lines.append("  status: 办件状态")
    lines.append("  resolved: 办结时间")
    if shape.visit:
        lines += ["  visit.at: 回访时间",
                  "  visit.satisfaction: {column: 是否满意, values: {满意: satisfied, 基本满意: basically_satisfied, "
                  "不满意: dissatisfied, 未接通: unreachable}}",
                  "  visit.solved: {column: 是否解决, values: {是: true, 否: false}}",
                  "  visit.note: 回访备注"]
    lines.append("  extra.市级编号: 市级编号")
    return "\n".join(lines) + "\n"


def spoil(rng: random.Random, shape: Shape, text: str) -> str:
    """A cell as a clerk may leave it: padded, non-NFC, full-width; sometimes."""
    roll = rng.random()
    if roll < shape.bad / 2:
        return rng.choice(PAD) + text + rng.choice(PAD + [""])
    return text


def case_row(rng: random.Random, shape: Shape, number: int) -> list[str]:
    """One row: a case, mostly clean; each cell spoilt with probability shape.bad."""
    bad = shape.bad
    received = START + dt.timedelta(minutes=rng.randrange(0, 31 * 24 * 60))
    if rng.random() < bad:
        received += dt.timedelta(days=rng.choice([-40, -3, 3, 40, 400]))
    status = rng.choice(["resolved", "resolved", "resolved", "open", "withdrawn"])
    row = dict.fromkeys(COLUMNS, "")
    row["工单编号"] = f"DZ{number:04d}"
    if rng.random() < bad:
        row["工单编号"] = rng.choice(["", " ", f" DZ{number:04d} ", f"ＤＺ{number:04d}", f"DZe\u0301{number}",
                                      f"DZ\x00{number}"[:0] + f"dz{number:04d}", "\u3000"])
    row["受理时间"] = time_cell(rng, received, shape.odd)
    if shape.date_formats and rng.random() < 0.3:
        row["受理时间"] = received.strftime("%d.%m.%Y %H:%M")
    row["诉求类型"] = rng.choice(["投诉", "咨询", "求助", "complaint", "consultation"] + (["建议", "乱写", ""] if rng.random() < bad else []))
    row["办件来源"] = rng.choice(["电话", "微信", "电话", "网站", "hotline"] + (["", "乱写", " 微信 "] if rng.random() < bad else []))
    major = rng.choice(MAJORS[:3]) if rng.random() >= bad else rng.choice(MAJORS + [""])
    row["一级分类"] = spoil(rng, shape, major)
    row["二级分类"] = rng.choice(MINORS)
    row["三级分类"] = rng.choice(THIRDS) if row["二级分类"] else ""
    if shape.category == "single" and rng.random() < 0.3:
        row["一级分类"] = rng.choice(["城乡建设/物业管理", "a/b/c/d", "劳动保障/欠薪/拖欠", "/城乡建设"])
    row["诉求内容"] = rng.choice(TEXTS)
    row["事发地点"] = rng.choice(["", "阿胶街 8 号", "府前社区"])
    row["承办单位"] = spoil(rng, shape, rng.choice(UNITS[:4]) if rng.random() >= bad else rng.choice(UNITS + [""]))
    if rng.random() < 0.7:
        row["诉求人"] = rng.choice(NAMES) if rng.random() < 0.6 else ""
        row["诉求人电话"] = rng.choice(PHONES[:3]) if rng.random() >= bad * 3 else rng.choice(PHONES)
        if rng.random() < 0.3:
            row["诉求人电话"] = ""
            row["身份证号"] = rng.choice(ID_NUMBERS)
    if rng.random() < 0.6:
        dispatched = received + dt.timedelta(minutes=rng.randrange(1, 600))
        if rng.random() < bad:
            dispatched = received - dt.timedelta(minutes=rng.randrange(1, 600))
        row["派发时间"] = time_cell(rng, dispatched, shape.odd)
    if rng.random() < 0.3:
        deadline = received + dt.timedelta(days=rng.randrange(0, 20))
        row["办结期限"] = rng.choice([deadline.strftime("%Y-%m-%d"), deadline.strftime("%Y-%m-%d %H:%M:%S"),
                                    time_cell(rng, deadline, shape.odd)])
    row["是否合理"] = rng.choice(["", "", "", "是", "否", "true", "1", "0"] + (["不知道"] if rng.random() < bad else []))
    row["退单次数"] = rng.choice(["", "", "0", "1", "2", "3"] + (["-1", "1.0", "x", "１", "2.5"] if rng.random() < bad else []))
    resolved = received + dt.timedelta(minutes=rng.randrange(10, 20 * 24 * 60))
    words = {"resolved": "已办结", "open": "办理中", "withdrawn": "已撤回"}
    if shape.status == "column":
        words = {"resolved": rng.choice(["已办结", "resolved", "办结"]), "open": rng.choice(["办理中", "open", "待回访"]),
                 "withdrawn": rng.choice(["已撤回", "withdrawn", "作废"])}
    row["办件状态"] = words[status]
    if rng.random() < bad:
        row["办件状态"] = rng.choice(["待审核", "", " 已办结 ", "已办结\u3000", "OPEN"])
    if status == "resolved" or rng.random() < bad:
        if rng.random() < bad:
            resolved = received - dt.timedelta(minutes=rng.randrange(1, 3000))
        row["办结时间"] = time_cell(rng, resolved, shape.odd)
    if status == "resolved" and rng.random() < bad:
        row["办结时间"] = ""
    visited = (status == "resolved" and rng.random() < 0.6) or rng.random() < bad
    if visited:
        visit = resolved + dt.timedelta(minutes=rng.choice([5, 30, 200, 3000]))
        if rng.random() < bad:
            visit = received - dt.timedelta(minutes=5)
        row["回访时间"] = time_cell(rng, visit, shape.odd) if rng.random() >= bad else ""
        row["是否满意"] = rng.choice(["满意", "满意", "基本满意", "不满意", "未接通"]) if rng.random() >= bad else \
            rng.choice(["", "一般", " 满意 "])
        row["是否解决"] = rng.choice(["是", "否", "", ""] + (["未知"] if rng.random() < bad else []))
        row["回访备注"] = rng.choice(["", "", "群众表示已修好", "电话13812345678回访"])
    elif rng.random() < bad:
        row[rng.choice(["是否满意", "是否解决", "回访备注"])] = rng.choice(["满意", "是", "备注"])
    row["市级编号"] = rng.choice(["", f"S{number:03d}", "=1+1"])
    return [row[c] for c in COLUMNS]


def export_rows(rng: random.Random, shape: Shape) -> list[list[str]]:
    """The data rows: cases, with blank rows, skipped rows and duplicates among them."""
    rows: list[list[str]] = []
    number = 0
    width = len(COLUMNS)
    while len(rows) < shape.rows:
        roll = rng.random()
        if roll < 0.04:
            rows.append([""] * width)  # a row of only commas
        elif roll < 0.06:
            rows.append([rng.choice(PAD) for _ in range(width)])  # a row of white space
        elif roll < 0.08:
            rows.append([rng.choice(["合计", " 合计 ", "总计", "合计\u3000"])] + [str(len(rows))] + [""] * (width - 2))
        elif roll < 0.09:
            rows.append(["", "", "", "", "", "", "", "以下空白"] + [""] * (width - 8))
        elif roll < 0.13 and rows:
            rows.append(list(rng.choice(rows)))  # the same row again
        elif roll < 0.16 and rows:
            other = case_row(rng, shape, number)  # an id again, another case (or the same, by chance)
            other[0] = rng.choice(rows)[0]
            rows.append(other)
        elif roll < 0.18 and rows:
            again = list(rng.choice(rows))  # the same row, spaced differently
            again[0] = " " + again[0] + "\t"
            rows.append(again)
        else:
            number += 1
            rows.append(case_row(rng, shape, number))
    return rows


def csv_bytes(rows: list[list[str]], line_end: str = "\r\n", header: list[str] | None = None,
              title: bool = False, encoding: str = "utf-8", delimiter: str = ",") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=line_end, delimiter=delimiter)
    if title:
        writer.writerow(["东阿县12345热线工单明细（2024年3月）"] + [""] * (len(COLUMNS) - 1))
        writer.writerow(["导出时间：2024-04-01 09:00"] + [""] * (len(COLUMNS) - 1))
    writer.writerow(header or COLUMNS)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def random_export(tmp_path: Path, seed: int, header: str | None = None) -> tuple[str, str, Shape]:
    """Seed `seed`'s export and map, written into tmp_path."""
    rng = random.Random(seed)
    shape = shape_of(rng)
    rows = export_rows(rng, shape)
    export = tmp_path / f"export-{seed}.csv"
    export.write_bytes(csv_bytes(rows, shape.line_end, title=rng.random() < 0.3,
                                 encoding=rng.choice(["utf-8", "utf-8", "utf-8-sig"])))
    mapfile = tmp_path / f"map-{seed}.yaml"
    mapfile.write_text(map_text(shape, header), encoding="utf-8")
    return str(export), str(mapfile), shape


def check_seed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int, header: str | None = None,
               extra: tuple[str, ...] = ()) -> list[Outcome]:
    """A seed's export through the full counted state (a partial), the JSON summary and the report, with
    --rejects and without; the column path taken unless a case had a warning (which the runs with
    --rejects say: without it, a rejected row ends the run before any case is checked)."""
    export, mapfile, _shape = random_export(tmp_path, seed, header)
    outcomes = []
    warned = False
    for rejects in (True, False):
        given = ("--rejects", f"{OUT}/rejects.csv") if rejects else ()
        for command in (("summary", "--format", "partial"), ("summary", "--format", "json"),
                        ("report", "-o", f"{OUT}/report.md")):
            outcome = both_ways(tmp_path, monkeypatch, command[0], export, "--map", mapfile, *given, *command[1:],
                                *extra)
            warned = warned or has_warnings(outcome)
            if not warned:
                assert outcome.column_path, f"seed {seed}: {' '.join(command)}: the column path stepped aside " \
                                            f"with no warning to say why\n{outcome.stderr[-2000:]}"
            outcomes.append(outcome)
    return outcomes


@pytest.mark.parametrize("seed", range(24))
def test_random_export(tmp_path, monkeypatch, seed):
    check_seed(tmp_path, monkeypatch, seed)


@pytest.mark.parametrize("seed", range(100, 108))
@pytest.mark.parametrize("header", ["lists", "all"])
def test_random_export_with_a_ledger_header(tmp_path, monkeypatch, seed, header):
    """The map's ledger gives units and categories lists (and a period and an as_of: 'all')."""
    check_seed(tmp_path, monkeypatch, seed, header)


@pytest.mark.parametrize("seed", range(200, 206))
@pytest.mark.parametrize("as_of", ["2024-03-10 12:00", "2024-04-30"])
def test_random_export_as_of(tmp_path, monkeypatch, seed, as_of):
    check_seed(tmp_path, monkeypatch, seed, extra=("--as-of", as_of))
