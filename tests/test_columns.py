"""The column path (section "Counting by column" of grassroots_report.py) held to the per-row path.

`summary`, `report` and `run EXPORT --map MAP` count a CSV or TSV export's clean rows by column
(import_by_columns, _ColumnImport, count_columns); grassroots_report.COLUMN_PATH = False sends every
export the per-row way, which is the reference.  Every test here runs the command both ways
(both_ways) and asserts the same exit code, standard output, standard error and files written,
byte for byte; the tests meant to exercise the column path also assert it was taken, so that a
test cannot pass by the column path silently stepping aside.

    the example export     examples/hotline-export-2024-03.csv in every format, grouping, as-of
    random exports         seeded exports mixing every kind of cell a platform writes, and bad ones
                           (random.Random(seed); with a ledger header's lists, period, as_of; --as-of;
                           --period), and maps of other forms (constants, defaults, built-in words)
    targeted               the cells each bug found here hinged on (impossible times in the usual form,
                           one unit written two ways, returns past int64, a cell past the limit)
    hostile CSVs           quoting, line endings, encodings, NUL, ragged rows, controls, a 2 MB cell
    several files          two exports, two exports sharing an id, an export and a YAML ledger
    --period               the windows and the cases carried over
    a bigger export        more than one of the CSV reader's blocks

KNOWN (below) lists the random seeds a known bug miscounts (xfail, strict, while it stands).
"""
from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import difflib
import io
import json
import os
import random
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, run_cli

import grassroots_report

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
    policy: str  # "", or the map's policy (besides its time zone)


def shape_of(rng: random.Random) -> Shape:
    return Shape(kind=rng.choice(["column", "values", "value"]), status=rng.choice(["values", "values", "column", "none"]),
                 channel=rng.choice(["values", "column", "none"]), category=rng.choice(["join", "join", "single"]),
                 optional=rng.random() < 0.7, requester=rng.random() < 0.8, visit=rng.random() < 0.85,
                 header=rng.choice(["plain", "period", "as_of", "lists", "all"]),
                 zone=rng.choice(["same", "same", "same", "source", "ledger"]), date_formats=rng.random() < 0.15,
                 id_default=rng.random() < 0.15, odd=rng.choice([0.0, 0.05, 0.3, 0.8]),
                 bad=rng.choice([0.0, 0.0, 0.02, 0.08, 0.2]), rows=rng.randrange(5, 70),
                 line_end=rng.choice(["\r\n", "\n"]),
                 policy=rng.choice(["", "", "calendar: workdays_cn, month_start_day: 19",
                                    ("calendar: workdays, holidays: ['2024-03-08'], dispatch_hours: 0.5, "
                                    "min_visit_minutes: 60, resolve_days: {default: 2, complaint: 1}")]))


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
    policy = ["timezone: '+09:00'"] if shape.zone == "ledger" else []
    if shape.policy:
        policy.append(shape.policy)
    if policy:
        lines.append("  policy: {" + ", ".join(policy) + "}")
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
                  ("  visit.satisfaction: {column: 是否满意, values: {满意: satisfied, 基本满意: basically_satisfied, "
                  "不满意: dissatisfied, 未接通: unreachable}}"),
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
        visit = resolved + dt.timedelta(minutes=rng.choice([5, 30, 200, 3000, -30]))
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


def random_export(tmp_path: Path, seed: int, header: str | None = None, variant: tuple[str, str] | None = None,
                  **overrides: Any) -> tuple[str, str, Shape]:
    """Seed `seed`'s export and map, written into tmp_path (`overrides`: of its Shape; `variant`: (text, new
    text) of its map)."""
    rng = random.Random(seed)
    shape = dataclasses.replace(shape_of(rng), **overrides)
    rows = export_rows(rng, shape)
    export = tmp_path / f"export-{seed}.csv"
    export.write_bytes(csv_bytes(rows, shape.line_end, title=rng.random() < 0.3,
                                 encoding=rng.choice(["utf-8", "utf-8", "utf-8-sig"])))
    mapfile = tmp_path / f"map-{seed}.yaml"
    text = map_text(shape, header)
    if variant is not None:
        assert variant[0] in text, variant
        text = text.replace(*variant)
    mapfile.write_text(text, encoding="utf-8")
    return str(export), str(mapfile), shape


ALL_COMMANDS = (("summary", "--format", "partial"), ("summary", "--format", "json"), ("report", "-o", f"{OUT}/report.md"))


def check_seed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int, header: str | None = None,
               extra: tuple[str, ...] = (), commands: tuple[tuple[str, ...], ...] = ALL_COMMANDS,
               without_rejects: bool = True) -> list[Outcome]:
    """A seed's export through the full counted state (a partial), the JSON summary and the report, with
    --rejects and without; the column path taken unless a case had a warning (which the runs with
    --rejects say: without it, a rejected row ends the run before any case is checked)."""
    export, mapfile, _shape = random_export(tmp_path, seed, header)
    outcomes = []
    warned = False
    for rejects in (True, False) if without_rejects else (True,):
        given = ("--rejects", f"{OUT}/rejects.csv") if rejects else ()
        for command in commands:
            outcome = both_ways(tmp_path, monkeypatch, command[0], export, "--map", mapfile, *given, *command[1:],
                                *extra)
            warned = warned or has_warnings(outcome)
            if not warned:
                assert outcome.column_path, f"seed {seed}: {' '.join(command)}: the column path stepped aside " \
                                            f"with no warning to say why\n{outcome.stderr[-2000:]}"
            outcomes.append(outcome)
    return outcomes


# Seeds whose export holds a cell a known bug miscounts: (kind, seed) -> reason, xfail(strict) while it stands.
# Empty at f37f7d0.  Until then: ("plain", 17) and ("period partial", 320), (323) held an impossible time in the usual
# form (2024-02-30 10:00:00); ("lists", 102) a unit written two ways; ("period partial", 320..326) cases carried over
# into the period, of a category no case of the period has.
KNOWN: dict[tuple[str, int], str] = {}


def seeds(kind: str, numbers: range | list[int]) -> list[Any]:
    return [pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=KNOWN[kind, n])) if (kind, n) in KNOWN
            else n for n in numbers]


@pytest.mark.parametrize("seed", seeds("plain", range(16)))
def test_random_export(tmp_path, monkeypatch, seed):
    check_seed(tmp_path, monkeypatch, seed)


@pytest.mark.parametrize("seed", seeds("lists", range(100, 106)))
def test_random_export_with_lists(tmp_path, monkeypatch, seed):
    """The map's ledger gives units and categories lists."""
    check_seed(tmp_path, monkeypatch, seed, "lists")


@pytest.mark.parametrize("seed", seeds("all", range(110, 116)))
def test_random_export_with_a_full_ledger_header(tmp_path, monkeypatch, seed):
    """The map's ledger gives units and categories lists, a period and an as_of."""
    check_seed(tmp_path, monkeypatch, seed, "all")


