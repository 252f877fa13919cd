#!/usr/bin/env python3
"""The export path against a column engine: `summary EXPORT --map MAP` beside a polars script (issue 29).

    /work/venv/bin/python bench/columns.py                         # 356,000 cases, 3 rounds
    /work/venv/bin/python bench/columns.py --keep /tmp/eng-data    # reuse (or write) the export there
    /work/venv/bin/python bench/columns.py --cases 5000 --rounds 1 # a quick run
    /work/venv/bin/python bench/columns.py --baseline /work/main/grassroots_report.py \\
        --polars-python /tmp/engvenv/bin/python --xlsx-rounds 3

Run it with the tool's own Python (one with pyarrow and numpy: the tool is run
with this script's Python, imported from its checkout as the installed
`grassroots-report` imports it, so it needs no install).  polars runs with another one, --polars-python (default
/tmp/engvenv/bin/python; the polars steps are skipped, with a note, when that
Python has no polars):

    python3 -m venv /tmp/engvenv && /tmp/engvenv/bin/pip install polars fastexcel

It writes one export of N cases three ways, as bench/engines.py does (its
Export: a UTF-8 CSV, the same in GB18030, an .xlsx with datetime cells;
gen_ledger.py's cases under import.py's 18 columns), into a temporary
directory or --keep DIR, where engines.py's files are reused while their
stamp (cases, seed, format) matches.  Then, once, outside the timings:

  map       `grassroots_report.py map EXPORT.csv`, its placeholders filled
            (jurisdiction 峄城区, the status word 已撤件 -> withdrawn, the
            channel 其他 -> other); a copy with `source: {encoding: gb18030}`
            for the GB18030 file; the CSV's map serves the .xlsx as well
  ledger    `grassroots_report.py import EXPORT.csv --map MAP -o LEDGER.yaml`,
            kept in --keep DIR while the export, the map and the tool are the
            same (else rewritten)

and times, each command a subprocess of bench/run.py's fresh helper (its own
peak RSS, from wait4), every step once a round, in turn, --rounds rounds:

  floor           csv.reader iterating the CSV's rows (engines.py's FLOOR_CSV)
  polars-csv      a polars script (POLARS_FIGURES below) reading the CSV, every
                  column as text, and computing per 承办单位: received,
                  withdrawn, resolved, open, on time, response in time,
                  answered, satisfied, distinct callers, the resolution and
                  satisfaction rates and a rank by resolution rate, as JSON
  ours-csv-json   grassroots_report.py summary EXPORT.csv --map MAP --format json
  ours-csv-table  the same, --format table
  ours-gbk        the GB18030 CSV under the gb18030 map, --format json
  polars-xlsx     the polars script on the .xlsx (read_excel, calamine)
  ours-xlsx       summary EXPORT.xlsx --map MAP --format json; only in the first
                  --xlsx-rounds rounds (default: every round if its first run
                  took under 20 s, else that one run: the per-row path takes
                  about a minute)
  yaml-now        grassroots_report.py summary LEDGER.yaml --format json
  yaml-before     the same with --baseline's tool (another checkout, default
                  /work/main/grassroots_report.py: the main branch)

The result is a Markdown table on stdout: each step's best wall time, its ratio
to polars-csv (to polars-xlsx for the .xlsx steps), every round's wall time and
the peak RSS over the rounds; then the issue's targets, each met or not (ours
within 5x of polars on the CSV, within 2x on the .xlsx, peak RSS under 400 MB,
the YAML path no slower than before), a sanity check and the machine.  The
sanity check holds polars' per-unit received, resolved and open to the ones
engines.py counted while writing the export, and every JSON summary's per-unit
received and resolved to polars' (or, without polars, to those counts): a
mismatch is a line under the table, not a failure (it is no figure-for-figure
comparison: the tool's deadlines follow a workday calendar, the script's do
not).  A command that fails shows as `exit N` (or `bad output`) in its cell,
its last stderr line listed under the table; the benchmark still exits 0.
The tools are hashed before every run: a note says so when one changed during
the run (someone editing the module meanwhile).  Progress goes to stderr.
"""
from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import importlib.util
import json
import os
import platform
import py_compile
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
import engines  # noqa: E402
from run import TOOL, Measurement, failure, log, run_once  # noqa: E402

