"""The column path on .xlsx workbooks held to the per-row path, byte for byte (see test_columns.py).

A workbook's cells have types of their own: python-calamine gives the row path a datetime (a date when the time
is exactly midnight), a float, a bool, '' for an empty or an error cell; the column path reads each column whole
(fastexcel into pyarrow) and must make of it the text _cell_str makes of each cell.  Every test here runs the
command both ways (test_columns.both_ways): the same exit code, standard output, standard error and files.

    random workbooks   test_columns' seeded exports with typed cells (write_workbook): times as datetime cells
                       (some date-only formats, some at midnight exactly, some with milliseconds, some a hair
                       from the next second or day) or as text; ids, phones and returns as numbers or text;
                       booleans; blank and white-space rows, a totals row, duplicates, rows that fail checks.
                       Even seeds are plain (below), odd seeds mix cell types within a column (serials, times
                       of day, durations, #N/A, booleans) or lay the sheet out otherwise; maps of other forms
    mixed cells        one odd cell or column at a time: serials, times of day, durations, the 1904 date
                       system, error cells, booleans, numbers where text is expected and text where numbers are
    layouts            the header below title rows, a notes sheet first, the map's sheet and header_row, empty
                       rows and columns before the data, header cells empty, twice, spaced; cells past the
                       header; formatted empty rows; an empty sheet, a sheet with only its header
    hostile XML        xlsxwriter's parts rewritten: rows out of order, cells without `r`, inline strings,
                       rich-text and phonetic runs, _x000D_ escapes, a 40,000-character cell, t="d" and t="e"
                       cells, a dimension that lies, a truncated file
    a bigger workbook  12,000 rows
    --period, --as-of  on random workbooks
    .xls               always by row

PLAIN SHAPES (the only ones asserted to take the column path, when the run exits 0 with no warning):
an .xlsx whose header is found among text cells (title rows above it, a notes sheet before its sheet, the map's
sheet and header_row, empty rows above) with a cell in column A, its header names once each (spaced or empty
ones are fine; fastexcel renames a name written twice, so that goes by row); each mapped column of one cell type
throughout its data rows, empty cells aside (a time column all datetime cells, whatever their format, or all
text; any other column all text, all numbers or all booleans); no time-of-day, duration or error cells; the
1900 date system; no date_formats in the map where a time column holds datetime cells; a map
column_path_covers.  Every other shape is held to equality only.  PLAIN_SHAPES_GO_BY_COLUMN = False turns those
assertions off.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import random
import re
import unicodedata
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import exports
import pytest
import xlsxwriter
from test_columns import (
    COLUMNS,
    FULL,
    MAP_VARIANTS,
    OUT,
    Outcome,
    both_ways,
    export_rows,
    has_warnings,
    map_text,
    shape_of,
)

import grassroots_report

PLAIN_SHAPES_GO_BY_COLUMN = True


# == Writing workbooks ===========================================================================
DATETIME, DATE = "yyyy-mm-dd hh:mm:ss", "yyyy-mm-dd"


class Styled(NamedTuple):
    """A cell with its own number format: a date-only datetime, a time of day (hh:mm), a duration ([h]:mm),
    a number; value None: a formatted cell with no value."""

    value: Any
    num_format: str


class Formula(NamedTuple):
    formula: str
    cached: Any


class Merged(NamedTuple):
    """A text merged across `width` cells (a title row)."""

    text: str
    width: int


NA = Formula("=NA()", "#N/A")  # an error cell


def write_workbook(path: Path, sheets: dict[str, list[list[Any]]], date_1904: bool = False) -> str:
    """Write each sheet's rows from A1 with typed cells: None writes nothing, str a string (never a formula),
    bool, int and float, a datetime (DATETIME), a date (DATE), or a Styled, Formula or Merged cell."""
    workbook = xlsxwriter.Workbook(str(path), {"date_1904": date_1904})
    formats: dict[str, Any] = {}

    def fmt(num_format: str) -> Any:
        if num_format not in formats:
            formats[num_format] = workbook.add_format({"num_format": num_format})
        return formats[num_format]

    for name, rows in sheets.items():
        sheet = workbook.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                style = None
                if isinstance(value, Styled):
                    value, style = value
                    if value is None:
                        sheet.write_blank(r, c, None, fmt(style))
                        continue
                if value is None:
                    continue
                if isinstance(value, Formula):
                    sheet.write_formula(r, c, value.formula, None, value.cached)
                elif isinstance(value, Merged):
                    sheet.merge_range(r, c, r, c + value.width - 1, value.text)
                elif isinstance(value, str):
                    sheet.write_string(r, c, value, style and fmt(style))
                elif isinstance(value, bool):
                    sheet.write_boolean(r, c, value)
                elif isinstance(value, (int, float)):
                    sheet.write_number(r, c, value, style and fmt(style))
                else:  # datetime, date, time, timedelta
                    style = style or (DATETIME if isinstance(value, dt.datetime) else DATE)
                    sheet.write_datetime(r, c, value, fmt(style))
    workbook.close()
    return str(path)


def write_xls(path: Path, rows: list[list[Any]]) -> str:
    """The same rows as an .xls (xlwt), one sheet from A1; times of day, durations and formulas left out."""
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("工单明细")
    when = xlwt.easyxf(num_format_str=DATETIME)
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            value = value.value if isinstance(value, Styled) else value
            if isinstance(value, (dt.datetime, dt.date)):
                sheet.write(r, c, value, when)
            elif isinstance(value, (str, bool, int, float)) and value != "":
                sheet.write(r, c, value)
    book.save(str(path))
    return str(path)


def rewrite(path: str, edit: Callable[[dict[str, str]], None]) -> None:
    """Rewrite a workbook's XML parts in place (`edit` changes the dict of part name -> text)."""
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name).decode("utf-8") for name in archive.namelist()}
    edit(parts)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)