@pytest.mark.parametrize("seed", seeds("as_of", range(200, 206)))
def test_random_export_as_of(tmp_path, monkeypatch, seed):
    check_seed(tmp_path, monkeypatch, seed, extra=("--as-of", ["2024-03-10 12:00", "2024-04-30"][seed % 2]))


PERIODS = ["2024-03", "2024-03-05..2024-03-20", "2024-W11", "2024-Q1"]


@pytest.mark.parametrize("seed", seeds("period", range(300, 312)))
def test_random_export_period(tmp_path, monkeypatch, seed):
    """--period: the windows (the period, 环比, 同比) and the cases carried over; the partial apart (below)."""
    check_seed(tmp_path, monkeypatch, seed, ["plain", "all"][seed % 2], extra=("--period", PERIODS[seed % 4]),
               commands=(("summary", "--format", "json"), ("summary", "--by", "category"),
                         ("report", "-o", f"{OUT}/report.md")), without_rejects=False)


@pytest.mark.parametrize("seed", seeds("period partial", range(320, 328)))
def test_random_export_period_partial(tmp_path, monkeypatch, seed):
    check_seed(tmp_path, monkeypatch, seed, extra=("--period", PERIODS[seed % 4]),
               commands=(("summary", "--format", "partial"),), without_rejects=False)


# Maps of other forms: a field from a constant, a default, built-in words, a column read twice, more rows skipped
FULL = {"kind": "column", "status": "values", "channel": "column", "category": "join", "optional": True,
        "requester": True, "visit": True}
MAP_VARIANTS = {
    "id default": ("  id: 工单编号", "  id: {column: 工单编号, default: 'X-1'}"),
    "received value": ("  received: 受理时间", "  received: {value: '2024-03-05 09:00'}"),
    "unit value": ("  unit: 承办单位", "  unit: {value: 铜城街道}"),
    "category value": ("  category: {join: [一级分类, 二级分类, 三级分类]}", "  category: {value: 城乡建设/物业管理}"),
    "unit default": ("  unit: 承办单位", "  unit: {column: 承办单位, default: 县人社局}"),
    "category default": ("  category: {join: [一级分类, 二级分类, 三级分类]}", "  category: {column: 一级分类, default: 其他}"),
    "status default": ("已撤回: withdrawn}}", "已撤回: withdrawn}, default: open}"),
    "kind default": ("  kind: 诉求类型", "  kind: {column: 诉求类型, default: other}"),
    "satisfaction in built-in words": (("  visit.satisfaction: {column: 是否满意, values: {满意: satisfied, 基本满意: "
                                       "basically_satisfied, 不满意: dissatisfied, 未接通: unreachable}}"),
                                       "  visit.satisfaction: 是否满意"),
    "solved in built-in words": ("  visit.solved: {column: 是否解决, values: {是: true, 否: false}}", "  visit.solved: 是否解决"),
    "solved default": ("  visit.solved: {column: 是否解决, values: {是: true, 否: false}}",
                       "  visit.solved: {column: 是否解决, values: {是: true, 否: false}, default: false}"),
    "reasonable values": ("  reasonable: 是否合理", ("  reasonable: {column: 是否合理, values: {是: true, 否: false, 不知道: true}, "
                                                  "default: true}")),
    "phone default": ("  requester.phone: 诉求人电话", "  requester.phone: {column: 诉求人电话, default: '10086'}"),
    "name default": ("  requester.name: 诉求人", "  requester.name: {column: 诉求人, default: 匿名}"),
    "a column read twice": ("  location: 事发地点", "  location: 承办单位\n  extra.单位: 承办单位"),
    "deadline from resolved": ("  deadline: 办结期限", "  deadline: 办结时间"),
    "dispatched from received": ("  dispatched: 派发时间", "  dispatched: 受理时间"),
    "visit at from resolved": ("  visit.at: 回访时间", "  visit.at: 办结时间"),
    "skip blank cells": ("  skip_rows_where: {工单编号: [合计, 总计], 诉求内容: [以下空白]}",
                         "  skip_rows_where: {工单编号: [合计, 总计, ''], 承办单位: ['', 县人社局]}"),
    "skip a status": ("  skip_rows_where: {工单编号: [合计, 总计], 诉求内容: [以下空白]}",
                      "  skip_rows_where: {办件状态: [已撤回, 待审核]}"),
    "returns value": ("  returns: 退单次数", "  returns: {value: 2}"),
    "reasonable value": ("  reasonable: 是否合理", "  reasonable: {value: false}"),
    "channel value": ("  channel: 办件来源", "  channel: {value: grid}"),
    "id from the phone": ("  id: 工单编号", "  id: 诉求人电话"),
}
KNOWN_VARIANTS: dict[str, str] = {}


@pytest.mark.parametrize("variant", [pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=KNOWN_VARIANTS[name]))
                                     if name in KNOWN_VARIANTS else name for name in MAP_VARIANTS])
def test_map_variants(tmp_path, monkeypatch, variant):
    export, mapfile, _shape = random_export(tmp_path, 2, "plain", MAP_VARIANTS[variant], **FULL, bad=0.08, rows=30)
    for command in (("--format", "partial"), ("--format", "json")):
        both_ways(tmp_path, monkeypatch, "summary", export, "--map", mapfile, "--rejects", f"{OUT}/rejects.csv",
                  *command)


# == Targeted: what the column path must refuse or keep in order =================================
SMALL_MAP = """\
import: 1
ledger: {version: 1, jurisdiction: 东阿县}
fields:
  id: 编号
  received: 受理时间
  kind: {value: complaint}
  category: 分类
  unit: 单位
  summary: 内容
  resolved: 办结时间
  returns: 退单
"""
SMALL_HEADER = "编号,受理时间,分类,单位,内容,办结时间,退单"


def small_export(tmp_path: Path, rows: list[str], name: str = "small.csv", map_text_: str = SMALL_MAP,
                 header: str = SMALL_HEADER) -> tuple[str, str]:
    export = tmp_path / name
    export.write_bytes((header + "\n" + "\n".join(rows) + "\n").encode("utf-8"))
    mapfile = tmp_path / "small.map.yaml"
    mapfile.write_text(map_text_, encoding="utf-8")
    return str(export), str(mapfile)


def both_ways_twice(tmp_path, monkeypatch, export: str, mapfile: str, *extra: str) -> list[Outcome]:
    """An export through the partial (with --rejects) and the JSON summary (without)."""
    return [both_ways(tmp_path, monkeypatch, "summary", export, "--map", mapfile, "--rejects", f"{OUT}/rejects.csv",
                      "--format", "partial", *extra),
            both_ways(tmp_path, monkeypatch, "summary", export, "--map", mapfile, "--format", "json", *extra)]


