#!/usr/bin/env python3
"""Which column engine for the export path: polars, pyarrow and duckdb against the floor (issue 29).

    python bench/engines.py                                  # 356,000 cases, 3 rounds
    python bench/engines.py --cases 5000 --rounds 1          # a quick run
    python bench/engines.py --keep /tmp/engines-data --duckdb15 /tmp/duck15/bin/python
    python bench/engines.py --only cpu --cpu-check-cases 2000

Run it with a Python whose environment has the engines (it installs nothing),
e.g. a scratch venv; a second one, given with --duckdb15, for duckdb 1.5 and
the only excel extension that installs from PyPI (a third party's wheel,
pinned to duckdb 1.5.5; duckdb 2.0 fetches its extensions at first use):

    python3 -m venv /tmp/engvenv
    /tmp/engvenv/bin/pip install polars polars-runtime-compat pyarrow duckdb fastexcel \\
        python-calamine xlsxwriter pyyaml
    python3 -m venv /tmp/duck15
    /tmp/duck15/bin/pip install duckdb==1.5.5 duckdb-extensions==1.5.5 duckdb-extension-excel==1.5.5

It writes one export of N cases three ways, once, into a temporary directory
(or --keep DIR, reused while N and the seed match): a UTF-8 CSV, the same CSV
in GB18030 (what Chinese Windows and Excel write), and an .xlsx with real
datetime cells (xlsxwriter).  The cases are bench/gen_ledger.py's (its
CaseWriter, the same seed and cases as its ledgers: 38 units, open and
withdrawn cases, summaries with commas and line breaks), under
bench/import.py's 18 platform columns (its HEADER).  import.py's own
ensure_export is not used: it writes only an .xlsx, into bench/.data, of three
units whose cases are all resolved a day after they came in, so per-unit
figures would check nothing.  The figures each engine must compute are
counted as the export is written: per 承办单位, the cases received, resolved
(已办结), open (办理中), and resolved within 3 days of 受理时间 (the stand-in
for on time).

Then, each command a subprocess of bench/run.py's fresh helper (its own peak
RSS, from wait4), in interleaved rounds (every step once a round, in turn):

  start-up  `python -c "import X"` for each engine, against `import csv` (the
            floor); best of --startup-rounds
  csv       the floor (csv.reader iterating the rows), the same loop counting the
            figures in Python (the reference), and each engine reading every column
            as text, parsing the two times in bulk (unparsable cells become null,
            as the tool would hand them to its own parser) and counting by unit;
            polars also as a lazy scan_csv counted by its streaming engine
  gbk       the floor, and the engines that read GB18030 without a download
            (polars reads UTF-8 only: the file is transcoded in Python first)
  xlsx      python-calamine's own `to_python()` (the floor), the Python reference
            over its rows, polars.read_excel(engine="calamine") (fastexcel) with
            and without pyarrow installed, fastexcel's Arrow batch counted with
            pyarrow.compute (pyarrow has no xlsx reader of its own), and duckdb's
            excel extension where it loads without a download

For these three it prints the best wall time (and its ratio to the floor's
best), every round's wall time, the best CPU time (user + sys of all the
process's threads, from getrusage, which the program prints as its last line
on stderr: the engines use both cores) and the peak RSS.  Every engine prints
its figures as JSON; a step whose figures differ from those counted while
writing shows as `bad output`, the first difference listed under the tables.
A path that cannot run here (an extension that would be downloaded at first
use) is probed once, outside the timings, and listed with the reason.

  wheels    for each distribution: the version, the wheel `pip download --no-deps`
            fetches for this machine (cp311 manylinux x86_64) and its size, its
            size installed (the files its RECORD lists), and, from PyPI's JSON
            API, the win_amd64 wheel's size and the platforms it publishes wheels
            for (needs PyPI; --no-wheels skips it)
  cpu       each engine on a small export under `qemu-x86_64 -cpu MODEL` (Debian:
            qemu-user), as on an office PC with such a CPU: Penryn (SSE4.1, no
            SSE4.2: Core 2), Nehalem (SSE4.2, no AVX: 1st-generation Core i, and the
            feature level of many Pentium and Celeron chips), SandyBridge (AVX, no
            AVX2) and Haswell (AVX2); --no-cpu-check skips it

--only PART (repeatable) runs only those parts.  Results are a Markdown report
on stdout; progress goes to stderr; --json FILE keeps the raw numbers.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import importlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from pathlib import Path
from typing import Any, Iterator

import yaml

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
import gen_ledger  # noqa: E402
from run import Measurement, failure, log, measure_in_rounds, run_once  # noqa: E402

imports = importlib.import_module("import")  # bench/import.py: the platform's columns (a keyword as a module name)

HEADER: list[str] = imports.HEADER
(ID, RECEIVED, CHANNEL, NAME, PHONE, MAJOR, MINOR, THIRD, SUMMARY, UNIT, DISPATCHED, DEADLINE, STATUS, RESOLVED,
 VISITED, SATISFIED, SOLVED, CITY_NO) = HEADER
STATUS_WORDS = {"resolved": "已办结", "open": "办理中", "withdrawn": "已撤件"}
CHANNEL_WORDS = {"hotline": "电话", "online": "网站", "walk_in": "来访", "letter": "来信", "grid": "网格",
                 "referral": "转办", "other": "其他"}
SATISFACTION_WORDS = {"satisfied": "满意", "basically_satisfied": "基本满意", "dissatisfied": "不满意",
                      "unreachable": "未接通"}
ON_TIME = dt.timedelta(days=3)
FORMAT_VERSION = 1  # of the files this writes; a kept directory with another is rewritten
CHUNK = 2000  # cases rendered and loaded at a time

Figures = dict[str, list[int]]  # unit -> [received, resolved, open, resolved within 3 days]


# ---------------------------------------------------------------------------
# The export

def export_rows(n: int, seed: int) -> Iterator[list[Any]]:
    """The N cases of gen_ledger's writer as rows under HEADER (times as datetimes, a deadline as a date)."""
    writer = gen_ledger.CaseWriter(n, seed)
    for lo in range(0, n, CHUNK):
        text = "cases:\n" + "".join(writer.render(i) for i in range(lo, min(n, lo + CHUNK)))
        for case in yaml.load(text, Loader=yaml.CSafeLoader)["cases"]:
            yield case_row(case)