def write_map(tmp_path: Path, text: str, name: str = "map.yaml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def covered(mapfile: str) -> bool:
    import_map = grassroots_report.load_import_map(mapfile, "zh")
    return grassroots_report.column_path_covers(import_map, grassroots_report.Options())


def plain_for(typing: Typing, mapfile: str) -> bool:
    """A plain shape, unless datetime cells meet a map's date_formats (which read text, not a datetime cell:
    the column path leaves that to the row path)."""
    return typing.plain and not (typing.times != "text" and "date_formats" in Path(mapfile).read_text("utf-8"))


# == Both ways ===================================================================================
COMMANDS = (("summary", "--format", "partial"), ("summary", "--format", "json"), ("report", "-o", f"{OUT}/report.md"))


def check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, export: str, mapfile: str, plain: bool,
          extra: tuple[str, ...] = (), commands: tuple[tuple[str, ...], ...] = COMMANDS,
          without_rejects: bool = True) -> list[Outcome]:
    """A workbook through the partial, the JSON summary and the report, with --rejects (and without), both
    ways; a plain shape (see the docstring) on the column path unless a case had a warning or the run failed."""
    expect = PLAIN_SHAPES_GO_BY_COLUMN and plain and covered(mapfile)
    outcomes = []
    warned = False
    for rejects in (True, False) if without_rejects else (True,):
        given = ("--rejects", f"{OUT}/rejects.csv") if rejects else ()
        for command in commands:
            written = tuple(a.rpartition("/")[2] for a in command if a.startswith(OUT))
            outcome = both_ways(tmp_path, monkeypatch, command[0], export, "--map", mapfile, *given, *command[1:],
                                *extra, outputs=written + (("rejects.csv",) if rejects else ()))
            warned = warned or has_warnings(outcome)
            if expect and outcome.exit_code == 0 and not warned:
                assert outcome.column_path, f"{Path(export).name}: {' '.join(command)}: a plain workbook went by " \
                                            f"row with no warning to say why\n{outcome.stderr[-2000:]}"
            outcomes.append(outcome)
    return outcomes


# == Random workbooks ============================================================================
# test_columns' seeded exports (text cells), typed column by column as a Typing says
TIMES = ("受理时间", "派发时间", "办结期限", "办结时间", "回访时间")
AT = {name: position for position, name in enumerate(COLUMNS)}
TITLE = exports.TITLE
# .001, .999, .5 of a second; with HAIR, under half a millisecond past a second, or before the next
MICROS = (1_000, 999_000, 500_000)
HAIR = (400, 999_600)
TRUTHS = {"是": True, "true": True, "1": True, "否": False, "0": False}


@dataclasses.dataclass
class Typing:
    """How one random workbook types its cells ("mixed": some cells one way, some another, in one column)."""

    times: str  # "datetime" (a datetime cell wherever the text is a time, else empty), "text", "mixed"
    ids: str  # "text", "number" (DZ0012, dz0012, ＤＺ0012 written 20240012, other ids left empty), "mixed"
    phones: str  # "text", "number" (digits as numbers, other phones left empty), "mixed"
    returns: str  # "number", "text", "mixed"
    reasonable: str  # "text", "bool", "mixed"
    status: str  # "text", "mixed" (a boolean or a number now and then)
    date_only: float  # how often a datetime cell has a date-only format
    midnight: float  # how often a datetime is moved to midnight exactly
    micros: float  # how often a datetime has a fraction of a second (MICROS)
    hair: bool  # whether a datetime may lie within half a millisecond of a second or of midnight (HAIR)
    layout: str  # "plain" (one sheet, header at A1), "title" (a merged title row above), "notes" (a sheet before)
    date_1904: bool

    @property
    def plain(self) -> bool:
        modes = (self.times, self.ids, self.phones, self.returns, self.reasonable, self.status)
        return self.layout == "plain" and "mixed" not in modes and not self.date_1904


def typing_of(rng: random.Random, plain: bool) -> Typing:
    mixed = set() if plain else set(rng.sample(["times", "ids", "phones", "returns", "reasonable", "status"],
                                               rng.choice([0, 1, 2, 3])))

    layout, date_1904 = "plain", False
    if not plain:
        date_1904 = rng.random() < 0.25
        if (not mixed and not date_1904) or rng.random() < 0.3:
            layout = rng.choice(["title", "notes"])

    def pick(name: str, *modes: str) -> str:
        return "mixed" if name in mixed else rng.choice(modes)

    return Typing(times=pick("times", "datetime", "datetime", "text"), ids=pick("ids", "text", "number"),
                  phones=pick("phones", "text", "number"), returns=pick("returns", "number", "number", "text"),
                  reasonable=pick("reasonable", "text", "bool"), status=pick("status", "text"),
                  date_only=rng.choice([0.0, 0.2, 1.0]), midnight=rng.choice([0.0, 0.1, 0.5]),
                  micros=rng.choice([0.0, 0.1, 0.4]), hair=rng.random() < 0.7, layout=layout,
                  date_1904=date_1904)


def moment_of(text: str) -> dt.datetime | dt.date | None:
    """The time a cell's text says (read as the row path reads it), a date when it has no clock time; None
    when it says none, or one with an offset, or one a workbook cannot hold."""
    try:
        moment, has_clock, offset = grassroots_report.export_time(text, (), False)
    except ValueError:
        return None
    if offset is not None or not 1901 <= moment.year <= 9998:
        return None
    return moment if has_clock else moment.date()


def serial(moment: dt.datetime | dt.date) -> float:
    """A time as an Excel serial number (1900 date system)."""
    if not isinstance(moment, dt.datetime):
        moment = dt.datetime.combine(moment, dt.time())
    return (moment - dt.datetime(1899, 12, 30)) / dt.timedelta(days=1)