def both_ways_everywhere(tmp_path, monkeypatch, export: str, mapfile: str, *extra: str) -> list[Outcome]:
    """An export through the partial (with --rejects), the JSON summary (without) and the report."""
    return [both_ways(tmp_path, monkeypatch, "summary", export, "--map", mapfile, "--rejects", f"{OUT}/rejects.csv",
                      "--format", "partial", *extra),
            both_ways(tmp_path, monkeypatch, "summary", export, "--map", mapfile, "--format", "json", *extra),
            both_ways(tmp_path, monkeypatch, "report", export, "--map", mapfile, "--rejects", f"{OUT}/rejects.csv",
                      "-o", f"{OUT}/report.md", *extra)]


CLEAN_ROWS = ["A1,2024-03-01 09:00:00,城乡建设,县人社局,路灯,2024-03-02 09:00:00,0",
              "A2,2024-03-01 10:00:00,城乡建设,新城街道,停水,2024-03-03 09:00:00,1",
              "A3,2024-03-01 11:00:00,劳动保障,县人社局,欠薪,,"]


def test_small_clean_export_takes_the_column_path(tmp_path, monkeypatch):
    export, mapfile = small_export(tmp_path, CLEAN_ROWS)
    for outcome in both_ways_everywhere(tmp_path, monkeypatch, export, mapfile):
        assert outcome.exit_code == 0 and outcome.column_path


def test_an_export_past_the_column_path_s_size_goes_by_row(tmp_path, monkeypatch):
    # the column path holds its columns in memory: an export bigger than COLUMN_MAX_BYTES is read by row
    export, mapfile = small_export(tmp_path, CLEAN_ROWS)
    monkeypatch.setattr(grassroots_report, "COLUMN_MAX_BYTES", Path(export).stat().st_size - 1)
    for outcome in both_ways_everywhere(tmp_path, monkeypatch, export, mapfile):
        assert outcome.exit_code == 0 and not outcome.column_path


@pytest.mark.parametrize("cell", ["2024-02-30 10:00:00", "2023-02-29 10:00:00", "2024-04-31 08:00:00",
                                  "2024-06-31 00:00:00", "2024-03-05 23:59:60", "2024-03-05 23:59:61"])
def test_impossible_time_in_the_usual_form(tmp_path, monkeypatch, cell):
    export, mapfile = small_export(tmp_path, [*CLEAN_ROWS, f"A4,{cell},城乡建设,县人社局,x,,",
                                              f"A5,2024-03-01 09:00:00,城乡建设,县人社局,x,{cell},"])
    both_ways_everywhere(tmp_path, monkeypatch, export, mapfile)


@pytest.mark.parametrize("cell", ["2024-02-29 10:00:00", "2024-03-05 25:00:00", "2024-03-05 23:60:00",
                                  "2024-13-01 00:00:00", "2024-00-10 00:00:00", "2024-03-00 00:00:00",
                                  "0000-01-01 00:00:00", "1850-01-01 00:00:00", "1899-12-31 23:59:59",
                                  "1900-01-01 00:00:00", "2199-12-31 23:59:59", "2200-01-01 00:00:00",
                                  "9999-12-31 23:59:59", "２０２４-03-05 09:30:00", "2024-03-05 09:30:00\u3000",
                                  "2024-03-05  09:30:00", "2024-03-05\t09:30:00", "2024-03-05 9:30:00",
                                  "2024-03-05 09:30:00Z", "2024-03-05 09:30:00+08:00"])
def test_time_cells_near_the_usual_form(tmp_path, monkeypatch, cell):
    export, mapfile = small_export(tmp_path, [*CLEAN_ROWS, f"A4,{cell},城乡建设,县人社局,x,,",
                                              f"A5,1900-01-01 00:00:00,城乡建设,县人社局,x,{cell},"])
    both_ways_twice(tmp_path, monkeypatch, export, mapfile)


def test_one_unit_written_two_ways_keeps_the_closures_in_order(tmp_path, monkeypatch):
    export, mapfile = small_export(tmp_path, ["A1,2024-03-01 09:00:00,城乡建设,县人社局,x,2024-03-02 09:00:00,",
                                              "A2,2024-03-01 10:00:00,城乡建设, 县人社局,x,2024-03-03 09:00:00,",
                                              "A3,2024-03-01 11:00:00,城乡建设,县人社局,x,2024-03-04 09:00:00,"])
    outcome = both_ways(tmp_path, monkeypatch, "summary", export, "--map", mapfile, "--format", "partial")
    assert outcome.column_path


def test_one_unit_by_default_and_by_name_keeps_the_closures_in_order(tmp_path, monkeypatch):
    mapped = SMALL_MAP.replace("  unit: 单位", "  unit: {column: 单位, default: 县人社局}")
    export, mapfile = small_export(tmp_path, ["A1,2024-03-01 09:00:00,城乡建设,县人社局,x,2024-03-02 09:00:00,",
                                              "A2,2024-03-01 10:00:00,城乡建设,,x,2024-03-03 09:00:00,",
                                              "A3,2024-03-01 11:00:00,城乡建设,县人社局,x,2024-03-04 09:00:00,"],
                                   map_text_=mapped)
    both_ways(tmp_path, monkeypatch, "summary", export, "--map", mapfile, "--format", "partial")


@pytest.mark.parametrize("unit", ["Cafe\u0301", "县人社局\u3000", "\t县人社局"])
def test_one_unit_written_two_ways_without_resolved_cases(tmp_path, monkeypatch, unit):
    """The same, every case open: nothing kept in row order per unit, so the same partial."""
    export, mapfile = small_export(tmp_path, ["A1,2024-03-01 09:00:00,城乡建设,县人社局,x,,",
                                              f"A2,2024-03-01 10:00:00,城乡建设,{unit},x,,",
                                              "A3,2024-03-01 11:00:00,城乡建设,Café,x,,"])
    for outcome in both_ways_everywhere(tmp_path, monkeypatch, export, mapfile):
        assert outcome.column_path


@pytest.mark.parametrize("returns", ["99999999999999999999", "9223372036854775807"])
def test_returns_past_int64(tmp_path, monkeypatch, returns):
    export, mapfile = small_export(tmp_path, [*CLEAN_ROWS, f"A4,2024-03-01 09:00:00,城乡建设,县人社局,x,,{returns}"])
    both_ways_everywhere(tmp_path, monkeypatch, export, mapfile)


@pytest.mark.parametrize("returns", ["-1", "+1", "1.0", "1.5", "１", "x", "2147483648", "9007199254740993", "0.000"])
def test_returns_cells(tmp_path, monkeypatch, returns):
    export, mapfile = small_export(tmp_path, [*CLEAN_ROWS, f"A4,2024-03-01 09:00:00,城乡建设,县人社局,x,,{returns}"])
    both_ways_twice(tmp_path, monkeypatch, export, mapfile)