def when(text: str | None) -> dt.datetime | None:
    """A ledger time ('2024-03-05 09:30', with seconds, or ISO with +08:00) as a naive local datetime."""
    return None if text is None else dt.datetime.fromisoformat(text).replace(tzinfo=None)


def case_row(case: dict[str, Any]) -> list[Any]:
    major, _, minor = case["category"].partition("/")
    requester = case.get("requester") or {}
    visit = (case.get("visits") or [{}])[0]
    solved = visit.get("solved")
    extra = case.get("extra") or {}
    deadline = case.get("deadline")
    cells = {
        ID: case["id"], RECEIVED: when(case["received"]), CHANNEL: CHANNEL_WORDS[case.get("channel", "hotline")],
        NAME: requester.get("name"), PHONE: requester.get("phone"), MAJOR: major, MINOR: minor or None, THIRD: None,
        SUMMARY: case.get("summary"), UNIT: case["unit"], DISPATCHED: when(case.get("dispatched")),
        DEADLINE: dt.date.fromisoformat(deadline) if deadline else None, STATUS: STATUS_WORDS[case["status"]],
        RESOLVED: when(case.get("resolved")), VISITED: when(visit.get("at")),
        SATISFIED: SATISFACTION_WORDS.get(visit.get("satisfaction")),
        SOLVED: None if solved is None else "是" if solved else "否",
        CITY_NO: extra.get("工单编号") or extra.get("source_no"),
    }
    return [cells[name] for name in HEADER]


U, S, R, D = (HEADER.index(name) for name in (UNIT, STATUS, RECEIVED, RESOLVED))


def count(figures: Figures, row: list[Any]) -> None:
    """Add one row to the expected figures (the truth the engines are held to)."""
    c = figures.setdefault(row[U], [0, 0, 0, 0])
    c[0] += 1
    if row[S] == STATUS_WORDS["resolved"]:
        c[1] += 1
        if row[D] - row[R] <= ON_TIME:
            c[3] += 1
    elif row[S] == STATUS_WORDS["open"]:
        c[2] += 1


def text_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")  # 2024-03-05 09:30:00: the ledger's times are whole seconds
    return str(value)