def datetime_cell(rng: random.Random, typing: Typing, moment: dt.datetime | dt.date) -> Any:
    if not isinstance(moment, dt.datetime):
        moment = dt.datetime.combine(moment, dt.time())
    roll = rng.random()
    if roll < typing.midnight:
        moment = moment.replace(hour=0, minute=0, second=0)
    elif roll < typing.midnight + typing.micros:
        moment = moment.replace(microsecond=rng.choice(MICROS + HAIR if typing.hair else MICROS))
    elif typing.hair and roll < typing.midnight + typing.micros + 0.03:  # rounds to midnight of the next day
        moment = moment.replace(hour=23, minute=59, second=59, microsecond=999_600)
    return Styled(moment, DATE) if rng.random() < typing.date_only else moment


def time_typed(rng: random.Random, typing: Typing, text: str) -> Any:
    if typing.times == "text" or not text:
        return text
    moment = moment_of(text)
    if moment is None:
        return None if typing.times == "datetime" else text
    roll = 0.0 if typing.times == "datetime" else rng.random()
    if roll < 0.45:
        return datetime_cell(rng, typing, moment)
    if roll < 0.55:
        return serial(moment)
    if roll < 0.6:
        return Styled(moment.time() if isinstance(moment, dt.datetime) else dt.time(), "hh:mm")  # a time of day
    if roll < 0.63:
        return Styled(dt.timedelta(hours=rng.randrange(1, 200), minutes=rng.randrange(60)), "[h]:mm")  # a duration
    if roll < 0.66:
        return NA
    if roll < 0.68:
        return rng.random() < 0.5
    return text


def id_typed(rng: random.Random, typing: Typing, text: str) -> Any:
    match = re.fullmatch(r"DZ([0-9]{4})", unicodedata.normalize("NFKC", text).strip().upper())
    if typing.ids == "text" or (match is None and typing.ids == "mixed"):
        return text
    if match is None:
        return None
    number = 20240000 + int(match[1])
    return number if typing.ids == "number" else rng.choice([number, str(number), text])


def phone_typed(rng: random.Random, typing: Typing, text: str) -> Any:
    digits = text.strip()
    if typing.phones == "text" or not (digits.isascii() and digits.isdigit()):
        return None if typing.phones == "number" else text
    if typing.phones == "number":
        return int(digits) if len(digits) <= 15 else None
    return rng.choice([int(digits), text])  # 17 and 18 digits too: a float's 17 significant digits


def typed_as(rng: random.Random, mode: str, typed_mode: str, text: str, value: Any) -> Any:
    """A cell of a column typed `mode`: its text ("text"), its typed value (`typed_mode`; empty when the text has
    none), or either ("mixed"; the text when it has none)."""
    if mode == "text" or (value is None and mode == "mixed"):
        return text
    if value is None:
        return None
    return value if mode == typed_mode else rng.choice([value, text])


def returns_typed(rng: random.Random, typing: Typing, text: str) -> Any:
    try:
        number = float(text) if text.isascii() else None
    except ValueError:
        number = None
    return typed_as(rng, typing.returns, "number", text, number)


def reasonable_typed(rng: random.Random, typing: Typing, text: str) -> Any:
    return typed_as(rng, typing.reasonable, "bool", text, TRUTHS.get(text.strip()))


def status_typed(rng: random.Random, typing: Typing, text: str) -> Any:
    if typing.status == "mixed" and rng.random() < 0.08:
        return rng.choice([True, False, 1, 0.5])
    return text


TYPERS: dict[str, Callable[[random.Random, Typing, str], Any]] = {
    **dict.fromkeys(TIMES, time_typed), "工单编号": id_typed, "诉求人电话": phone_typed, "退单次数": returns_typed,
    "是否合理": reasonable_typed, "办件状态": status_typed}


def typed_rows(rng: random.Random, typing: Typing, rows: list[list[str]]) -> list[list[Any]]:
    """The rows with typed cells; a row written again is typed again the same (a duplicate stays one)."""
    done: dict[tuple[str, ...], list[Any]] = {}
    typed = []
    for row in rows:
        key = tuple(row)
        if key not in done:
            row = list(row)
            if typing.ids == "number" and row[0].strip() in ("合计", "总计"):  # the other totals row: ids are numbers
                row[0], row[AT["诉求内容"]] = "", "以下空白"
            done[key] = [TYPERS.get(name, lambda _rng, _typing, text: text)(rng, typing, text)
                         for name, text in zip(COLUMNS, row)]
        typed.append(done[key])
    return typed


def laid_out(typing: Typing, header: list[Any], rows: list[list[Any]]) -> dict[str, list[list[Any]]]:
    if typing.layout == "title":
        return {"工单明细": [[Merged(TITLE, len(header))], header, *rows]}
    if typing.layout == "notes":
        return {"说明": [["本表由 12345 平台导出，仅供统计使用。"]], "工单明细": [header, *rows]}
    return {"工单明细": [header, *rows]}


def random_workbook(tmp_path: Path, seed: int, plain: bool, header: str | None = None,
                    variant: tuple[str, str] | None = None, **overrides: Any) -> tuple[str, str, Typing]:
    """Seed `seed`'s export as a workbook, and its map (`overrides`: of its Shape; `variant`: (text, new text)
    of its map); plain: a plain shape (see the docstring), else cells of several types in a column, or another
    layout, or the 1904 date system."""
    rng = random.Random(seed)
    shape = dataclasses.replace(shape_of(rng), **overrides)
    rows = export_rows(rng, shape)
    typing = typing_of(rng, plain)
    export = write_workbook(tmp_path / f"export-{seed}.xlsx",
                            laid_out(typing, list(COLUMNS), typed_rows(rng, typing, rows)), typing.date_1904)
    text = map_text(shape, header)
    if variant is not None:
        assert variant[0] in text, variant
        text = text.replace(*variant)
    return export, write_map(tmp_path, text, f"map-{seed}.yaml"), typing