def test_a_cell_past_the_limit_in_a_column_not_read(tmp_path, monkeypatch):
    long = "x" * (grassroots_report.MAX_CELL_CHARS + 10)
    export, mapfile = small_export(tmp_path, [*CLEAN_ROWS, f"A4,2024-03-01 09:00:00,城乡建设,县人社局,{long},,"])
    outcome = both_ways(tmp_path, monkeypatch, "summary", export, "--map", mapfile, "--format", "json")
    assert outcome.exit_code == 1


@pytest.mark.parametrize("size", [2 << 20, grassroots_report.MAX_CELL_CHARS - 100])
@pytest.mark.parametrize("column", ["内容", "单位"])
def test_a_long_cell(tmp_path, monkeypatch, size, column):
    long = "反映" * (size // 2) if size > (1 << 20) else "x" * size
    cells = {"内容": "x", "单位": "县人社局"}
    cells[column] = long
    export, mapfile = small_export(tmp_path, [*CLEAN_ROWS,
                                              f"A4,2024-03-01 09:00:00,城乡建设,{cells['单位']},{cells['内容']},,"])
    both_ways(tmp_path, monkeypatch, "summary", export, "--map", mapfile, "--rejects", f"{OUT}/rejects.csv",
              "--format", "partial")
    both_ways(tmp_path, monkeypatch, "summary", export, "--map", mapfile, "--format", "json")


# == Hostile CSVs ==================================================================================
# Each gives the same bytes both ways; taking the column path or stepping aside are both fine here.
def example_text() -> str:
    return EXAMPLE.read_text(encoding="utf-8-sig")


def clean_example_text() -> str:
    """The example's header and its clean rows only (no title rows): an export the column path takes whole."""
    lines = example_text().splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("工单编号"))
    return "\n".join([lines[header], *[line for line in lines[header + 1:] if line.startswith(("DZ001,", "DZ002,", "DZ003,", "DZ004,", "  DZ005"))][:5]]) + "\n"


def write_export(tmp_path: Path, data: bytes, name: str = "hostile.csv", map_text_: str | None = None) -> tuple[str, str]:
    export = tmp_path / name
    export.write_bytes(data)
    mapfile = tmp_path / "hostile.map.yaml"
    mapfile.write_text(map_text_ or EXAMPLE_MAP.read_text(encoding="utf-8"), encoding="utf-8")
    return str(export), str(mapfile)


def with_source(map_text_: str, line: str) -> str:
    """The example map with one more `source:` setting."""
    return map_text_.replace("source:", "source:\n  " + line, 1)


def row_of(cells: dict[str, str]) -> str:
    """An example export row: DZ100, clean, with these cells changed (as CSV, quoted where needed)."""
    base = {"工单编号": "DZ100", "受理时间": "2024-03-10 09:00:00", "办件来源": "电话", "诉求人电话": "13812345678",
            "一级分类": "城乡建设", "二级分类": "物业管理", "三级分类": "", "诉求内容": "电梯停运", "承办单位": "铜城街道",
            "派发时间": "", "办件状态": "办理中", "办结时间": "", "回访时间": "", "是否满意": "", "是否解决": "",
            "市级编号": ""}
    base.update(cells)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow([base[c] for c in base])
    return buffer.getvalue()


def hostile_check(tmp_path, monkeypatch, export: str, mapfile: str, report: bool = True) -> list[Outcome]:
    outcomes = [both_ways(tmp_path, monkeypatch, "summary", export, "--map", mapfile, "--rejects",
                          f"{OUT}/rejects.csv", "--format", "partial"),
                both_ways(tmp_path, monkeypatch, "summary", export, "--map", mapfile, "--format", "json")]
    if report:
        outcomes.append(both_ways(tmp_path, monkeypatch, "report", export, "--map", mapfile, "--rejects",
                                  f"{OUT}/rejects.csv", "-o", f"{OUT}/report.md"))
    assert all("Traceback" not in o.stderr for o in outcomes)
    return outcomes


HOSTILE_ROWS = {
    "quoted newline in a summary": row_of({"诉求内容": "第一行\n第二行\r\n第三行"}),
    "quoted newline in a unit": row_of({"承办单位": "铜城\n街道"}),
    "quoted newline in an id": row_of({"工单编号": "DZ\n100"}),
    "quotes in cells": row_of({"诉求内容": 'say "hi", "ok"', "承办单位": '"铜城街道"', "工单编号": 'DZ"100'}),
    "a quote inside an unquoted cell": 'DZ100,2024-03-10 09:00:00,电话,,城乡建设,,,a"b,铜城街道,,办理中,,,,,\n',
    "text after a closing quote": 'DZ100,2024-03-10 09:00:00,电话,,城乡建设,,,"a"b,"铜城"街道,,办理中,,,,,\n',
    "a lone CR in an unquoted cell": "DZ100,2024-03-10 09:00:00,电话,,城乡建设,,,a\rb,铜城街道,,办理中,,,,,\n",
    "terminal escapes": row_of({"承办单位": "\x1b[31m铜城街道\x1b[0m", "工单编号": "DZ\x1b]0;x\x07100",
                                "一级分类": "\x1b[2J城乡建设", "诉求内容": "\x1b[1m粗\x1b[0m"}),
    "bidi controls": row_of({"承办单位": "\u202e道街城铜", "工单编号": "DZ\u2066100\u2069", "一级分类": "城乡\u200f建设",
                             "诉求人电话": "\u202d13812345678"}),
    "line and paragraph separators": row_of({"承办单位": "铜城\u2028街道", "诉求内容": "a\u2029b\x85c",
                                             "一级分类": "城乡建设\x1c"}),
    "a C1 control and a NEL-only cell": row_of({"二级分类": "\x85", "三级分类": "\x9b31m", "市级编号": "\x85"}),
    "a formula": row_of({"承办单位": "=HYPERLINK(\"http://x\",\"y\")", "工单编号": "+DZ100", "诉求内容": "@SUM(1)"}),
    "too few cells": "DZ100,2024-03-10 09:00:00,电话,,城乡建设\n",
    "too many cells": row_of({}).rstrip("\n") + ",extra,cells\n",
    "an empty line": "\n",
    "empty lines": "\n\n\n",
    "a line of spaces": "   \n",
    "the header again": ",".join(HEADER_COLUMNS := ["工单编号", "受理时间", "办件来源", "诉求人电话", "一级分类", "二级分类",
                                                      "三级分类", "诉求内容", "承办单位", "派发时间", "办件状态", "办结时间",
                                                      "回访时间", "是否满意", "是否解决", "市级编号"]) + "\n",
    "a row of only commas": "," * 15 + "\n",
    "a row of quoted empties": ",".join(['""'] * 16) + "\n",
    "a skipped row spaced": row_of({"工单编号": " 合计\u3000"}),
    "an id only": "DZ100" + "," * 15 + "\n",
    "the same row twice": row_of({}) + row_of({}),
    "the same id, spaced": row_of({}) + row_of({"工单编号": "\tDZ100 "}),
    "the same id, another case": row_of({}) + row_of({"承办单位": "新城街道"}),
    "the same id, non-NFC": row_of({"工单编号": "DZe\u0301"}) + row_of({"工单编号": "DZé"}),
    "a non-NFC unit": row_of({"承办单位": "Cafe\u0301"}) + row_of({"工单编号": "DZ101", "承办单位": "Café"}),
    "full-width digits": row_of({"受理时间": "２０２４－０３－１０　０９：００", "诉求人电话": "１３８１２３４５６７８"}),
}