DEFAULT_POLARS = "/tmp/engvenv/bin/python"
DEFAULT_BASELINE = "/work/main/grassroots_report.py"
JURISDICTION = "峄城区"
FILL_VALUES = {"已撤件": "withdrawn", "其他": "other"}  # the words `map` leaves as placeholders in this export
CSV_TARGET, XLSX_TARGET, RSS_TARGET_MB = 5.0, 2.0, 400.0
YAML_NOISE = 0.05  # yaml-now up to 5% over yaml-before is called "within noise", not "slower"
SLOW_XLSX = 20.0  # seconds: an ours-xlsx run slower than this is not repeated unless --xlsx-rounds says so
LEDGER_FORMAT = 1  # of the kept ledger's stamp

# ---------------------------------------------------------------------------
# The polars script: argv[1] the export, argv[2] "csv" or "xlsx"; prints {unit: figures} as JSON

POLARS_FIGURES = """\
import json, sys
import polars as pl

path, kind = sys.argv[1], sys.argv[2]
TIMES = ["受理时间", "派发时间", "承诺完成时间", "办结时间", "回访时间"]
if kind == "csv":
    frame = pl.read_csv(path, infer_schema=False)  # every column as text, empty cells null
    def when(name):
        return pl.col(name).str.strptime(pl.Datetime("us"), "%Y-%m-%d %H:%M:%S", strict=False)
    def day(name):  # a date (2024-01-15), or the date of a time
        return pl.col(name).str.slice(0, 10).str.strptime(pl.Date, "%Y-%m-%d", strict=False)
else:
    frame = pl.read_excel(path, engine="calamine", schema_overrides={name: pl.Datetime("ms") for name in TIMES})
    def when(name):
        return pl.col(name).cast(pl.Datetime("us"))
    def day(name):
        return pl.col(name).dt.date()

status, answer = pl.col("办件状态"), pl.col("是否满意")
received, dispatched, finished = when("受理时间"), when("派发时间"), when("办结时间")
done = status == "已办结"
# due: the end of the day promised (承诺完成时间) when given, else of the 5th day after the day received
due_day = pl.coalesce(day("承诺完成时间").cast(pl.Datetime("us")), received.dt.truncate("1d") + pl.duration(days=5))
due = due_day + pl.duration(days=1) - pl.duration(seconds=1)
# response: dispatched, else resolved for a resolved case, within 2 hours of received
first = pl.when(dispatched.is_not_null()).then(dispatched).when(done).then(finished)
answered = done & answer.is_in(["满意", "基本满意", "不满意"])
out = frame.group_by("承办单位").agg(
    pl.len().alias("received"),
    (status == "已撤件").sum().alias("withdrawn"),
    done.sum().alias("resolved"),
    (status == "办理中").sum().alias("open"),
    (done & (finished <= due)).sum().alias("on_time"),
    ((first - received) <= pl.duration(hours=2)).sum().alias("response_in_time"),
    answered.sum().alias("answered"),
    (answered & answer.is_in(["满意", "基本满意"])).sum().alias("satisfied"),
    pl.col("诉求人电话").drop_nulls().n_unique().alias("callers"),
).with_columns(
    pl.when(pl.col("received") > pl.col("withdrawn"))
      .then(pl.col("resolved") / (pl.col("received") - pl.col("withdrawn"))).alias("resolution_rate"),
    pl.when(pl.col("answered") > 0).then(pl.col("satisfied") / pl.col("answered")).alias("satisfaction_rate"),
).with_columns(
    pl.col("resolution_rate").rank("min", descending=True).alias("rank"),
).sort("rank", "承办单位")
figures = {row.pop("承办单位"): row for row in out.iter_rows(named=True)}
print(json.dumps(figures, ensure_ascii=False))
"""