@pytest.mark.parametrize("seed", range(30))
def test_random_workbook(tmp_path, monkeypatch, seed):
    """Even seeds plain, odd seeds not."""
    export, mapfile, typing = random_workbook(tmp_path, seed, plain=seed % 2 == 0)
    assert typing.plain == (seed % 2 == 0)
    check(tmp_path, monkeypatch, export, mapfile, plain_for(typing, mapfile))


@pytest.mark.parametrize("seed", [110, 111])
def test_random_workbook_with_a_full_ledger_header(tmp_path, monkeypatch, seed):
    """The map's ledger gives units and categories lists, a period and an as_of."""
    export, mapfile, typing = random_workbook(tmp_path, seed, plain=seed % 2 == 0, header="all")
    check(tmp_path, monkeypatch, export, mapfile, plain_for(typing, mapfile))


@pytest.mark.parametrize("variant", list(MAP_VARIANTS))
def test_map_variants(tmp_path, monkeypatch, variant):
    export, mapfile, typing = random_workbook(tmp_path, 2, True, "plain", MAP_VARIANTS[variant], **FULL, bad=0.08,
                                              rows=30)
    check(tmp_path, monkeypatch, export, mapfile, plain_for(typing, mapfile), commands=COMMANDS[:2],
          without_rejects=False)


# == --period and --as-of ==========================================================================
PERIODS = ["2024-03", "2024-03-05..2024-03-20", "2024-W11", "2024-Q1"]


@pytest.mark.parametrize("seed", [300, 301, 302, 303])
def test_random_workbook_period(tmp_path, monkeypatch, seed):
    export, mapfile, typing = random_workbook(tmp_path, seed, plain=seed % 2 == 0, header=["plain", "all"][seed % 2])
    check(tmp_path, monkeypatch, export, mapfile, plain_for(typing, mapfile), extra=("--period", PERIODS[seed % 4]),
          without_rejects=False)


@pytest.mark.parametrize("seed", [200, 201, 202, 203])
def test_random_workbook_as_of(tmp_path, monkeypatch, seed):
    export, mapfile, typing = random_workbook(tmp_path, seed, plain=seed % 2 == 0)
    check(tmp_path, monkeypatch, export, mapfile, plain_for(typing, mapfile),
          extra=("--as-of", ["2024-03-10 12:00", "2024-04-30", "2024-03-20", "2024-03-05 00:00"][seed % 4]))


# == Mixed cells: one odd cell or column at a time ===================================================
SMALL_HEADER = ["编号", "受理时间", "分类", "单位", "内容", "状态", "办结时间", "退单", "合理", "电话", "身份证"]
SMALL_MAP = """\
import: 1
ledger: {version: 1, jurisdiction: 东阿县}
source:
  skip_rows_where: {编号: [合计]}
fields:
  id: 编号
  received: 受理时间
  kind: {value: complaint}
  category: 分类
  unit: 单位
  summary: 内容
  status: 状态
  resolved: 办结时间
  returns: 退单
  reasonable: 合理
  requester.phone: 电话
  requester.id_number: 身份证
"""
T = dt.datetime


def small_rows() -> list[dict[str, Any]]:
    """Clean cases, every column of one cell type."""
    return [
        {"编号": "A1", "受理时间": T(2024, 3, 1, 9), "分类": "城乡建设", "单位": "县人社局", "内容": "路灯",
         "状态": "已办结", "办结时间": T(2024, 3, 2, 9), "退单": 0, "合理": True, "电话": 13812345678},
        {"编号": "A2", "受理时间": T(2024, 3, 1, 10, 30), "分类": "城乡建设", "单位": "新城街道", "内容": "停水",
         "状态": "已办结", "办结时间": T(2024, 3, 3, 9, 15, 30), "退单": 1, "合理": False},
        {"编号": "A3", "受理时间": T(2024, 3, 2, 11), "分类": "劳动保障", "单位": "县人社局", "内容": "欠薪",
         "状态": "办理中", "电话": 13912345678, "身份证": "372524198703151234"},
        {"编号": "A4", "受理时间": T(2024, 3, 4, 8), "分类": "市场监管", "单位": "铜城街道", "内容": "商品质量",
         "状态": "已办结", "办结时间": T(2024, 3, 4, 17)},
    ]


def small_workbook(tmp_path: Path, rows: list[dict[str, Any]], date_1904: bool = False,
                   map_text_: str = SMALL_MAP) -> tuple[str, str]:
    sheet = [list(SMALL_HEADER)] + [[row.get(name) for name in SMALL_HEADER] for row in rows]
    return (write_workbook(tmp_path / "small.xlsx", {"工单明细": sheet}, date_1904),
            write_map(tmp_path, map_text_, "small.map.yaml"))


def also(**columns: Any) -> list[dict[str, Any]]:
    """The clean rows and, below them, one row per value given: case A9n with that column's cell."""
    rows = small_rows()
    for name, values in columns.items():
        for value in values:
            rows.append({**small_rows()[0], "编号": f"A9{len(rows)}", name: value})
    return rows


def every(**columns: Any) -> list[dict[str, Any]]:
    """The clean rows with their cells of these columns replaced, in turn, by the values given."""
    rows = small_rows()
    for name, values in columns.items():
        for row, value in zip(rows, values):
            row[name] = value
    return rows


def rejected(case_id: str, **cells: Any) -> dict[str, Any]:
    """A row rejected (its status word unknown) holding these cells: the rejects file shows them as read."""
    return {**small_rows()[0], "编号": case_id, "状态": "待审核", **cells}