REPORTED = ("quoted newline in a summary", "quoted newline in a unit", "terminal escapes", "bidi controls",
            "line and paragraph separators", "a formula", "the same id, another case", "a non-NFC unit")


@pytest.mark.parametrize("name", list(HOSTILE_ROWS))
def test_hostile_rows(tmp_path, monkeypatch, name):
    text = clean_example_text() + HOSTILE_ROWS[name]
    export, mapfile = write_export(tmp_path, text.encode("utf-8"))
    hostile_check(tmp_path, monkeypatch, export, mapfile, report=name in REPORTED)


@pytest.mark.parametrize("name", ["terminal escapes", "quoted newline in a summary", "the same id, another case",
                                  "empty lines", "too few cells"])
def test_hostile_rows_in_the_example(tmp_path, monkeypatch, name):
    """The same inside the example export (title rows, rejects, a blank row, a 合计 row)."""
    text = example_text()
    at = text.index("DZ006")
    export, mapfile = write_export(tmp_path, (text[:at] + HOSTILE_ROWS[name] + text[at:]).encode("utf-8"))
    hostile_check(tmp_path, monkeypatch, export, mapfile)


@pytest.mark.parametrize("ending", ["\r\n", "\r", "\n"])
@pytest.mark.parametrize("whole", [True, False])
def test_line_endings(tmp_path, monkeypatch, ending, whole):
    text = (example_text() if whole else clean_example_text()).replace("\r\n", "\n").replace("\n", ending)
    export, mapfile = write_export(tmp_path, text.encode("utf-8"))
    hostile_check(tmp_path, monkeypatch, export, mapfile)


def test_mixed_line_endings_and_no_final_break(tmp_path, monkeypatch):
    lines = clean_example_text().splitlines()
    text = lines[0] + "\r\n" + lines[1] + "\n" + lines[2] + "\r" + "\r\n".join(lines[3:])
    export, mapfile = write_export(tmp_path, text.encode("utf-8"))
    hostile_check(tmp_path, monkeypatch, export, mapfile)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", None])
@pytest.mark.parametrize("bom", [True, False])
def test_byte_order_mark(tmp_path, monkeypatch, encoding, bom):
    """A BOM before the header row (the first column mapped, then not), with and without the map's encoding."""
    for text in (clean_example_text(), "序号," + clean_example_text().replace("\n", "\n0,")[:-2]):
        data = ("\ufeff" if bom else "").encode() + text.encode("utf-8")
        mapped = EXAMPLE_MAP.read_text(encoding="utf-8")
        if encoding:
            mapped = with_source(mapped, f"encoding: {encoding}")
        export, mapfile = write_export(tmp_path, data, map_text_=mapped)
        hostile_check(tmp_path, monkeypatch, export, mapfile, report=False)


@pytest.mark.parametrize("whole", [True, False])
@pytest.mark.parametrize("encoding", ["gb18030", "gbk", "utf-16"])
def test_other_encodings(tmp_path, monkeypatch, whole, encoding):
    text = example_text() if whole else clean_example_text()
    text += row_of({"诉求内容": "𠀀𪚥 emoji 😀 and ₠"}) if encoding == "gb18030" else ""
    mapped = with_source(EXAMPLE_MAP.read_text(encoding="utf-8"), f"encoding: {encoding}")
    export, mapfile = write_export(tmp_path, text.encode(encoding), map_text_=mapped)
    hostile_check(tmp_path, monkeypatch, export, mapfile)


def test_gb18030_without_the_map_saying_so(tmp_path, monkeypatch):
    export, mapfile = write_export(tmp_path, clean_example_text().encode("gb18030"))
    outcome = both_ways(tmp_path, monkeypatch, "summary", export, "--map", mapfile, "--format", "json")
    assert outcome.exit_code != 0
    outcome = both_ways(tmp_path, monkeypatch, "summary", export, "--map", mapfile, "--format", "json", "--encoding",
                        "gb18030")
    assert outcome.exit_code == 0 and outcome.column_path


def test_the_encoding_option_over_the_map(tmp_path, monkeypatch):
    """--encoding is the export's encoding, instead of the map's."""
    mapped = with_source(EXAMPLE_MAP.read_text(encoding="utf-8"), "encoding: gb18030")
    export, mapfile = write_export(tmp_path, clean_example_text().encode("utf-8"), map_text_=mapped)
    outcome = both_ways(tmp_path, monkeypatch, "summary", export, "--map", mapfile, "--format", "json", "--encoding",
                        "utf-8")
    assert outcome.exit_code == 0 and outcome.column_path
    both_ways(tmp_path, monkeypatch, "summary", export, "--map", mapfile, "--format", "json")


@pytest.mark.parametrize("where", ["data", "header", "end"])
def test_bytes_not_in_the_encoding(tmp_path, monkeypatch, where):
    data = clean_example_text().encode("utf-8")
    at = {"data": data.index("铜城".encode()), "header": 3, "end": len(data) - 2}[where]
    export, mapfile = write_export(tmp_path, data[:at] + b"\xff\xfe" + data[at:])
    hostile_check(tmp_path, monkeypatch, export, mapfile)


@pytest.mark.parametrize("delimiter", ["\t", ";", "|"])
@pytest.mark.parametrize("suffix", [".tsv", ".csv"])
def test_other_delimiters(tmp_path, monkeypatch, delimiter, suffix):
    rows = list(csv.reader(io.StringIO(clean_example_text() + row_of({"诉求内容": "a,b;c|d\te"}))))
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    mapped = EXAMPLE_MAP.read_text(encoding="utf-8")
    if delimiter != "\t" or suffix != ".tsv":
        mapped = with_source(mapped, f"delimiter: {json.dumps(delimiter)}")
    export, mapfile = write_export(tmp_path, buffer.getvalue().encode("utf-8"), name="hostile" + suffix,
                                   map_text_=mapped)
    outcomes = hostile_check(tmp_path, monkeypatch, export, mapfile)
    assert outcomes[0].exit_code == 0
    if suffix == ".tsv" and delimiter == "\t":  # sniffed too
        export, mapfile = write_export(tmp_path, buffer.getvalue().encode("utf-8"), name="sniffed.csv")
        hostile_check(tmp_path, monkeypatch, export, mapfile)