class Export:
    """The files of one export and the figures counted while writing them."""

    def __init__(self, directory: Path, n: int, seed: int):
        self.dir = directory
        self.n, self.seed = n, seed
        self.csv = directory / f"export-{n}.csv"
        self.gbk = directory / f"export-{n}-gb18030.csv"
        self.xlsx = directory / f"export-{n}.xlsx"
        self.figures_path = directory / f"export-{n}.figures.json"

    def stamp(self) -> dict[str, Any]:
        return {"format": FORMAT_VERSION, "cases": self.n, "seed": self.seed}

    def load(self) -> Figures | None:
        """The figures of a complete earlier write with the same stamp, else None."""
        try:
            kept = json.loads(self.figures_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if kept.get("stamp") != self.stamp() or not all(p.exists() for p in (self.csv, self.gbk, self.xlsx)):
            return None
        return kept["figures"]

    def write(self) -> Figures:
        import xlsxwriter

        self.dir.mkdir(parents=True, exist_ok=True)
        self.figures_path.unlink(missing_ok=True)  # written last: its presence says the files are whole
        figures: Figures = {}
        start = time.perf_counter()
        book = xlsxwriter.Workbook(str(self.xlsx), {"constant_memory": True})
        sheet = book.add_worksheet("工单明细")
        time_format = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        date_format = book.add_format({"num_format": "yyyy-mm-dd"})
        sheet.write_row(0, 0, HEADER)
        with open(self.csv, "w", encoding="utf-8", newline="") as utf8, \
                open(self.gbk, "w", encoding="gb18030", newline="") as gbk:
            writers = (csv.writer(utf8), csv.writer(gbk))  # quoted where needed, lines ending \r\n
            for w in writers:
                w.writerow(HEADER)
            for r, row in enumerate(export_rows(self.n, self.seed), start=1):
                count(figures, row)
                texts = [text_cell(v) for v in row]
                for w in writers:
                    w.writerow(texts)
                for c, value in enumerate(row):
                    if value is None:
                        continue
                    if isinstance(value, dt.datetime):
                        sheet.write_datetime(r, c, value, time_format)
                    elif isinstance(value, dt.date):
                        sheet.write_datetime(r, c, dt.datetime.combine(value, dt.time()), date_format)
                    else:
                        sheet.write_string(r, c, value)
        book.close()
        self.figures_path.write_text(json.dumps({"stamp": self.stamp(), "figures": figures}, ensure_ascii=False),
                                     encoding="utf-8")
        log(f"export of {self.n:,} cases written in {time.perf_counter() - start:.1f} s: "
            + ", ".join(f"{p.name} {p.stat().st_size / 1e6:.1f} MB" for p in (self.csv, self.gbk, self.xlsx)))
        return figures

    def ensure(self) -> Figures:
        figures = self.load()
        if figures is not None:
            log(f"export of {self.n:,} cases in {self.dir}: reused")
            return figures
        return self.write()


# ---------------------------------------------------------------------------
# The programs measured: each reads argv[1] and prints its figures as JSON

def program(code: str, **names: str) -> str:
    """`code` with @UNIT@, @STATUS@ ... replaced by the export's column names and words."""
    words = {"UNIT": UNIT, "STATUS": STATUS, "RECEIVED": RECEIVED, "RESOLVED": RESOLVED,
             "DONE": STATUS_WORDS["resolved"], "OPEN": STATUS_WORDS["open"], **names}
    return re.sub(r"@(\w+)@", lambda m: words[m.group(1)], code)


PRINT = "print(json.dumps(figures, ensure_ascii=False, sort_keys=True))\n"
# The last line on stderr: the process's own CPU seconds, all its threads (user + sys), which a shared
# machine disturbs less than the wall time of a program that runs on both cores.
CPU_TAIL = """
import resource as _resource, sys as _sys
_usage = _resource.getrusage(_resource.RUSAGE_SELF)
print(f"cpu {_usage.ru_utime + _usage.ru_stime:.3f}", file=_sys.stderr)
"""

FLOOR_CSV = """\
import csv, sys
with open(sys.argv[1], encoding="@ENCODING@", newline="") as f:
    sum(1 for _ in csv.reader(f))
"""

# the pure-Python count of one row (TIME: how a cell becomes a datetime), shared by the CSV and xlsx floors
COUNT_ROW = """\
c = figures.get(row[u])
if c is None:
    c = figures[row[u]] = [0, 0, 0, 0]
c[0] += 1
if row[s] == "@DONE@":
    c[1] += 1
    if row[d] and row[r] and TIME(row[d]) - TIME(row[r]) <= limit:
        c[3] += 1
elif row[s] == "@OPEN@":
    c[2] += 1
"""

PYTHON_CSV = """\
import csv, json, sys
from datetime import datetime, timedelta
parse, limit = datetime.fromisoformat, timedelta(days=3)
figures = {}
with open(sys.argv[1], encoding="utf-8", newline="") as f:
    rows = csv.reader(f)
    header = next(rows)
    u, s, r, d = (header.index(name) for name in ("@UNIT@", "@STATUS@", "@RECEIVED@", "@RESOLVED@"))
    for row in rows:
""" + textwrap.indent(COUNT_ROW.replace("TIME", "parse"), "        ") + PRINT

POLARS_FIGURES = """\
done = pl.col("@STATUS@") == "@DONE@"
out = frame.group_by("@UNIT@").agg(
    pl.len().alias("received"), done.sum().alias("resolved"), (pl.col("@STATUS@") == "@OPEN@").sum().alias("open"),
    (done & ((resolved - received) <= pl.duration(days=3))).sum().alias("on_time"))
if isinstance(out, pl.LazyFrame):
    out = out.collect(engine="streaming")
figures = {row[0]: list(row[1:]) for row in out.iter_rows()}
"""

POLARS_CSV = """\
import json, os, sys
os.environ["POLARS_FORCE_PKG"] = "@RUNTIME@"
import polars as pl
source = sys.argv[1]
if "@ENCODING@" != "utf-8":  # polars reads UTF-8 only: transcode in memory
    with open(source, "rb") as f:
        source = f.read().decode("@ENCODING@").encode("utf-8")
if "@STREAMING@" == "yes":  # a lazy scan counted by the streaming engine, in batches
    frame = pl.scan_csv(source, infer_schema=False)
else:
    frame = pl.read_csv(source, infer_schema=False)  # every column as text, empty cells null
received = pl.col("@RECEIVED@").str.strptime(pl.Datetime("us"), "%Y-%m-%d %H:%M:%S", strict=False)
resolved = pl.col("@RESOLVED@").str.strptime(pl.Datetime("us"), "%Y-%m-%d %H:%M:%S", strict=False)
""" + POLARS_FIGURES + PRINT

POLARS_XLSX = """\
import json, os, sys
os.environ["POLARS_FORCE_PKG"] = "@RUNTIME@"
import polars as pl
if "@PYARROW@" == "no":  # as where pyarrow is not installed: fastexcel hands its columns over by Arrow's C stream
    import polars.io.spreadsheet.functions
    polars.io.spreadsheet.functions._PYARROW_AVAILABLE = False
frame = pl.read_excel(sys.argv[1], engine="calamine",
                   schema_overrides={"@RECEIVED@": pl.Datetime("ms"), "@RESOLVED@": pl.Datetime("ms")})
received, resolved = pl.col("@RECEIVED@"), pl.col("@RESOLVED@")
assert "@PYARROW@" == "yes" or "pyarrow" not in sys.modules
""" + POLARS_FIGURES + PRINT

PYARROW_FIGURES = """\
status = table["@STATUS@"]
done = pc.equal(status, "@DONE@")
gap = pc.subtract(resolved, received)
within = pc.and_kleene(done, pc.less_equal(gap, pa.scalar(timedelta(days=3)).cast(gap.type)))
out = pa.table({"unit": table["@UNIT@"], "done": done, "open": pc.equal(status, "@OPEN@"), "within": within})
out = out.group_by("unit").aggregate([("unit", "count"), ("done", "sum"), ("open", "sum"), ("within", "sum")])
figures = {row["unit"]: [row["unit_count"], row["done_sum"], row["open_sum"], row["within_sum"] or 0]
           for row in out.to_pylist()}
"""

PYARROW_CSV = """\
import json, sys
from datetime import timedelta
import pyarrow as pa, pyarrow.csv as pv, pyarrow.compute as pc
with open(sys.argv[1], "rb") as f:
    names = f.readline().decode("@ENCODING@").lstrip("\\ufeff").rstrip("\\r\\n").split(",")
table = pv.read_csv(sys.argv[1],
                    read_options=pv.ReadOptions(encoding="@ENCODING@"),
                    parse_options=pv.ParseOptions(newlines_in_values=True),  # 诉求内容 has line breaks
                    convert_options=pv.ConvertOptions(column_types={name: pa.string() for name in names},
                                                      strings_can_be_null=True))
parse = lambda name: pc.strptime(table[name], format="%Y-%m-%d %H:%M:%S", unit="s", error_is_null=True)
received, resolved = parse("@RECEIVED@"), parse("@RESOLVED@")
""" + PYARROW_FIGURES + PRINT

PYARROW_XLSX = """\
import json, sys
from datetime import timedelta
import fastexcel, pyarrow as pa, pyarrow.compute as pc
sheet = fastexcel.read_excel(sys.argv[1]).load_sheet(0, dtypes={"@RECEIVED@": "datetime", "@RESOLVED@": "datetime"})
table = sheet.to_arrow()
table = pa.Table.from_batches([table]) if isinstance(table, pa.RecordBatch) else table
received, resolved = table["@RECEIVED@"], table["@RESOLVED@"]
""" + PYARROW_FIGURES + PRINT

DUCKDB_QUERY = """\
SELECT "@UNIT@", count(*),
       count(*) FILTER (WHERE "@STATUS@" = '@DONE@'),
       count(*) FILTER (WHERE "@STATUS@" = '@OPEN@'),
       count(*) FILTER (WHERE "@STATUS@" = '@DONE@' AND epoch(@RESOLVED_AT@) - epoch(@RECEIVED_AT@) <= 259200)
FROM @SOURCE@ GROUP BY 1
"""

DUCKDB_CSV = """\
import json, sys
import duckdb
path = sys.argv[1].replace("'", "''")
query = '''@QUERY@'''.replace("@SOURCE@", f"read_csv('{path}', header = true, all_varchar = true@OPTIONS@)")
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")  # it would print to stdout on a long query
figures = {row[0]: list(row[1:]) for row in con.execute(query).fetchall()}
""" + PRINT

DUCKDB_XLSX = """\
import json, sys
import duckdb
con = duckdb.connect()
con.load_extension("excel")  # installed beforehand from the duckdb-extension-excel wheel (no download)
con.execute("SET enable_progress_bar = false")  # it would print to stdout on a long query
path = sys.argv[1].replace("'", "''")
query = '''@QUERY@'''.replace("@SOURCE@", f"read_xlsx('{path}', header = true, empty_as_varchar = true)")
figures = {row[0]: list(row[1:]) for row in con.execute(query).fetchall()}
""" + PRINT

FLOOR_XLSX = """\
import sys
from python_calamine import CalamineWorkbook
CalamineWorkbook.from_path(sys.argv[1]).get_sheet_by_index(0).to_python()
"""

PYTHON_XLSX = """\
import json, sys
from datetime import datetime, timedelta
from python_calamine import CalamineWorkbook
rows = CalamineWorkbook.from_path(sys.argv[1]).get_sheet_by_index(0).to_python()
header, limit, figures = rows[0], timedelta(days=3), {}
midnight = datetime.min.time()
moment = lambda v: v if isinstance(v, datetime) else datetime.combine(v, midnight)  # a time of 00:00 comes as a date
u, s, r, d = (header.index(name) for name in ("@UNIT@", "@STATUS@", "@RECEIVED@", "@RESOLVED@"))
for row in rows[1:]:
""" + textwrap.indent(COUNT_ROW.replace("TIME", "moment"), "    ") + PRINT


def polars_csv(runtime: str, encoding: str, streaming: bool = False) -> str:
    return program(POLARS_CSV, RUNTIME=runtime, ENCODING=encoding, STREAMING="yes" if streaming else "no")


def duckdb_csv(encoding: str) -> str:
    at = """try_strptime("{}", '%Y-%m-%d %H:%M:%S')"""
    query = program(DUCKDB_QUERY, RESOLVED_AT=at.format(RESOLVED), RECEIVED_AT=at.format(RECEIVED), SOURCE="@SOURCE@")
    options = "" if encoding == "utf-8" else f", encoding = '{encoding}'"
    return program(DUCKDB_CSV, QUERY=query, OPTIONS=options, SOURCE="@SOURCE@")


def duckdb_xlsx() -> str:
    at = 'try_cast("{}" AS TIMESTAMP)'
    query = program(DUCKDB_QUERY, RESOLVED_AT=at.format(RESOLVED), RECEIVED_AT=at.format(RECEIVED), SOURCE="@SOURCE@")
    return program(DUCKDB_XLSX, QUERY=query, SOURCE="@SOURCE@")


# ---------------------------------------------------------------------------
# Which engines run with which Python

class Engines:
    """The Pythons to run each engine with: this one, and --duckdb15's for duckdb 1.5 and its xlsx reader."""

    def __init__(self, duckdb15: str | None):
        self.py = sys.executable
        self.duck15 = duckdb15
        self.notes: list[str] = []  # paths that cannot run here, and why

    def probe(self, python: str, code: str) -> str:
        """'' when `code` runs with `python`, else its last stderr line."""
        done = subprocess.run([python, "-c", code], capture_output=True, text=True, timeout=300)
        if done.returncode == 0:
            return ""
        lines = done.stderr.strip().splitlines()
        return lines[-1][:300] if lines else f"exit {done.returncode}"

    def version(self, python: str, dist: str) -> str:
        done = subprocess.run([python, "-c", f"import importlib.metadata as m; print(m.version({dist!r}))"],
                              capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else ""

    def setup(self) -> None:
        """Probe the paths that may need a download, once, outside the timings."""
        duck = self.version(self.py, "duckdb")
        why = self.probe(self.py, "import duckdb; duckdb.connect().install_extension('excel')")
        self.duck_xlsx = not why  # where the extension could be fetched (a machine online)
        if why:
            self.notes.append(f"duckdb {duck} xlsx: `INSTALL excel` fetches the extension at first use "
                              f"and fails offline: {why}")
        self.duck_gbk = not self.probe(
            self.py, "import duckdb, tempfile, os\n"
                     "p = tempfile.mktemp(suffix='.csv'); open(p, 'wb').write('a\\n中\\n'.encode('gb18030'))\n"
                     "duckdb.sql(f\"select * from read_csv('{p}', encoding = 'gb18030')\").fetchall(); os.remove(p)")
        if not self.duck_gbk:
            self.notes.append(f"duckdb {duck} GB18030 csv: read_csv(encoding = 'gb18030') needs the `encodings` "
                              "extension, fetched at first use (fails offline)")
        self.duck15_xlsx = False
        if self.duck15:
            why = self.probe(self.duck15, "from duckdb_extensions import import_extension\n"
                                          "import_extension('excel')\n"
                                          "import duckdb; duckdb.connect().load_extension('excel')")
            self.duck15_xlsx = not why
            if why:
                self.notes.append(f"duckdb {self.version(self.duck15, 'duckdb')} xlsx: {why}")

    def startup_steps(self) -> dict[str, tuple[list[str], None]]:
        def imp(python: str, code: str) -> tuple[list[str], None]:
            return [python, "-c", code], None

        steps = {
            "floor: import csv": imp(self.py, "import csv"),
            "polars (runtime-32)": imp(self.py, "import os; os.environ['POLARS_FORCE_PKG'] = '32'; import polars"),
            "polars (runtime-compat)": imp(self.py,
                                           "import os; os.environ['POLARS_FORCE_PKG'] = 'compat'; import polars"),
            "pyarrow": imp(self.py, "import pyarrow"),
            "pyarrow.csv + pyarrow.compute": imp(self.py, "import pyarrow.csv, pyarrow.compute"),
            "duckdb": imp(self.py, "import duckdb"),
            "fastexcel": imp(self.py, "import fastexcel"),
            "python_calamine": imp(self.py, "import python_calamine"),
        }
        if self.duck15:
            steps["duckdb 1.5"] = imp(self.duck15, "import duckdb")
        return steps

    def data_steps(self, export: Export, figures: Figures) -> dict[str, dict[str, tuple[list[str], Any]]]:
        """{table: {step: (command, verifier)}} for the CSV, GB18030 and xlsx files."""
        verify = verifier(figures)
        py = self.py

        def run(python: str, code: str, path: Path, check: bool = True) -> tuple[list[str], Any]:
            return [python, "-c", code + CPU_TAIL, str(path)], (verify if check else None)

        csv_steps = {
            "floor: csv.reader": run(py, program(FLOOR_CSV, ENCODING="utf-8"), export.csv, check=False),
            "Python (csv.reader + counting)": run(py, program(PYTHON_CSV), export.csv),
            "polars (runtime-32)": run(py, polars_csv("32", "utf-8"), export.csv),
            "polars (runtime-compat)": run(py, polars_csv("compat", "utf-8"), export.csv),
            "polars (runtime-32, scan_csv + streaming engine)":
                run(py, polars_csv("32", "utf-8", streaming=True), export.csv),
            "pyarrow": run(py, program(PYARROW_CSV, ENCODING="utf-8"), export.csv),
            "duckdb": run(py, duckdb_csv("utf-8"), export.csv),
        }
        if self.duck15:
            csv_steps["duckdb 1.5"] = run(self.duck15, duckdb_csv("utf-8"), export.csv)
        gbk_steps = {
            "floor: csv.reader": run(py, program(FLOOR_CSV, ENCODING="gb18030"), export.gbk, check=False),
            "polars (runtime-32, transcoded in Python)": run(py, polars_csv("32", "gb18030"), export.gbk),
            "pyarrow (ReadOptions(encoding=...))": run(py, program(PYARROW_CSV, ENCODING="gb18030"), export.gbk),
        }
        if self.duck_gbk:
            gbk_steps["duckdb"] = run(py, duckdb_csv("gb18030"), export.gbk)
        xlsx_steps = {
            "floor: calamine to_python()": run(py, FLOOR_XLSX, export.xlsx, check=False),
            "Python (calamine rows + counting)": run(py, program(PYTHON_XLSX), export.xlsx),
            "polars read_excel (calamine, runtime-32; pyarrow installed)":
                run(py, program(POLARS_XLSX, RUNTIME="32", PYARROW="yes"), export.xlsx),
            "polars read_excel (calamine, runtime-32; without pyarrow)":
                run(py, program(POLARS_XLSX, RUNTIME="32", PYARROW="no"), export.xlsx),
            "polars read_excel (calamine, runtime-compat; without pyarrow)":
                run(py, program(POLARS_XLSX, RUNTIME="compat", PYARROW="no"), export.xlsx),
            "pyarrow (fastexcel to_arrow)": run(py, program(PYARROW_XLSX), export.xlsx),
        }
        if self.duck_xlsx:
            xlsx_steps["duckdb read_xlsx (excel extension, fetched online)"] = run(py, duckdb_xlsx(), export.xlsx)
        if self.duck15_xlsx:
            xlsx_steps["duckdb 1.5 read_xlsx (excel extension)"] = run(self.duck15, duckdb_xlsx(), export.xlsx)
        return {"csv": csv_steps, "gbk": gbk_steps, "xlsx": xlsx_steps}


def verifier(expected: Figures):
    def verify(stdout: bytes) -> str:
        try:
            got = json.loads(stdout)
        except ValueError as e:
            return f"stdout is not JSON ({e})"
        return difference(expected, got)

    return verify


def difference(expected: Figures, got: Figures) -> str:
    """'' when equal, else the first difference."""
    if got == expected:
        return ""
    for unit in sorted(set(expected) | set(got)):
        if expected.get(unit) != got.get(unit):
            return f"unit {unit}: expected {expected.get(unit)}, got {got.get(unit)}"
    return "differs"


# ---------------------------------------------------------------------------
# Wheels and platforms

PLATFORMS = [  # (column, test on a wheel file name)
    ("Windows x86-64", lambda f: f.endswith("win_amd64.whl")),
    ("Windows 32-bit", lambda f: f.endswith("win32.whl")),
    ("Windows ARM64", lambda f: f.endswith("win_arm64.whl")),
    ("macOS x86-64", lambda f: "macosx" in f and ("x86_64" in f or "universal2" in f or "intel" in f)),
    ("macOS arm64", lambda f: "macosx" in f and ("arm64" in f or "universal2" in f)),
    ("Linux x86-64 (glibc)", lambda f: "manylinux" in f and "x86_64" in f),
    ("Linux aarch64 (glibc)", lambda f: "manylinux" in f and "aarch64" in f),
    ("Linux musl x86-64", lambda f: "musllinux" in f and "x86_64" in f),
    ("Linux loongarch64", lambda f: "loongarch64" in f),
]


def for_cp311(filename: str) -> bool:
    """A wheel a CPython 3.11 can install: cp311, an abi3 of cp311 or before, or pure Python."""
    m = re.search(r"-(cp|py)(\d+)-(cp\d+|abi3|none)-", filename)
    if not m:
        return False
    kind, version, abi = m.groups()
    if kind == "py":
        return True
    return abi == "cp311" or (abi == "abi3" and int(version) <= 311)


def pypi_files(dist: str, version: str) -> tuple[list[dict[str, Any]], str]:
    """The files of one release, and its requires-python, from PyPI's JSON API."""
    with urllib.request.urlopen(f"https://pypi.org/pypi/{dist}/json", timeout=60) as r:
        files = json.load(r)["releases"].get(version, [])
    return files, next((f["requires_python"] for f in files if f.get("requires_python")), "")


def platform_cell(files: list[str], test) -> str:
    """'yes (manylinux_2_28)' / 'yes' / '—' for the wheels of one platform."""
    hits = [f for f in files if test(f)]
    if not hits:
        return "any (pure Python)" if any(f.endswith("-none-any.whl") for f in files) else "—"
    tags = sorted({m.group(0) for f in hits for m in [re.search(r"(manylinux_\d+_\d+|manylinux\d+|musllinux_\d+_\d+|"
                                                                 r"macosx_\d+_\d+)", f)] if m})
    if len(tags) > 1 and all(t.startswith("manylinux") for t in tags):
        tags = [min(tags, key=lambda t: [int(x) for x in re.findall(r"\d+", t)] or [0])]
    return "yes" + (f" ({', '.join(tags)})" if tags else "")


def installed_size(python: str, dist: str) -> int:
    code = ("import importlib.metadata as m, sys\n"
            "d = m.distribution(sys.argv[1])\n"
            "print(sum(f.locate().stat().st_size for f in d.files or [] if f.locate().exists()))")
    done = subprocess.run([python, "-c", code, dist], capture_output=True, text=True)
    return int(done.stdout) if done.returncode == 0 else 0


def wheel_facts(engines: Engines, scratch: Path) -> list[dict[str, Any]]:
    """Version, wheel downloaded for this machine, size installed and platforms, for each distribution."""
    wanted = [(engines.py, d) for d in ("polars", "polars-runtime-32", "polars-runtime-compat", "pyarrow", "duckdb",
                                        "fastexcel", "python-calamine")]
    if engines.duck15:
        wanted += [(engines.duck15, d) for d in ("duckdb", "duckdb-extensions", "duckdb-extension-excel")]
    facts = []
    for python, dist in wanted:
        version = engines.version(python, dist)
        if not version:
            continue
        log(f"wheels: {dist} {version} ...")
        target = scratch / f"{dist}-{version}"
        done = subprocess.run([python, "-m", "pip", "download", f"{dist}=={version}", "--no-deps",
                               "--only-binary=:all:", "-q", "-d", str(target)], capture_output=True, text=True)
        wheels = list(target.glob("*.whl")) if done.returncode == 0 else []
        fact: dict[str, Any] = {"dist": dist, "version": version,
                                "wheel": wheels[0].name if wheels else f"pip download failed: {done.stderr[-200:]}",
                                "wheel_mb": wheels[0].stat().st_size / 1e6 if wheels else None,
                                "installed_mb": installed_size(python, dist) / 1e6}
        try:
            files, requires = pypi_files(dist, version)
        except OSError as e:
            fact["platforms"] = {name: f"? ({e})" for name, _ in PLATFORMS}
        else:
            names = [f["filename"] for f in files if f["packagetype"] == "bdist_wheel" and for_cp311(f["filename"])]
            fact["requires_python"] = requires
            fact["platforms"] = {name: platform_cell(names, test) for name, test in PLATFORMS}
            win = [f["size"] for f in files if f["filename"] in names and f["filename"].endswith("win_amd64.whl")]
            fact["win_amd64_mb"] = min(win) / 1e6 if win else None
        facts.append(fact)
    for dist in ("polars-lts-cpu",):  # only its latest release, from the JSON API (nothing downloaded)
        try:
            with urllib.request.urlopen(f"https://pypi.org/pypi/{dist}/json", timeout=60) as r:
                version = json.load(r)["info"]["version"]
            files, requires = pypi_files(dist, version)
        except OSError as e:
            log(f"wheels: {dist}: {e}")
            continue
        names = [f["filename"] for f in files if f["packagetype"] == "bdist_wheel" and for_cp311(f["filename"])]
        size = {f["filename"]: f["size"] / 1e6 for f in files}
        here = [n for n in names if "manylinux" in n and "x86_64" in n]
        win = [size[n] for n in names if n.endswith("win_amd64.whl")]
        facts.append({"dist": dist, "version": version, "requires_python": requires,
                      "wheel": f"(latest release; not downloaded) {here[0]}" if here else "—",
                      "wheel_mb": size[here[0]] if here else None, "installed_mb": None,
                      "win_amd64_mb": min(win) if win else None,
                      "platforms": {name: platform_cell(names, test) for name, test in PLATFORMS}})
    return facts


# ---------------------------------------------------------------------------
# CPU features, under qemu's user-mode CPU models

CPU_MODELS = [("Penryn-v1", "SSE4.1, no SSE4.2"), ("Nehalem-v1", "SSE4.2, no AVX"),
              ("SandyBridge-v1", "AVX, no AVX2"), ("Haswell-v1", "AVX2")]


def cpu_check(engines: Engines, small: Export, figures: Figures) -> dict[str, dict[str, str]]:
    """{engine path: {cpu model: 'ok' | 'SIGILL' | ...}} for each engine on the small export."""
    steps = engines.data_steps(small, figures)
    chosen = {name: steps["csv"][name] for name in steps["csv"] if not name.startswith("floor")}
    chosen.update({f"{name} (xlsx)": step for name, step in steps["xlsx"].items() if not name.startswith("floor")})
    results: dict[str, dict[str, str]] = {}
    for name, (cmd, verify) in chosen.items():
        results[name] = {}
        for model, _ in CPU_MODELS:
            log(f"cpu check: {name} on {model} ...")
            try:
                done = subprocess.run(["qemu-x86_64", "-cpu", model, *cmd], capture_output=True, timeout=900)
            except subprocess.TimeoutExpired:
                results[name][model] = "timeout"
                continue
            warned = b"Missing required CPU features" in done.stderr
            if done.returncode == 0:
                bad = verify(done.stdout) if verify else ""
                cell = "ok" if not bad else f"wrong figures ({bad})"
            elif done.returncode in (-4, 132) or b"signal 4" in done.stderr:
                cell = "SIGILL (illegal instruction)"
            else:
                tail = done.stderr.decode("utf-8", "replace").strip().splitlines()
                cell = f"exit {done.returncode}: {tail[-1][:120] if tail else ''}"
            results[name][model] = cell + (", after polars' CPU warning" if warned else "")
    return results


# ---------------------------------------------------------------------------
# The report

def in_rounds(steps: dict[str, tuple[list[str], Any]], rounds: int, timeout: float) -> dict[str, list[Measurement]]:
    """Every step once a round, in turn, `rounds` rounds (as run.py's measure_in_rounds), keeping every run.

    A step that fails is not run again: its list ends with the failed run.
    """
    runs: dict[str, list[Measurement]] = {name: [] for name in steps}
    for number in range(1, rounds + 1):
        for name, (cmd, verify) in steps.items():
            if runs[name] and not runs[name][-1].ok:
                continue
            log(f"  round {number}/{rounds}: {name} ...")
            runs[name].append(run_once(cmd, timeout, verify))
    return runs


def cpu_seconds(m: Measurement) -> float | None:
    found = re.fullmatch(r"cpu (\d+\.\d+)", m.stderr_tail.strip())
    return float(found.group(1)) if found else None


def rounds_table(runs: dict[str, list[Measurement]], floor_name: str) -> list[str]:
    """Best wall (× the floor's best), every round's wall, best CPU, peak RSS."""
    floor = min((m.seconds for m in runs[floor_name] if m.ok), default=None)
    lines = ["| step | best wall s (× floor) | wall s, round by round | best CPU s (user + sys) | peak RSS MB |",
             "|---|---|---|---|---|"]
    for name, ms in runs.items():
        bad = next((m for m in ms if not m.ok), None)
        if bad is not None:
            lines.append(f"| {name} | {failure(bad)} | | | — |")
            continue
        best = min(m.seconds for m in ms)
        ratio = "" if floor is None or name == floor_name else f" (×{best / floor:.2f})"
        cpus = [c for c in map(cpu_seconds, ms) if c is not None]
        lines.append(f"| {name} | {best:.2f}{ratio} | {', '.join(f'{m.seconds:.2f}' for m in ms)} | "
                     f"{min(cpus):.2f} | {max(m.rss_mb for m in ms):.0f} |" if cpus else
                     f"| {name} | {best:.2f}{ratio} | {', '.join(f'{m.seconds:.2f}' for m in ms)} | ? | "
                     f"{max(m.rss_mb for m in ms):.0f} |")
    return lines


def startup_table(results: dict[str, Measurement], floor_name: str) -> list[str]:
    floor = results[floor_name]
    lines = ["| step | best wall ms (± ms over the floor) | peak RSS MB |", "|---|---|---|"]
    for name, m in results.items():
        if failure(m):
            lines.append(f"| {name} | {failure(m)} | — |")
            continue
        over = "" if name == floor_name or failure(floor) else f" ({(m.seconds - floor.seconds) * 1000:+.0f})"
        lines.append(f"| {name} | {m.seconds * 1000:.0f}{over} | {m.rss_mb:.0f} |")
    return lines


PARTS = ["startup", "csv", "gbk", "xlsx", "wheels", "cpu"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=356_000, help="cases in the export (default 356000)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds, best kept (default 3)")
    parser.add_argument("--startup-rounds", type=int, default=10, help="rounds of the start-up steps (default 10)")
    parser.add_argument("--seed", type=int, default=1, help="gen_ledger's seed (default 1)")
    parser.add_argument("--keep", type=Path, default=None, metavar="DIR",
                        help="write the export into DIR and keep it (reused while --cases and --seed match)")
    parser.add_argument("--duckdb15", default=None, metavar="PYTHON",
                        help="a Python with duckdb 1.5.x, duckdb-extensions and duckdb-extension-excel: "
                             "duckdb's xlsx reader and the duckdb that runs without AVX2")
    parser.add_argument("--no-wheels", action="store_true", help="skip pip download and PyPI's JSON API")
    parser.add_argument("--no-cpu-check", action="store_true", help="skip the runs under qemu's CPU models")
    parser.add_argument("--cpu-check-cases", type=int, default=2000, help="cases in the export run under qemu")
    parser.add_argument("--only", choices=PARTS, action="append", default=None,
                        help="run only these parts (repeatable; default all of " + ", ".join(PARTS) + ")")
    parser.add_argument("--timeout", type=float, default=900, help="seconds before one run is killed")
    parser.add_argument("--json", type=Path, default=None, metavar="FILE", help="also write the raw results here")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.startup_rounds < 1 or args.cases < 1:
        parser.error("--rounds, --startup-rounds and --cases must be at least 1")
    only = set(args.only or PARTS)
    only -= {"wheels"} if args.no_wheels else set()
    only -= {"cpu"} if args.no_cpu_check else set()

    engines = Engines(args.duckdb15)
    engines.setup()
    raw: dict[str, Any] = {"python": platform.python_version(), "cpus": os.cpu_count(), "cases": args.cases,
                           "rounds": args.rounds, "notes": engines.notes}
    out: list[str] = []
    failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="grassroots-engines-") as scratch_name:
        scratch = Path(scratch_name)
        export = Export(args.keep.resolve() if args.keep else scratch / "data", args.cases, args.seed)
        figures = export.ensure()
        versions = {d: engines.version(engines.py, d) for d in ("polars", "polars-runtime-32", "polars-runtime-compat",
                                                                "pyarrow", "duckdb", "fastexcel", "python-calamine")}
        if engines.duck15:
            versions["duckdb 1.5"] = engines.version(engines.duck15, "duckdb")
        raw["versions"] = versions
        out.append(f"Python {platform.python_version()}, {os.cpu_count()} CPUs ({platform.machine()}); "
                   + ", ".join(f"{d} {v}" for d, v in versions.items() if v) + ".")
        out.append("")
        sizes = ", ".join(f"{p.name} {p.stat().st_size / 1e6:.1f} MB" for p in (export.csv, export.gbk, export.xlsx))
        out.append(f"Export: {args.cases:,} cases, {len(figures)} units ({sizes}); "
                   f"{sum(c[0] for c in figures.values()):,} received, {sum(c[1] for c in figures.values()):,} "
                   f"resolved, {sum(c[2] for c in figures.values()):,} open, "
                   f"{sum(c[3] for c in figures.values()):,} resolved within 3 days.")

        if "startup" in only:
            log("start-up:")
            results = measure_in_rounds(engines.startup_steps(), args.startup_rounds, args.timeout)
            raw["startup"] = {k: vars(v) for k, v in results.items()}
            out += ["", f"**Start-up**, `python -c \"import X\"`, best of {args.startup_rounds} rounds", ""]
            out += startup_table(results, "floor: import csv")
            failures += [f"- start-up, {k}: {failure(v)}: {v.bad_output or v.stderr_tail}"
                         for k, v in results.items() if failure(v)]
        steps = engines.data_steps(export, figures)
        titles = {"csv": f"**CSV export** (UTF-8, {export.csv.stat().st_size / 1e6:.1f} MB)",
                  "gbk": f"**The same CSV in GB18030** ({export.gbk.stat().st_size / 1e6:.1f} MB)",
                  "xlsx": f"**The same export as .xlsx** ({export.xlsx.stat().st_size / 1e6:.1f} MB)"}
        for key in ("csv", "gbk", "xlsx"):
            if key not in only:
                continue
            log(f"{key}:")
            runs = in_rounds(steps[key], args.rounds, args.timeout)
            raw[key] = {k: [vars(m) for m in ms] for k, ms in runs.items()}
            out += ["", f"{titles[key]}, {args.rounds} rounds; every engine's figures equal the expected ones "
                        "unless its cell says otherwise", ""]
            out += rounds_table(runs, next(iter(steps[key])))
            failures += [f"- {key}, {k}: {failure(m)}: {m.bad_output or m.stderr_tail}"
                         for k, ms in runs.items() for m in ms if failure(m)]

        if "wheels" in only:
            facts = wheel_facts(engines, scratch)
            raw["wheels"] = facts
            out += ["", "**Wheels** (this machine's: `pip download NAME==VERSION --no-deps --only-binary=:all:`; "
                        "installed: the files its RECORD lists; Windows x86-64 wheel from PyPI's JSON API)", "",
                    "| distribution | version | requires-python | wheel here | MB | installed MB | win_amd64 MB |",
                    "|---|---|---|---|---|---|---|"]
            for f in facts:
                cells = [f["dist"], f["version"], f.get("requires_python", ""), f["wheel"],
                         *(mb(f.get(k)) for k in ("wheel_mb", "installed_mb", "win_amd64_mb"))]
                out.append("| " + " | ".join(cells) + " |")
            names = [name for name, _ in PLATFORMS]
            out += ["", "**Wheels a CPython 3.11 can install, by platform** (PyPI's JSON API for that version)", "",
                    "| distribution | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
            for f in facts:
                out.append(f"| {f['dist']} {f['version']} | "
                           + " | ".join(f["platforms"].get(n, "?") for n in names) + " |")

        if "cpu" in only and shutil.which("qemu-x86_64") and platform.machine() == "x86_64":
            small = Export(scratch / "small", args.cpu_check_cases, args.seed)
            small_figures = small.ensure()
            cpu = cpu_check(engines, small, small_figures)
            raw["cpu"] = cpu
            models = [f"{m} ({what})" for m, what in CPU_MODELS]
            out += ["", f"**CPU features**: each engine on a {args.cpu_check_cases:,}-case export under "
                        f"`qemu-x86_64 -cpu MODEL` (qemu-user {qemu_version()})", "",
                    "| engine | " + " | ".join(models) + " |", "|---|" + "---|" * len(models)]
            for name, cells in cpu.items():
                out.append(f"| {name} | " + " | ".join(cells[m] for m, _ in CPU_MODELS) + " |")
            out += ["", "What counts here is whether a build runs on a model at all.  qemu 7.2 is the first qemu "
                        "to emulate AVX2; a figure wrong only under emulation, from a build whose figures are "
                        "right natively (the tables above), is the emulator's, not the engine's."]
        elif "cpu" in only:
            out += ["", "CPU check skipped: qemu-x86_64 is not on PATH (Debian: apt-get install qemu-user)."]

    if engines.notes:
        out += ["", "Not measured here:", *[f"- {n}" for n in engines.notes]]
    if failures:
        out += ["", "Failures:", *failures]
    print("\n".join(out))
    if args.json:
        args.json.write_text(json.dumps(raw, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    return 0


def mb(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def qemu_version() -> str:
    done = subprocess.run(["qemu-x86_64", "--version"], capture_output=True, text=True)
    m = re.search(r"version (\S+)", done.stdout)
    return m.group(1) if m else "?"


if __name__ == "__main__":
    sys.exit(main())