TIME_OF_DAY, DURATION = Styled(dt.time(9, 30), "hh:mm"), Styled(dt.timedelta(hours=30, minutes=5), "[h]:mm")
MIXED: dict[str, tuple[list[dict[str, Any]], bool]] = {  # name: (rows, plain)
    # plain: each column of one cell type
    "datetimes at midnight exactly": ([*every(受理时间=[T(2024, 3, 1), T(2024, 3, 1, 10), T(2024, 3, 2), T(2024, 3, 4)],
                                              办结时间=[T(2024, 3, 2), None, None, T(2024, 3, 5)]),
                                       rejected("R1", 受理时间=T(2024, 3, 5), 办结时间=T(2024, 3, 6))], True),
    "datetimes with milliseconds": (every(受理时间=[T(2024, 3, 1, 0, 0, 0, 1000), T(2024, 3, 1, 9, 30, 0, 999000),
                                                T(2024, 3, 2, 11, 0, 0, 500000), T(2024, 3, 4, 8, 0, 0, 1000)],
                                          办结时间=[T(2024, 3, 2, 9, 0, 0, 999000), T(2024, 3, 3), None,
                                                T(2024, 3, 4, 17, 0, 0, 1000)]) + [
                                        rejected("R1", 受理时间=T(2024, 3, 5, 0, 0, 0, 1000),
                                                 办结时间=T(2024, 3, 6, 9, 30, 0, 999000))], True),
    "datetimes a hair from a second": (every(受理时间=[T(2024, 3, 1, 0, 0, 0, 400), T(2024, 3, 1, 9, 29, 59, 999600),
                                                   T(2024, 3, 1, 23, 59, 59, 999600), T(2024, 3, 4, 8, 0, 0, 499)],
                                             办结时间=[T(2024, 3, 1, 23, 59, 59, 999999), None, None,
                                                   T(2024, 3, 4, 23, 59, 59, 999500)]) + [
                                           rejected("R1", 受理时间=T(2024, 3, 5, 0, 0, 0, 400),
                                                    办结时间=T(2024, 3, 5, 23, 59, 59, 999600)),
                                           rejected("R2", 受理时间=T(2024, 3, 5, 9, 29, 59, 999600),
                                                    办结时间=T(2024, 3, 6, 0, 0, 0, 499))], True),
    "date-only formats": (every(受理时间=[Styled(T(2024, 3, 1, 9), DATE), Styled(T(2024, 3, 1), DATE),
                                      T(2024, 3, 2, 11), Styled(T(2024, 3, 4, 8, 0, 0, 1000), DATE)],
                                办结时间=[Styled(T(2024, 3, 2), DATE), Styled(T(2024, 3, 3, 9), "yyyy/m/d"), None,
                                      Styled(T(2024, 3, 5), "m月d日")]) + [
                              rejected("R1", 受理时间=Styled(T(2024, 3, 5, 9), DATE),
                                       办结时间=Styled(T(2024, 3, 6), "yyyy/m/d"))], True),
    "datetimes outside the years a ledger holds": (also(受理时间=[T(1901, 1, 1), T(2199, 12, 31, 23, 59, 59),
                                                              T(2200, 1, 1), T(9999, 12, 31)]), True),
    "ids as numbers": (every(编号=[1001, 1.5, 1e15, -3]), True),
    "ids as numbers, one written again": (every(编号=[1001, 1002, 1001.0, 0]), True),
    "units and categories as numbers": (every(单位=[101, 102, 101, 2.5], 分类=[1, 1, 2, 12345678901234567890]), True),
    "returns as numbers": (also(退单=[2.0, 2.5, -1, 1e20, 0.0, 3]), True),
    "phones and ID numbers as numbers": (every(电话=[13812345678, 8613812345678, 123456789012345678, 0],
                                               身份证=[372524198703151234, None, 37252419870315, 1e18]), True),
    "yes/no as booleans": (every(合理=[True, False, None, True]), True),
    "yes/no as numbers": (every(合理=[1, 0, 1.0, 2]), True),
    "times all text": (every(受理时间=["2024-03-01 09:00:00", "2024/3/1 10:30", "2024-03-02", "２０２４-03-04 08:00"],
                             办结时间=["2024-03-02 09:00:00", "2024-02-30 10:00:00", "", "20240304"]), True),
    "text at its edges and not NFC": (every(单位=[" 县人社局", "新城街道\u3000", "Cafe\u0301", "Café"],
                                            编号=["A1", " A2", "A3\t", "A4"]), True),
    # not plain: cells of several types in a column, or cells the column path does not read
    "datetime and text in a time column": (every(受理时间=[T(2024, 3, 1, 9), "2024-03-01 10:30:00",
                                                       "2024-03-02 11:00:00", T(2024, 3, 4)]), False),
    "numbers and text in an id column": (every(编号=[1001, "1002", "A3", 1002.0]), False),
    "an id as a number and as text": ([*small_rows(), {**small_rows()[0], "编号": 1001},
                                       {**small_rows()[0], "编号": "1001"}], False),
    "a serial in a time column": (also(受理时间=[45356.5, 45356.0, 45352.999999, 20240305, 20240230]), False),
    "serials out of range": (also(受理时间=[0, -1, 0.5, 2958466, 3e6], 办结时间=[1e300]), False),
    "serials only": (every(受理时间=[45352.375, 45352.4375, 45353.458333333336, 45355.333333333336]), False),
    "a time of day": (also(受理时间=[TIME_OF_DAY], 办结时间=[TIME_OF_DAY], 单位=[TIME_OF_DAY]), False),
    "a duration": (also(受理时间=[DURATION], 办结时间=[DURATION], 单位=[DURATION], 退单=[DURATION]), False),
    "an error cell": (also(受理时间=[NA], 办结时间=[NA], 单位=[NA], 编号=[NA], 退单=[NA], 合理=[NA], 状态=[NA]), False),
    "an error cell in every column": (also(**{name: [NA] for name in SMALL_HEADER}), False),
    "a boolean in the status column": (also(状态=[True, False]), False),
    "booleans where text is": (also(单位=[True], 分类=[False], 编号=[True], 电话=[True]), False),
    "a boolean in a time column": (also(受理时间=[True], 办结时间=[False]), False),
    "white space in a datetime column": (also(受理时间=[" ", "\u3000"], 办结时间=["\t"]), False),
    "white space in a number column": (every(退单=[0, " ", 1, "\u3000"], 电话=[13812345678, " ", None, "  "]), False),
    "a datetime where text is": (also(单位=[T(2024, 3, 1, 9)], 分类=[T(2024, 3, 1)], 编号=[T(2024, 3, 1, 9, 30)]),
                                 False),
    "a number as text in a returns column": (every(退单=[0, "1", 2, " 3 "]), False),
    "a totals row": ([*small_rows(), {"编号": "合计", "受理时间": 4, "退单": 1}], False),
}