@pytest.mark.parametrize("where", ["data", "title", "end", "summary"])
def test_nul_byte(tmp_path, monkeypatch, where):
    text = example_text()
    at = {"data": text.index("DZ003"), "title": 3, "end": len(text) - 1, "summary": text.index("讨要工资")}[where]
    export, mapfile = write_export(tmp_path, (text[:at] + "\x00" + text[at:]).encode("utf-8"))
    hostile_check(tmp_path, monkeypatch, export, mapfile)


@pytest.mark.parametrize("titles", [
    "东阿县12345热线工单明细\n",
    '"标题, 带逗号",,\n"第二行\n标题在引号里"\n',
    "\n\n",
    "a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q,r,s,t\n",
    '"工单编号","受理时间"\n',
])
def test_title_rows_above_the_header(tmp_path, monkeypatch, titles):
    export, mapfile = write_export(tmp_path, (titles + clean_example_text()).encode("utf-8"))
    hostile_check(tmp_path, monkeypatch, export, mapfile)


def test_header_row_given_in_the_map(tmp_path, monkeypatch):
    text = "标题\n" + '"引号里的\n换行"\n' + clean_example_text()
    mapped = with_source(EXAMPLE_MAP.read_text(encoding="utf-8"), "header_row: 3")
    export, mapfile = write_export(tmp_path, text.encode("utf-8"), map_text_=mapped)
    hostile_check(tmp_path, monkeypatch, export, mapfile)


def test_a_header_name_twice(tmp_path, monkeypatch):
    lines = clean_example_text().splitlines()
    text = "\n".join([lines[0] + ",承办单位,工单编号"] + [line + ",另一单位,X" for line in lines[1:]]) + "\n"
    export, mapfile = write_export(tmp_path, text.encode("utf-8"))
    hostile_check(tmp_path, monkeypatch, export, mapfile)


@pytest.mark.parametrize("text", ["", "工单编号,受理时间\n", None])
def test_nearly_empty_exports(tmp_path, monkeypatch, text):
    data = (clean_example_text().splitlines()[0] + "\n" if text is None else text).encode("utf-8")
    export, mapfile = write_export(tmp_path, data)
    both_ways(tmp_path, monkeypatch, "summary", export, "--map", mapfile, "--format", "json")
    both_ways(tmp_path, monkeypatch, "summary", export, "--map", mapfile, "--rejects", f"{OUT}/rejects.csv")


def test_only_blank_and_skipped_rows(tmp_path, monkeypatch):
    text = clean_example_text().splitlines()[0] + "\n" + "," * 15 + "\n合计" + "," * 15 + "\n" + " ," * 15 + "\n"
    export, mapfile = write_export(tmp_path, text.encode("utf-8"))
    hostile_check(tmp_path, monkeypatch, export, mapfile)


def test_a_2mb_cell(tmp_path, monkeypatch):
    for cells in ({"诉求内容": "投诉" * (1 << 20)}, {"承办单位": "x" * (2 << 20)}, {"工单编号": "反" * (700_000)}):
        export, mapfile = write_export(tmp_path, (clean_example_text() + row_of(cells)).encode("utf-8"))
        hostile_check(tmp_path, monkeypatch, export, mapfile)


def test_an_unclosed_quote(tmp_path, monkeypatch):
    for cells in ({"诉求内容": '"没有闭合'}, {"承办单位": '"铜城'}):
        text = clean_example_text() + row_of({}).replace("电梯停运", cells.get("诉求内容", "电梯停运")).replace(
            "铜城街道", cells.get("承办单位", "铜城街道")).replace('"""', '"') + row_of({"工单编号": "DZ101"})
        export, mapfile = write_export(tmp_path, text.encode("utf-8"))
        hostile_check(tmp_path, monkeypatch, export, mapfile)


# == Several files ===============================================================================
def other_export_text(prefix: str = "EZ") -> str:
    """Another clean export under the example map: its own ids (`prefix`), units and days."""
    return clean_example_text().splitlines()[0] + "\n" + "".join([
        row_of({"工单编号": f"{prefix}001", "受理时间": "2024-03-11 09:05:00", "承办单位": "新城街道"}),
        row_of({"工单编号": f"{prefix}002", "受理时间": "2024-03-12 10:00:00", "承办单位": "县人社局", "办件状态": "已办结",
                "办结时间": "2024-03-13 10:00:00", "回访时间": "2024-03-14 10:00:00", "是否满意": "不满意",
                "是否解决": "否", "诉求人电话": "+86 138 1234 5678"}),
        row_of({"工单编号": f"{prefix}003", "受理时间": "2024/3/13 8:00", "承办单位": "新城街道", "办件来源": "微信",
                "办件状态": "已撤回", "一级分类": "劳动保障", "二级分类": "欠薪"}),
        row_of({"工单编号": f"{prefix}004", "受理时间": "2024-03-14 08:00:00", "承办单位": "铜城街道", "办件状态": "已办结",
                "办结时间": "2024-03-20", "派发时间": "2024-03-14 09:00:00"}),
    ])


@pytest.fixture
def ledger_file(tmp_path: Path) -> str:
    path = tmp_path / "ledger.yaml"
    path.write_text(run_cli("example").stdout, encoding="utf-8")
    return str(path)


def several(tmp_path, monkeypatch, files: list[str], mapfile: str, *extra: str) -> list[Outcome]:
    return [both_ways(tmp_path, monkeypatch, "summary", *files, "--map", mapfile, "--format", "partial", *extra),
            both_ways(tmp_path, monkeypatch, "summary", *files, "--map", mapfile, "--format", "json", *extra),
            both_ways(tmp_path, monkeypatch, "summary", *files, "--map", mapfile, "--by", "jurisdiction", *extra),
            both_ways(tmp_path, monkeypatch, "report", *files, "--map", mapfile, "-o", f"{OUT}/report.md", *extra)]


def test_two_exports(tmp_path, monkeypatch):
    first, mapfile = write_export(tmp_path, clean_example_text().encode("utf-8"), name="a.csv")
    second, _ = write_export(tmp_path, other_export_text().encode("utf-8"), name="b.csv")
    for outcome in several(tmp_path, monkeypatch, [first, second], mapfile):
        assert outcome.exit_code == 0 and outcome.column_path
    both_ways(tmp_path, monkeypatch, "summary", first, second, "--map", mapfile, "--rejects", f"{OUT}/r.csv")


def test_two_exports_one_by_row(tmp_path, monkeypatch):
    """The second has a case with a warning (received outside the period): it goes by row, the first by column."""
    first, mapfile = write_export(tmp_path, clean_example_text().encode("utf-8"), name="a.csv")
    second, _ = write_export(tmp_path, other_export_text().replace("2024-03-1", "2024-04-1", 1).encode("utf-8"),
                             name="b.csv")
    for outcome in several(tmp_path, monkeypatch, [first, second], mapfile):
        assert outcome.column_path
    several(tmp_path, monkeypatch, [second, first], mapfile)