# ---------------------------------------------------------------------------
# The map and the ledger


def sha256(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def fill_map(text: str) -> str:
    """`map`'s output with its placeholders filled: the jurisdiction and the unmapped words FILL_VALUES names."""
    text, n = re.subn(r'(?m)^(\s*jurisdiction:\s*)"请填写[^"\n]*"', rf"\g<1>{JURISDICTION}", text)
    if n != 1:
        raise SystemExit("columns.py: no jurisdiction placeholder (jurisdiction: \"请填写...\") in the map `map` wrote")
    for word, value in FILL_VALUES.items():
        text = re.sub(rf'(?m)^(\s*)#\s*"{re.escape(word)}":\s*\?.*$', rf'\g<1>"{word}": {value}', text)
    left = re.findall(r'(?m)^\s*#\s*"[^"\n]+":\s*\?', text)
    if left:
        raise SystemExit(f"columns.py: placeholders left in the map: {', '.join(s.strip() for s in left)}")
    return text


def with_encoding(text: str, encoding: str) -> str:
    """The map with `source.encoding` set (the line `map` writes under source:)."""
    text, n = re.subn(r'(?m)^(  encoding:\s*).*$', rf'\g<1>"{encoding}"', text)
    if n != 1:
        raise SystemExit("columns.py: no `encoding:` line under source in the map")
    return text


def write_maps(export: engines.Export, directory: Path) -> tuple[Path, Path]:
    """The filled map of the export (UTF-8 CSV, also used for the .xlsx) and its GB18030 copy."""
    done = subprocess.run([sys.executable, str(TOOL), "map", str(export.csv)], check=False, capture_output=True)
    if done.returncode:
        raise SystemExit(f"columns.py: `map {export.csv}` failed: {done.stderr.decode('utf-8', 'replace')[-500:]}")
    text = fill_map(done.stdout.decode("utf-8"))
    gbk = with_encoding(text, "gb18030")
    for t, encoding in ((text, "utf-8"), (gbk, "gb18030")):
        source = (yaml.safe_load(t) or {}).get("source") or {}
        if str(source.get("encoding")).lower() != encoding:
            raise SystemExit(f"columns.py: the filled map says source.encoding {source.get('encoding')!r}, "
                             f"not {encoding!r}")
    utf8_map = directory / f"columns-{export.n}.map.yaml"
    gbk_map = directory / f"columns-{export.n}-gb18030.map.yaml"
    utf8_map.write_text(text, encoding="utf-8")
    gbk_map.write_text(gbk, encoding="utf-8")
    return utf8_map, gbk_map


def ensure_ledger(export: engines.Export, map_path: Path, directory: Path, timeout: float) -> Path:
    """`import EXPORT.csv --map MAP -o LEDGER.yaml`, reused while the export, the map and the tool are the same."""
    ledger = directory / f"columns-{export.n}.ledger.yaml"
    stamp_path = directory / f"columns-{export.n}.ledger.stamp.json"
    stamp = {"format": LEDGER_FORMAT, "export": export.stamp(), "map": sha256(map_path), "tool": sha256(TOOL)}
    try:
        if json.loads(stamp_path.read_text(encoding="utf-8")) == stamp and ledger.exists():
            log(f"{ledger.name}: reused")
            return ledger
    except (OSError, ValueError):
        pass
    stamp_path.unlink(missing_ok=True)  # written last: its presence says the ledger is whole
    writing = ledger.with_suffix(".writing.yaml")
    start = time.perf_counter()
    done = subprocess.run([sys.executable, str(TOOL), "import", str(export.csv), "--map", str(map_path),
                           "-o", str(writing)], check=False, capture_output=True, timeout=timeout)
    if done.returncode:
        raise SystemExit(f"columns.py: `import` failed: {done.stderr.decode('utf-8', 'replace')[-500:]}")
    writing.replace(ledger)
    stamp_path.write_text(json.dumps(stamp), encoding="utf-8")
    log(f"{ledger.name}: written by `import` in {time.perf_counter() - start:.1f} s "
        f"({ledger.stat().st_size / 1e6:.0f} MB)")
    return ledger


# ---------------------------------------------------------------------------
# The steps

PerUnit = dict[str, tuple[int, int]]  # unit -> (received, resolved)


@dataclass
class Step:
    cmd: list[str]
    verify: Callable[[bytes], str] | None
    reference: str | None  # the step its ratio is to
    rounds: int | None = None  # None: every round


class Seen:
    """Per-unit (received, resolved) from each step's output, kept by the verifiers for the sanity check."""

    def __init__(self) -> None:
        self.per_unit: dict[str, PerUnit] = {}
        self.polars_open: dict[str, dict[str, int]] = {}

    def summary(self, name: str, n: int) -> Callable[[bytes], str]:
        """A JSON summary of all N cases; its per-unit figures kept."""
        def verify(stdout: bytes) -> str:
            try:
                summary = json.loads(stdout)
                received = summary["totals"]["received"]
                units = {u["name"]: (u["received"], u["resolved"]) for u in summary["groups"]["unit"]}
            except (ValueError, KeyError, TypeError) as e:
                return f"stdout is not the JSON summary ({type(e).__name__}: {e})"
            if received != n:
                return f"totals.received is {received!r}, not {n}"
            self.per_unit[name] = units
            return ""
        return verify

    def polars(self, name: str) -> Callable[[bytes], str]:
        def verify(stdout: bytes) -> str:
            try:
                figures = json.loads(stdout)
                self.per_unit[name] = {u: (f["received"], f["resolved"]) for u, f in figures.items()}
                self.polars_open[name] = {u: f["open"] for u, f in figures.items()}
            except (ValueError, KeyError, TypeError, AttributeError) as e:
                return f"stdout is not the polars figures ({type(e).__name__}: {e})"
            return ""
        return verify


def table_output(stdout: bytes) -> str:
    return "" if stdout.strip() else "no table on stdout"


def polars_missing(python: str) -> str:
    """'' when `python` imports polars and fastexcel, else why not."""
    if not Path(python).exists():
        return f"{python} does not exist"
    done = subprocess.run([python, "-c", "import polars, fastexcel"], check=False, capture_output=True, text=True)
    if done.returncode:
        lines = done.stderr.strip().splitlines()
        return f"{python} cannot import polars and fastexcel ({lines[-1] if lines else f'exit {done.returncode}'})"
    return ""


def make_steps(export: engines.Export, maps: tuple[Path, Path], ledger: Path, n: int, polars: str | None,
               baseline: Path | None, seen: Seen) -> dict[str, Step]:
    utf8_map, gbk_map = maps
    py = sys.executable

    for tool in (TOOL, baseline):
        if tool is not None:
            # the bytecode written once, as pip writes it when it installs: PYTHONDONTWRITEBYTECODE (set on the
            # machines here) would otherwise have every run compile the module afresh (0.18 s)
            py_compile.compile(str(tool), cfile=importlib.util.cache_from_source(str(tool)), doraise=True)

    def ours(*args: str, tool: Path = TOOL) -> list[str]:
        # as the installed `grassroots-report` runs it: the module imported, its bytecode cached (above), not
        # the file compiled afresh as a script, which costs 0.2 s and 40 MB more at a module of this size
        return [py, "-c", "import sys; sys.path.insert(0, sys.argv.pop(1)); import grassroots_report as g; "
                "sys.exit(g.main(sys.argv[1:]))", str(tool.parent), *args]

    steps = {"floor": Step([py, "-c", engines.program(engines.FLOOR_CSV, ENCODING="utf-8"), str(export.csv)],
                           None, "polars-csv")}
    if polars:
        steps["polars-csv"] = Step([polars, "-c", POLARS_FIGURES, str(export.csv), "csv"], seen.polars("polars-csv"),
                                   "polars-csv")
    steps["ours-csv-json"] = Step(ours("summary", str(export.csv), "--map", str(utf8_map), "--format", "json"),
                                  seen.summary("ours-csv-json", n), "polars-csv")
    steps["ours-csv-table"] = Step(ours("summary", str(export.csv), "--map", str(utf8_map), "--format", "table"),
                                   table_output, "polars-csv")
    steps["ours-gbk"] = Step(ours("summary", str(export.gbk), "--map", str(gbk_map), "--format", "json"),
                             seen.summary("ours-gbk", n), "polars-csv")
    if polars:
        steps["polars-xlsx"] = Step([polars, "-c", POLARS_FIGURES, str(export.xlsx), "xlsx"],
                                    seen.polars("polars-xlsx"), "polars-xlsx")
    steps["ours-xlsx"] = Step(ours("summary", str(export.xlsx), "--map", str(utf8_map), "--format", "json"),
                              seen.summary("ours-xlsx", n), "polars-xlsx")
    steps["yaml-now"] = Step(ours("summary", str(ledger), "--format", "json"), seen.summary("yaml-now", n),
                             "polars-csv")
    if baseline:
        steps["yaml-before"] = Step(ours("summary", str(ledger), "--format", "json", tool=baseline),
                                    seen.summary("yaml-before", n), "polars-csv")
    return steps


def in_rounds(steps: dict[str, Step], rounds: int, xlsx_rounds: int | None, timeout: float,
              watched: list[Path]) -> tuple[dict[str, list[Measurement]], list[str]]:
    """Every step once a round, in turn (a failed step is not run again; ours-xlsx as --xlsx-rounds says).

    Returns every run of each step, and notes: how many rounds ours-xlsx had, and when a file in
    `watched` (the tools) changed between two runs, as it does when someone edits the module meanwhile.
    """
    runs: dict[str, list[Measurement]] = {name: [] for name in steps}
    notes: list[str] = []
    hashes = {path: sha256(path) for path in watched}
    xlsx_note = ""
    for number in range(1, rounds + 1):
        for name, step in steps.items():
            if runs[name] and not runs[name][-1].ok:
                continue
            if name == "ours-xlsx" and runs[name]:
                cap = xlsx_rounds if xlsx_rounds is not None else (
                    rounds if runs[name][0].seconds < SLOW_XLSX else 1)
                if len(runs[name]) >= cap:
                    continue
            for path, digest in hashes.items():
                if sha256(path) != digest:
                    hashes[path] = sha256(path)
                    notes.append(f"**{path} changed during the run** (before round {number}'s {name}): "
                                 "the timings mix two versions of it.")
                    log(f"note: {path} changed during the run")
            log(f"  round {number}/{rounds}: {name} ...")
            runs[name].append(run_once(step.cmd, timeout, step.verify))
    done = len(runs.get("ours-xlsx", []))
    if "ours-xlsx" in steps and done < rounds:
        first = runs["ours-xlsx"][0]
        why = (f"--xlsx-rounds {xlsx_rounds}" if xlsx_rounds is not None
               else f"its first run took {first.seconds:.0f} s (over {SLOW_XLSX:.0f} s); --xlsx-rounds N for more"
               if first.ok else "it failed")
        xlsx_note = f"ours-xlsx ran in {done} of the {rounds} rounds: {why}."
    return runs, [xlsx_note, *notes] if xlsx_note else notes


# ---------------------------------------------------------------------------
# The report

def best(ms: list[Measurement]) -> Measurement | None:
    """The fastest of the runs, with the largest peak RSS; None when a run failed or none ran."""
    if not ms or not all(m.ok for m in ms):
        return None
    fastest = min(ms, key=lambda m: m.seconds)
    return Measurement(fastest.seconds, max(m.rss_mb for m in ms), 0)


def results_table(steps: dict[str, Step], runs: dict[str, list[Measurement]]) -> list[str]:
    lines = ["| step | best wall s | ratio to polars | wall s, round by round | peak RSS MB |",
             "|---|---|---|---|---|"]
    for name, ms in runs.items():
        walls = ", ".join(f"{m.seconds:.2f}" if m.ok else failure(m) for m in ms)
        b = best(ms)
        if b is None:
            bad = next((m for m in ms if not m.ok), None)
            lines.append(f"| {name} | {failure(bad) if bad else 'not run'} | | {walls} | — |")
            continue
        ref = best(runs.get(steps[name].reference or "", []))
        ratio = "—" if ref is None else f"{b.seconds / ref.seconds:.2f}× {steps[name].reference}"
        lines.append(f"| {name} | {b.seconds:.2f} | {ratio} | {walls} | {b.rss_mb:.0f} |")
    return lines


def targets(runs: dict[str, list[Measurement]], polars_note: str, baseline_note: str) -> list[str]:
    b = {name: best(ms) for name, ms in runs.items()}

    def verdict(ok: bool) -> str:
        return "**met**" if ok else "**not met**"

    def ratio_target(ours: str, theirs: str, limit: float, what: str) -> str:
        if b.get(ours) is None or b.get(theirs) is None:
            missing = polars_note if theirs not in runs else f"{ours if b.get(ours) is None else theirs} failed"
            return f"- {what}: not measured ({missing})"
        r = b[ours].seconds / b[theirs].seconds
        return (f"- {what}: {ours} {b[ours].seconds:.2f} s against {theirs} {b[theirs].seconds:.2f} s, "
                f"ratio {r:.2f} (target ≤ {limit:g}): {verdict(r <= limit)}")

    lines = [ratio_target("ours-csv-json", "polars-csv", CSV_TARGET, "CSV within 5× of polars"),
             ratio_target("ours-csv-table", "polars-csv", CSV_TARGET, "CSV within 5× of polars, --format table"),
             ratio_target("ours-gbk", "polars-csv", CSV_TARGET,
                          "GB18030 CSV within 5× of polars (polars on the UTF-8 file; not an issue target)"),
             ratio_target("ours-xlsx", "polars-xlsx", XLSX_TARGET, ".xlsx within 2× of polars")]
    rss = [f"{name} {b[name].rss_mb:.0f} MB" + ("" if b[name].rss_mb < RSS_TARGET_MB else " (over)")
           for name in ("ours-csv-json", "ours-csv-table", "ours-gbk", "ours-xlsx") if b.get(name)]
    csv_ok = [b[name].rss_mb < RSS_TARGET_MB for name in ("ours-csv-json", "ours-csv-table") if b.get(name)]
    all_ok = [b[name].rss_mb < RSS_TARGET_MB for name in ("ours-csv-json", "ours-csv-table", "ours-gbk", "ours-xlsx")
              if b.get(name)]
    if csv_ok:
        lines.append(f"- peak RSS of our summary under {RSS_TARGET_MB:.0f} MB: {', '.join(rss)}: "
                     f"on the CSV {verdict(all(csv_ok))}; on every export file {verdict(all(all_ok))}")
    else:
        lines.append("- peak RSS of our summary: not measured (the CSV summary failed)")
    now, before = b.get("yaml-now"), b.get("yaml-before")
    if now is None or before is None:
        why = baseline_note if "yaml-before" not in runs else "a YAML step failed"
        lines.append(f"- YAML ledger path no slower than before: not measured ({why})")
    else:
        r = now.seconds / before.seconds
        state = ("**met**" if r <= 1 else f"**met, within noise** (≤ +{YAML_NOISE:.0%})" if r <= 1 + YAML_NOISE
                 else "**not met**")
        lines.append(f"- YAML ledger path no slower than before: yaml-now {now.seconds:.2f} s, yaml-before "
                     f"{before.seconds:.2f} s, ratio {r:.3f}: {state}; peak RSS {now.rss_mb:.0f} MB now, "
                     f"{before.rss_mb:.0f} MB before")
    return lines


def sanity(seen: Seen, expected: engines.Figures, runs: dict[str, list[Measurement]]) -> list[str]:
    """Polars' per-unit received/resolved/open against the export's counts; ours against polars'."""
    truth: PerUnit = {u: (c[0], c[1]) for u, c in expected.items()}
    lines = []

    def differ(a: PerUnit, b: PerUnit) -> str:
        for unit in sorted(set(a) | set(b)):
            if a.get(unit) != b.get(unit):
                n = sum(1 for u in set(a) | set(b) if a.get(u) != b.get(u))
                return f"{n} unit(s) differ, e.g. {unit}: {a.get(unit)} against {b.get(unit)}"
        return ""

    for name in ("polars-csv", "polars-xlsx"):
        if name in seen.per_unit:
            got = differ(seen.per_unit[name], truth)
            opened = {u: seen.polars_open[name].get(u) for u in expected}
            wrong_open = [u for u in expected if opened[u] != expected[u][2]]
            if got or wrong_open:
                lines.append(f"- mismatch: {name}'s (received, resolved) against the export's own counts: "
                             f"{got or 'equal'}; open differs for {len(wrong_open)} unit(s)")
    reference = "polars-csv" if "polars-csv" in seen.per_unit else None
    against = seen.per_unit.get("polars-csv", truth)
    checked = []
    for name in ("ours-csv-json", "ours-gbk", "ours-xlsx", "yaml-now", "yaml-before"):
        if name not in seen.per_unit:
            if name in runs:
                lines.append(f"- {name}: no JSON to check (the step failed)")
            continue
        got = differ(seen.per_unit[name], against)
        if got:
            lines.append(f"- mismatch: {name}'s per-unit (received, resolved) against "
                         f"{reference or 'the export counts'}: {got}")
        else:
            checked.append(name)
    if checked:
        whose = f"{reference}'s" if reference else "the export's own counts (no polars)"
        lines.append(f"- per-unit received and resolved equal {whose} for {', '.join(checked)} ({len(against)} units)")
    return lines


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def version_of(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def python_version_of(python: str, dist: str) -> str:
    code = f"import importlib.metadata as m, platform; print(m.version({dist!r}), platform.python_version())"
    done = subprocess.run([python, "-c", code], check=False, capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else "?"


def checkout(path: Path) -> str:
    """'abc1234' (with ', uncommitted changes' when the file differs from HEAD) for a file in a git checkout."""
    here = path.parent
    head = subprocess.run(["git", "-C", str(here), "rev-parse", "--short", "HEAD"], check=False,
                          capture_output=True, text=True)
    if head.returncode:
        return "not a git checkout"
    dirty = subprocess.run(["git", "-C", str(here), "diff", "--quiet", "HEAD", "--", path.name], check=False).returncode
    return head.stdout.strip() + (", uncommitted changes" if dirty else "")


# ---------------------------------------------------------------------------
# Command line

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=356_000, help="cases in the export (default 356000)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds, best kept (default 3)")
    parser.add_argument("--xlsx-rounds", type=int, default=None, metavar="N",
                        help="rounds of ours-xlsx (default: every round if its first run took under "
                             f"{SLOW_XLSX:.0f} s, else 1)")
    parser.add_argument("--seed", type=int, default=1, help="gen_ledger's seed (default 1)")
    parser.add_argument("--keep", type=Path, default=None, metavar="DIR",
                        help="write the export, map and ledger into DIR and keep them (the export reused while "
                             "engines.py's stamp matches, the ledger while the export, map and tool do)")
    parser.add_argument("--polars-python", default=DEFAULT_POLARS, metavar="PATH",
                        help=f"a Python with polars and fastexcel (default {DEFAULT_POLARS})")
    parser.add_argument("--baseline", type=Path, default=Path(DEFAULT_BASELINE), metavar="PATH",
                        help=f"the grassroots_report.py of the checkout before (default {DEFAULT_BASELINE})")
    parser.add_argument("--timeout", type=float, default=900, help="seconds before one run is killed (default 900)")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.cases < 1 or (args.xlsx_rounds is not None and args.xlsx_rounds < 1):
        parser.error("--rounds, --xlsx-rounds and --cases must be at least 1")

    started = time.perf_counter()
    polars_note = polars_missing(args.polars_python)
    polars = None if polars_note else args.polars_python
    baseline = args.baseline.resolve() if args.baseline.exists() else None
    baseline_note = "" if baseline else f"no baseline tool at {args.baseline}"
    if polars_note:
        log(f"note: polars steps skipped: {polars_note}")
    if baseline_note:
        log(f"note: yaml-before skipped: {baseline_note}")
    load_before = os.getloadavg()

    with tempfile.TemporaryDirectory(prefix="grassroots-columns-") as scratch:
        directory = args.keep.resolve() if args.keep else Path(scratch) / "data"
        export = engines.Export(directory, args.cases, args.seed)
        expected = export.ensure()
        maps = write_maps(export, directory)
        ledger = ensure_ledger(export, maps[0], directory, args.timeout)
        seen = Seen()
        steps = make_steps(export, maps, ledger, args.cases, polars, baseline, seen)
        log(f"{args.cases:,} cases, {args.rounds} rounds:")
        runs, notes = in_rounds(steps, args.rounds, args.xlsx_rounds, args.timeout,
                                [TOOL, *([baseline] if baseline else [])])
        sizes = ", ".join(f"{p.name} {p.stat().st_size / 1e6:.1f} MB"
                          for p in (export.csv, export.gbk, export.xlsx, ledger))
    load_after = os.getloadavg()

    rounds = f"{args.rounds} interleaved round{'s' if args.rounds > 1 else ''}"
    out = [(f"**Issue 29: the export path against polars**, {args.cases:,} cases ({len(expected)} units; {sizes}); "
            f"{rounds}, each step a fresh subprocess; best wall time kept, peak RSS the largest over the rounds"), ""]
    out += results_table(steps, runs)
    if polars_note:
        notes.append(f"polars-csv and polars-xlsx skipped: {polars_note}; no ratios.")
    if baseline_note:
        notes.append(f"yaml-before skipped: {baseline_note}.")
    failures = [f"- {name}: {failure(m)}: {m.bad_output or m.stderr_tail or '(no stderr)'}"
                for name, ms in runs.items() for m in ms if not m.ok]
    if notes:
        out += [""] + notes
    if failures:
        out += ["", "Failures:", *failures]
    out += ["", "Targets:", *targets(runs, polars_note, baseline_note)]
    out += ["", "Sanity check (received and resolved per unit; not figure for figure):",
            *sanity(seen, expected, runs)]
    polars_version = python_version_of(polars, "polars").split() if polars else []
    out += ["", "Machine: " + f"{cpu_model()}, {os.cpu_count()} CPUs ({len(os.sched_getaffinity(0))} usable), "
            f"{platform.system()} {platform.release()}; load average {load_before[0]:.2f} before, "
            f"{load_after[0]:.2f} after",
            (f"Ours: Python {platform.python_version()} ({sys.executable}), pyarrow {version_of('pyarrow')}, "
             f"numpy {version_of('numpy')}, fastexcel {version_of('fastexcel')}, PyYAML {yaml.__version__}; tool {TOOL} ({checkout(TOOL)})"),
            "Polars: " + (f"polars {polars_version[0]} on Python {polars_version[1]} ({polars}), fastexcel "
                          f"{python_version_of(polars, 'fastexcel').split()[0]}" if len(polars_version) == 2
                          else "skipped"),
            "Before: " + (f"{baseline} ({checkout(baseline)})" if baseline else "skipped"),
            f"Total time of the run: {time.perf_counter() - started:.0f} s"]
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