@pytest.mark.parametrize("name", list(MIXED))
def test_mixed_cells(tmp_path, monkeypatch, name):
    rows, plain = MIXED[name]
    export, mapfile = small_workbook(tmp_path, rows)
    check(tmp_path, monkeypatch, export, mapfile, plain, without_rejects=False)
    both_ways(tmp_path, monkeypatch, "summary", export, "--map", mapfile, "--format", "json")


def test_the_1904_date_system(tmp_path, monkeypatch):
    """Datetime cells (at midnight, a hair from a second, date-only formats) and serial numbers."""
    for name in ("datetimes at midnight exactly", "datetimes a hair from a second", "a serial in a time column",
                 "serials only", "date-only formats"):
        export, mapfile = small_workbook(tmp_path, MIXED[name][0], date_1904=True)
        check(tmp_path, monkeypatch, export, mapfile, False, commands=COMMANDS[:2], without_rejects=False)


def test_the_platform_s_workbook(tmp_path, monkeypatch):
    """exports.write_xlsx: title rows, a notes sheet, times as datetime cells, text and a serial; both date systems."""
    for date_1904 in (False, True):
        workbook = exports.write_xlsx(tmp_path / f"工单明细-{date_1904}.xlsx", date1904=date_1904)
        check(tmp_path, monkeypatch, str(workbook), write_map(tmp_path, exports.MAP), False)


# == Layouts =======================================================================================
def base() -> tuple[list[Any], list[list[Any]], str]:
    """A plain workbook's header, rows and map (seed 4: times as datetime cells)."""
    rng = random.Random(4)
    shape = dataclasses.replace(shape_of(rng), **FULL, bad=0.05, rows=40, header="plain")
    rows = export_rows(rng, shape)
    typing = dataclasses.replace(typing_of(rng, True), times="datetime", ids="text")
    return list(COLUMNS), typed_rows(rng, typing, rows), map_text(shape)


def with_source(text: str, line: str) -> str:
    return text.replace("source:", "source:\n  " + line, 1)


def column_inserted(header: list[Any], rows: list[list[Any]], at: int, name: Any, cell: Any
                    ) -> list[list[Any]]:
    return [header[:at] + [name] + header[at:]] + [row[:at] + [cell] + row[at:] for row in rows]


TITLE_ROW = [Merged(TITLE, len(COLUMNS))]
NOTES = [["本表由 12345 平台导出，仅供统计使用。"], [], ["工单编号", "受理时间"]]
# name: (the sheets, from the header and rows; the map, from the map; plain)
Layout = Callable[[list[Any], list[list[Any]]], dict[str, list[list[Any]]]]
LAYOUTS: dict[str, tuple[Layout, Callable[[str], str], bool]] = {
    "header at A1": (lambda h, rows: {"工单明细": [h, *rows]}, str, True),
    "header names spaced": (lambda h, rows: {"工单明细": [[f" {n}" if i % 3 == 0 else f"{n}\u3000" if i % 3 == 1
                                                       else n for i, n in enumerate(h)], *rows]}, str, True),
    "a header name twice": (lambda h, rows: {"工单明细": column_inserted(h, rows, len(h), "承办单位", "另一单位")},
                            str, False),
    "a header name twice, the first one read": (
        lambda h, rows: {"工单明细": column_inserted(h, rows, 0, "受理时间", T(2023, 1, 1))}, str, False),
    "an empty header cell": (lambda h, rows: {"工单明细": column_inserted(h, rows, 5, None, "x")}, str, True),
    "an empty column inside": (lambda h, rows: {"工单明细": column_inserted(h, rows, 5, None, None)}, str, True),
    "formatted empty rows below": (lambda h, rows: {"工单明细": [h, *rows] + [[Styled(None, DATETIME)] * len(h)] * 30},
                                   str, True),
    "a title row above (header row 2)": (lambda h, rows: {"工单明细": [TITLE_ROW, h, *rows]}, str, True),
    "two title rows above (header row 3)": (lambda h, rows: {"工单明细": [TITLE_ROW, ["导出时间：2024-04-01 09:00"], h,
                                                                      *rows]}, str, True),
    "the map's header_row": (lambda h, rows: {"工单明细": [TITLE_ROW, h[:3], h, *rows]},
                             lambda text: with_source(text, "header_row: 3"), True),
    "a notes sheet first": (lambda h, rows: {"说明": NOTES, "工单明细": [h, *rows]}, str, True),
    "the map's sheet by name": (lambda h, rows: {"说明": [h, *rows[:3]], "工单明细": [h, *rows]},
                                lambda text: with_source(text, "sheet: 工单明细"), True),
    "the map's sheet by number": (lambda h, rows: {"说明": [h, *rows[:3]], "工单明细": [h, *rows]},
                                  lambda text: with_source(text, "sheet: 2"), True),
    "a second sheet after": (lambda h, rows: {"工单明细": [h, *rows], "上月": [h, *rows[5:]]}, str, True),
    "empty rows before": (lambda h, rows: {"工单明细": [[], [], h, *rows]}, str, True),
    "an empty column before": (lambda h, rows: {"工单明细": [[None, *row] for row in [h, *rows]]}, str, False),
    "empty rows and columns before": (lambda h, rows: {"工单明细": [[], *[[None, None, *row] for row in [h, *rows]]]},
                                      str, False),
    "cells past the header": (lambda h, rows: {"工单明细": [h, *[row + [None, "多余"] if i % 4 == 0 else row
                                                             for i, row in enumerate(rows)]]}, str, True),
    "a sheet with only its header": (lambda h, rows: {"工单明细": [h]}, str, False),
    "an empty sheet": (lambda h, rows: {"工单明细": []}, str, False),
    "an empty sheet before": (lambda h, rows: {"空": [], "工单明细": [h, *rows]}, str, False),
    "only blank and totals rows": (lambda h, rows: {"工单明细": [h, [], [" "] * len(h), ["合计", 3]]}, str, False),
}