@pytest.mark.parametrize("same_case", [True, False])
def test_two_exports_sharing_an_id(tmp_path, monkeypatch, same_case):
    first, mapfile = write_export(tmp_path, clean_example_text().encode("utf-8"), name="a.csv")
    text = other_export_text()
    if same_case:  # the first export's DZ003 row, as it is, in the second
        text += next(line for line in clean_example_text().splitlines() if line.startswith("DZ003")) + "\n"
    else:
        text = text.replace("EZ002", "DZ003")
    second, _ = write_export(tmp_path, text.encode("utf-8"), name="b.csv")
    outcome = both_ways(tmp_path, monkeypatch, "summary", first, second, "--map", mapfile, "--format", "json")
    assert outcome.exit_code == 1


def test_two_exports_sharing_an_id_the_second_by_row(tmp_path, monkeypatch):
    """The second export has a case with a warning (received in April, the map's period is March): it is read
    by row, and shares DZ003 with the first, counted by column."""
    first, mapfile = write_export(tmp_path, clean_example_text().encode("utf-8"), name="a.csv")
    text = other_export_text().replace("EZ002", "DZ003").replace("2024-03-11", "2024-04-11", 1)
    second, _ = write_export(tmp_path, text.encode("utf-8"), name="b.csv")
    outcome = both_ways(tmp_path, monkeypatch, "summary", first, second, "--map", mapfile, "--format", "json")
    assert outcome.exit_code == 1


def test_the_same_export_twice(tmp_path, monkeypatch):
    export, mapfile = write_export(tmp_path, clean_example_text().encode("utf-8"), name="a.csv")
    outcome = both_ways(tmp_path, monkeypatch, "summary", export, export, "--map", mapfile, "--format", "json")
    assert outcome.exit_code == 1


@pytest.mark.parametrize("name", ["UPPER.CSV", "upper.TSV", "dots.in.name.csv"])
def test_suffix_case(tmp_path, monkeypatch, name):
    text = clean_example_text()
    if name.lower().endswith(".tsv"):
        text = text.replace(",", "\t")
    export, mapfile = write_export(tmp_path, text.encode("utf-8"), name=name)
    outcome = both_ways(tmp_path, monkeypatch, "summary", export, "--map", mapfile, "--format", "json")
    assert outcome.exit_code == 0 and outcome.column_path


def test_an_export_and_a_ledger(tmp_path, monkeypatch, ledger_file):
    export, mapfile = write_export(tmp_path, clean_example_text().encode("utf-8"), name="a.csv")
    for files in ([export, ledger_file], [ledger_file, export]):
        for outcome in several(tmp_path, monkeypatch, files, mapfile):
            assert outcome.exit_code == 0 and outcome.column_path


def test_an_export_and_a_ledger_of_another_jurisdiction(tmp_path, monkeypatch, ledger_file):
    other = Path(ledger_file).read_text(encoding="utf-8").replace("jurisdiction: 东阿县", "jurisdiction: 阳谷县")
    Path(ledger_file).write_text(other, encoding="utf-8")
    export, mapfile = write_export(tmp_path, example_text().encode("utf-8"), name="a.csv")
    cleaned, _ = write_export(tmp_path, clean_example_text().encode("utf-8"), name="clean.csv")
    for files in ([cleaned, ledger_file], [ledger_file, cleaned]):
        several(tmp_path, monkeypatch, files, mapfile)
    both_ways(tmp_path, monkeypatch, "summary", ledger_file, export, "--map", mapfile, "--rejects", f"{OUT}/r.csv",
              "--by", "jurisdiction")


@pytest.mark.parametrize("export_first", [True, False])
def test_an_export_and_a_ledger_sharing_an_id(tmp_path, monkeypatch, ledger_file, export_first):
    text = clean_example_text().replace("DZ001", "DA-2024-03-0001")
    export, mapfile = write_export(tmp_path, text.encode("utf-8"), name="a.csv")
    files = [export, ledger_file] if export_first else [ledger_file, export]
    outcome = both_ways(tmp_path, monkeypatch, "summary", *files, "--map", mapfile, "--format", "json")
    assert outcome.exit_code == 1


def test_too_many_units_across_files(tmp_path, monkeypatch, ledger_file):
    """MAX_GROUPS (made small here) passed by the units of an export and a ledger, in either order, and of one
    export alone."""
    export, mapfile = write_export(tmp_path, clean_example_text().encode("utf-8"), name="a.csv")
    for limit in (2, 3, 4, 5):
        monkeypatch.setattr(grassroots_report, "MAX_GROUPS", limit)
        for files in ([ledger_file, export], [export, ledger_file], [export]):
            both_ways(tmp_path, monkeypatch, "summary", *files, "--map", mapfile, "--format", "json")
    several(tmp_path, monkeypatch, [export, ledger_file], mapfile)


# == Options and commands around the column path ===================================================
@pytest.mark.parametrize("extra", [("--lang", "en"), ("--strict",), ("--period", "2024-03"), ("--by", "category"),
                                   ("--title", "标题\x1b[31m"), ("--fail-on-target",), ("--format", "xlsx",
                                   "-o", f"{OUT}/summary.xlsx")])
def test_options(tmp_path, monkeypatch, example, extra):
    export, mapfile = example
    outcome = both_ways(tmp_path, monkeypatch, "summary", export, "--map", mapfile, "--rejects", f"{OUT}/r.csv", *extra)
    assert outcome.column_path


def test_names_file_and_policy(tmp_path, monkeypatch, example):
    export, mapfile = example
    names = tmp_path / "names.txt"
    names.write_text("张三\n欧阳娜娜\n", encoding="utf-8")
    policy = tmp_path / "policy.yaml"
    policy.write_text("policy: {calendar: workdays_cn, dispatch_hours: 0.5, min_visit_minutes: 3000}\n", encoding="utf-8")
    for command in ("summary", "report", "run"):
        both_ways(tmp_path, monkeypatch, command, export, "--map", mapfile, "--rejects", f"{OUT}/r.csv",
                  "--names", str(names))
    both_ways(tmp_path, monkeypatch, "summary", export, "--map", mapfile, "--rejects", f"{OUT}/r.csv", "--policy",
              str(policy), "--format", "json")


def test_check_and_areas_go_by_row(tmp_path, monkeypatch, example):
    export, mapfile = example
    outcome = both_ways(tmp_path, monkeypatch, "check", export, "--map", mapfile, "--rejects", f"{OUT}/r.csv")
    assert not outcome.column_path
    outcome = both_ways(tmp_path, monkeypatch, "summary", export, "--map", mapfile, "--rejects", f"{OUT}/r.csv",
                        "--areas", str(ROOT / "examples" / "gazetteer.csv"), "--by", "area")
    assert not outcome.column_path