@pytest.mark.parametrize("name", list(LAYOUTS))
def test_layouts(tmp_path, monkeypatch, name):
    layout, mapped, plain = LAYOUTS[name]
    header, rows, text = base()
    export = write_workbook(tmp_path / "layout.xlsx", layout(header, rows))
    check(tmp_path, monkeypatch, export, write_map(tmp_path, mapped(text)), plain, without_rejects=False)


# == Hostile XML: xlsxwriter's parts rewritten =======================================================
SHEET, STRINGS = "xl/worksheets/sheet1.xml", "xl/sharedStrings.xml"


def _rows_of(xml: str) -> tuple[str, list[str], str]:
    head, _, rest = xml.partition("<sheetData>")
    body, _, tail = rest.partition("</sheetData>")
    return head + "<sheetData>", re.findall(r"<row [^>]*>.*?</row>|<row [^>]*/>", body), "</sheetData>" + tail


def _edit_sheet(change: Callable[[str], str]) -> Callable[[dict[str, str]], None]:
    def edit(parts: dict[str, str]) -> None:
        parts[SHEET] = change(parts[SHEET])
    return edit


def _edit_rows(change: Callable[[list[str]], list[str]]) -> Callable[[dict[str, str]], None]:
    def edit(parts: dict[str, str]) -> None:
        head, rows, tail = _rows_of(parts[SHEET])
        parts[SHEET] = head + "".join(change(rows)) + tail
    return edit


def _edit_strings(change: Callable[[int, str], str]) -> Callable[[dict[str, str]], None]:
    """Each shared string's inner XML (`<t>…</t>`) changed by change(index, inner)."""
    def edit(parts: dict[str, str]) -> None:
        count = iter(range(1 << 30))
        parts[STRINGS] = re.sub(r"<si>(.*?)</si>", lambda m: "<si>" + change(next(count), m[1]) + "</si>",
                                parts[STRINGS], flags=re.DOTALL)
    return edit


def _shared(parts: dict[str, str]) -> list[str]:
    return re.findall(r"<si>(.*?)</si>", parts[STRINGS], flags=re.DOTALL)


def _inline(parts: dict[str, str]) -> None:
    strings = _shared(parts)
    parts[SHEET] = re.sub(r'<c r="([A-Z]+[0-9]+)"( s="[0-9]+")? t="s"><v>([0-9]+)</v></c>',
                          lambda m: f'<c r="{m[1]}"{m[2] or ""} t="inlineStr"><is>{strings[int(m[3])]}</is></c>',
                          parts[SHEET])


def _runs(_index: int, inner: str) -> str:
    """A string as two rich-text runs (the first bold) when it is two characters or more, entity-free."""
    match = re.fullmatch(r"<t( xml:space=\"preserve\")?>([^&<]{2,})</t>", inner)
    if match is None:
        return inner
    space, text = match[1] or "", match[2]
    return (f'<r><rPr><b/><sz val="11"/><rFont val="宋体"/></rPr><t{space}>{text[:1]}</t></r>'
            f'<r><t{space}>{text[1:]}</t></r>')


def _phonetic(_index: int, inner: str) -> str:
    return inner + '<rPh sb="0" eb="1"><t>ﾄｳｼﾞｮｳ</t></rPh><phoneticPr fontId="1" type="noConversion"/>'


def _replace_string(old: str, new: str) -> Callable[[dict[str, str]], None]:
    """A shared string's text replaced (`new` as written inside <t>, or a whole element when it starts with <)."""
    def edit(parts: dict[str, str]) -> None:
        assert f"<t>{old}</t>" in parts[STRINGS], old
        parts[STRINGS] = parts[STRINGS].replace(f"<t>{old}</t>", new if new.startswith("<") else
                                                f'<t xml:space="preserve">{new}</t>')
    return edit


def _cell(ref: str, xml: str) -> Callable[[dict[str, str]], None]:
    """The cell at `ref` (which must exist) replaced by `xml`."""
    def edit(parts: dict[str, str]) -> None:
        parts[SHEET], count = re.subn(rf'<c r="{ref}"[^>]*?(?:/>|>.*?</c>)', xml, parts[SHEET])
        assert count == 1, ref
    return edit


def _both(*edits: Callable[[dict[str, str]], None]) -> Callable[[dict[str, str]], None]:
    def edit(parts: dict[str, str]) -> None:
        for one in edits:
            one(parts)
    return edit


LONG = "投诉" * 20_000  # 40,000 characters
HOSTILE: dict[str, Callable[[dict[str, str]], None]] = {
    "rows out of order": _edit_rows(lambda rows: [rows[0], *reversed(rows[1:])]),
    "the header row last": _edit_rows(lambda rows: [*rows[1:], rows[0]]),
    "a row number twice": _edit_rows(lambda rows: [*rows[:3], rows[2], *rows[3:]]),
    "cells out of order in a row": _edit_rows(
        lambda rows: [re.sub(r"(<row [^>]*>)(.*)(</row>)", lambda m: m[1] + "".join(reversed(re.findall(
            r"<c .*?</c>|<c [^>]*/>", m[2]))) + m[3], row) for row in rows]),
    "cells without r": _edit_sheet(lambda xml: re.sub(r'<c r="[A-Z]+[0-9]+"', "<c", xml)),
    "rows and cells without r": _edit_sheet(lambda xml: re.sub(r'<(c|row) r="[A-Z]*[0-9]+"', r"<\1", xml)),
    "inline strings": _inline,
    "rich-text runs": _edit_strings(_runs),
    "phonetic runs": _edit_strings(_phonetic),
    "rich text, phonetic runs and inline strings": _both(_edit_strings(_runs), _edit_strings(_phonetic), _inline),
    "_x000D_ escapes": _both(_replace_string("铜城街道", "铜城_x000D_街道"),
                             _replace_string("路灯", "第一行_x000D_\n第二行_x0009_完_x005F_x000D__x00G1_"),
                             _replace_string("A2", "A_x0032_")),
    "_x000D_ at a unit's edge": _replace_string("新城街道", "_x000D_新城街道_x000a_"),
    "spaces kept by xml:space": _replace_string("县人社局", "\t 县人社局 \n"),
    "an empty shared string": _replace_string("市场监管", "<t/>"),
    "a 40,000-character summary": _replace_string("欠薪", LONG),
    "a 40,000-character unit": _replace_string("新城街道", LONG),
    "a t=d date cell": _both(_cell("B3", '<c r="B3" t="d"><v>2024-03-01T10:30:00</v></c>'),
                             _cell("G3", '<c r="G3" t="d"><v>2024-03-03</v></c>')),
    "a t=e error cell": _both(_cell("B4", '<c r="B4" t="e"><v>#VALUE!</v></c>'),
                              _cell("A5", '<c r="A5" t="e"><v>#REF!</v></c>')),
    "a t=str formula cell": _cell("D2", '<c r="D2" t="str"><f>"县人"&amp;"社局"</f><v>县人社局</v></c>'),
    "a number in exponent form": _both(_cell("J2", '<c r="J2"><v>1.3812345678E10</v></c>'),
                                       _cell("H3", '<c r="H3"><v>1E0</v></c>')),
    "a t=n cell without a value": _cell("B5", '<c r="B5" s="1" t="n"/>'),
    "a dimension that lies": _edit_sheet(lambda xml: re.sub(r'<dimension ref="[^"]*"/>', '<dimension ref="A1:B2"/>',
                                                            xml)),
    "no dimension": _edit_sheet(lambda xml: re.sub(r'<dimension ref="[^"]*"/>', "", xml)),
    "a shared string index past the table": _cell("C2", '<c r="C2" t="s"><v>999</v></c>'),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_xml(tmp_path, monkeypatch, name):
    export, mapfile = small_workbook(tmp_path, small_rows())
    rewrite(export, HOSTILE[name])
    check(tmp_path, monkeypatch, export, mapfile, False, without_rejects=False)
    both_ways(tmp_path, monkeypatch, "summary", export, "--map", mapfile, "--format", "json")


def test_a_truncated_workbook(tmp_path, monkeypatch):
    export, mapfile = small_workbook(tmp_path, small_rows())
    data = Path(export).read_bytes()
    for size in (len(data) // 2, len(data) - 30):
        Path(export).write_bytes(data[:size])
        outcome = both_ways(tmp_path, monkeypatch, "summary", export, "--map", mapfile, "--format", "json")
        assert outcome.exit_code != 0


# == A bigger workbook =============================================================================
def test_a_bigger_workbook(tmp_path, monkeypatch):
    rng = random.Random(7)
    shape = dataclasses.replace(shape_of(rng), rows=12_000, bad=0.0, odd=0.02, header="plain")
    rows = export_rows(rng, shape)
    typing = dataclasses.replace(typing_of(rng, True), times="datetime")
    export = write_workbook(tmp_path / "big.xlsx", {"工单明细": [list(COLUMNS), *typed_rows(rng, typing, rows)]})
    mapfile = write_map(tmp_path, map_text(shape))
    check(tmp_path, monkeypatch, export, mapfile, plain_for(typing, mapfile),
          commands=(("summary", "--format", "partial"), ("summary", "--format", "json")), without_rejects=False)


# == .xls: by row ==================================================================================
def test_an_xls_goes_by_row(tmp_path, monkeypatch):
    workbook = exports.write_xls(tmp_path / "工单明细.xls")
    mapfile = write_map(tmp_path, exports.MAP)
    outcome = both_ways(tmp_path, monkeypatch, "summary", str(workbook), "--map", mapfile, "--rejects",
                        f"{OUT}/rejects.csv", "--format", "partial")
    assert outcome.exit_code == 0 and not outcome.column_path


def test_a_plain_xls_goes_by_row(tmp_path, monkeypatch):
    rng = random.Random(12)
    shape = dataclasses.replace(shape_of(rng), rows=40)
    rows = export_rows(rng, shape)
    typing = typing_of(rng, True)
    export = write_xls(tmp_path / "plain.xls", [list(COLUMNS), *typed_rows(rng, typing, rows)])
    mapfile = write_map(tmp_path, map_text(shape))
    for outcome in check(tmp_path, monkeypatch, export, mapfile, False):
        assert not outcome.column_path