def test_run_prints_the_table_then_writes_the_report(tmp_path, monkeypatch, example):
    export, mapfile = example
    outcome = both_ways(tmp_path, monkeypatch, "run", export, "--map", mapfile, "--rejects", f"{OUT}/r.csv", "-o",
                        f"{OUT}/report.docx", outputs=("report.docx", "r.csv"))
    assert outcome.column_path


# == --period ======================================================================================
PERIOD_ROWS = [
    "P1,2024-02-20 09:00:00,劳动保障/欠薪,新城街道,carried: open,,",  # received before, still open
    "P2,2024-02-21 09:00:00,市场监管,新城街道,carried: resolved in the period,2024-03-04 09:00:00,",
    "P3,2024-02-22 09:00:00,城乡建设/物业管理,铜城街道,done before the period,2024-02-23 09:00:00,",
    "P4,2024-03-05 09:00:00,城乡建设,县人社局,in the period,2024-03-06 09:00:00,1",
    "P5,2024-03-10 09:00:00,城乡建设/施工管理,县人社局,resolved after the period,2024-04-10 09:00:00,",
    "P6,2024-03-31 23:59:59,城乡建设,铜城街道,last second,,",
    "P7,2024-04-01 00:00:00,城乡建设,铜城街道,after,,",
    "P8,2023-03-15 09:00:00,城乡建设,铜城街道,a year before,2023-03-16 09:00:00,",
    "P9,2024-02-15 09:00:00,城乡建设,铜城街道,the month before,2024-02-16 09:00:00,",
]


@pytest.mark.parametrize("period", ["2024-03", "2024-03-05..2024-03-20", "2024-W10", "2024-Q1", "2024", "2023-03"])
def test_period_windows(tmp_path, monkeypatch, period):
    """The period, its 环比 and 同比 windows and the cases carried over, in every output but the partial."""
    export, mapfile = small_export(tmp_path, PERIOD_ROWS)
    for extra in ((), ("--as-of", "2024-03-20 12:00")):
        for args in (("summary", "--format", "json"), ("summary", "--by", "unit"), ("report", "-o", f"{OUT}/r.md")):
            outcome = both_ways(tmp_path, monkeypatch, *args[:1], export, "--map", mapfile, *args[1:], "--period",
                                period, *extra)
            assert outcome.column_path


@pytest.mark.parametrize("month_start_day", [1, 19])
def test_period_with_month_start_day(tmp_path, monkeypatch, month_start_day):
    mapped = SMALL_MAP.replace("ledger: {version: 1, jurisdiction: 东阿县}",
                               "ledger: {version: 1, jurisdiction: 东阿县, policy: {month_start_day: "
                               f"{month_start_day}, timezone: '-05:00', calendar: workdays_cn}}}}")
    export, mapfile = small_export(tmp_path, PERIOD_ROWS, map_text_=mapped)
    for period in ("2024-03", "2024-Q1"):
        outcome = both_ways(tmp_path, monkeypatch, "summary", export, "--map", mapfile, "--format", "json",
                            "--period", period)
        assert outcome.column_path


def test_period_partial_carried_category(tmp_path, monkeypatch):
    """A case received before the period, of a category no case of the period has, still open."""
    export, mapfile = small_export(tmp_path, ["A1,2024-03-05 09:00:00,城乡建设,县人社局,x,2024-03-06 09:00:00,",
                                              "A2,2024-02-20 09:00:00,劳动保障/欠薪,新城街道,x,,"])
    both_ways(tmp_path, monkeypatch, "summary", export, "--map", mapfile, "--format", "partial", "--period", "2024-03")


def test_period_partial_without_carried_cases(tmp_path, monkeypatch):
    export, mapfile = small_export(tmp_path, [row for row in PERIOD_ROWS if not row.startswith(("P1", "P2"))])
    for period in ("2024-03", "2024-Q1", "2024"):
        outcome = both_ways(tmp_path, monkeypatch, "summary", export, "--map", mapfile, "--format", "partial",
                            "--period", period)
        assert outcome.column_path


def test_period_with_an_export_and_a_ledger(tmp_path, monkeypatch, ledger_file):
    export, mapfile = write_export(tmp_path, other_export_text().encode("utf-8"), name="a.csv")
    for files in ([export, ledger_file], [ledger_file, export]):
        for args in (("summary", "--format", "json"), ("report", "-o", f"{OUT}/r.md")):
            outcome = both_ways(tmp_path, monkeypatch, args[0], *files, "--map", mapfile, *args[1:], "--period",
                                "2024-03-10..2024-03-31")
            assert outcome.column_path


# == A bigger export: more than one of the CSV reader's 1 MiB blocks ================================
def test_an_export_of_several_blocks(tmp_path, monkeypatch):
    rng = random.Random(7)
    shape = dataclasses.replace(shape_of(rng), rows=7000, bad=0.01, odd=0.02, header="plain")
    rows = export_rows(rng, shape)
    rows = [row for row in rows if "2024-02-30 10:00:00" not in row and "2024-03-05 23:59:60" not in row]
    export = tmp_path / "big.csv"
    export.write_bytes(csv_bytes(rows, shape.line_end))
    assert export.stat().st_size > 1 << 20
    mapfile = tmp_path / "big.map.yaml"
    mapfile.write_text(map_text(shape), encoding="utf-8")
    outcome = both_ways(tmp_path, monkeypatch, "summary", str(export), "--map", str(mapfile), "--rejects",
                        f"{OUT}/rejects.csv", "--format", "partial")
    if not has_warnings(outcome):
        assert outcome.column_path


def test_a_workbook_goes_by_row(tmp_path, monkeypatch):
    """The platform's workbook (exports.write_xlsx: times as datetime cells, text and a serial in one column)
    goes by row: the same bytes both times (tests/test_columns_xlsx.py holds the workbooks that go by column)."""
    import exports

    workbook = exports.write_xlsx(tmp_path / "工单明细.xlsx")
    mapfile = tmp_path / "xlsx.map.yaml"
    mapfile.write_text(exports.MAP, encoding="utf-8")
    outcome = both_ways(tmp_path, monkeypatch, "summary", str(workbook), "--map", str(mapfile), "--rejects",
                        f"{OUT}/rejects.csv", "--format", "partial")
    assert outcome.exit_code == 0 and not outcome.column_path


def test_report_review(tmp_path, monkeypatch, example):
    """report --review: every piece of case text the briefing prints, written both ways the same."""
    export, mapfile = example
    outcome = both_ways(tmp_path, monkeypatch, "report", export, "--map", mapfile, "--rejects", f"{OUT}/rejects.csv",
                        "-o", f"{OUT}/report.md", "--review", f"{OUT}/review.csv", outputs=("review.csv", "report.md"))
    assert outcome.column_path
