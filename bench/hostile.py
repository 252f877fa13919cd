#!/usr/bin/env python3
"""Peak memory of the worst inputs each reader accepts or refuses (bad input, round three).

    python bench/hostile.py

Builds, in a scratch folder, and runs `grassroots_report.py import` (or `merge`) on each,
as subprocesses measured by bench/run.py (wall time, the child's own peak RSS):

  xlsx near the inflation limit   a sheet whose XML inflates to 500 MiB of whitespace
  xlsx past the inflation limit   the same at 600 MiB (refused)
  xlsx at the cell limit          two cells, A1 and T1000000: 20,000,000 cells spanned
  xlsx past the cell limit        A1 and XFD1048576 (refused before the reader sees it)
  csv with 1 MiB cells            50 rows, each with a 1,000,000-character complaint
  csv with a quote never closed   the quote swallowing 1.2 M characters (refused at its row)
  merge of a forged partial       a histogram claiming 10^12 durations (refused)

and prints a Markdown table: what happened (exit code), seconds, peak RSS.
"""
from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent / "tests"))
from run import TOOL, run_once  # noqa: E402

import exports  # noqa: E402  (tests/exports.py: the hostile workbook writer)


def whitespace_sheet(path: Path, mebibytes: int) -> Path:
    """A workbook whose sheet inflates to `mebibytes` MiB: the cells, then whitespace, written in pieces."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, text in exports.XLSX_PARTS.items():
            archive.writestr(name, text)
        head, tail = exports.sheet_xml().split("</sheetData>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            part.write(head.encode())
            block = b" " * (1 << 20)
            for _ in range(mebibytes):
                part.write(block)
            part.write(("</sheetData>" + tail).encode())
    return path


def forged_partial(directory: Path) -> Path:
    ledger = directory / "one.yaml"
    ledger.write_text("version: 1\njurisdiction: 东阿县\ncases:\n  - {id: A, received: '2024-03-01 09:00', kind: help,"
                      " category: 城乡建设, unit: 铜城街道, status: resolved, resolved: '2024-03-01 10:00'}\n",
                      encoding="utf-8")
    text = subprocess.run([sys.executable, str(TOOL), "summary", str(ledger), "--format", "partial"],
                          capture_output=True, check=True).stdout
    head, _, rest = text.partition(b"\n")
    state = json.loads(rest[len(b'"state":'):-2])
    import grassroots_report as gr  # noqa: PLC0415

    durations = state["tally"]["durations"][0]
    durations[next(iter(durations))] = [gr.pack_ints([3600]), gr.pack_ints([10 ** 12])]
    body = json.dumps(state, ensure_ascii=True, separators=(",", ":")).encode()
    envelope = json.loads(head + b'"state":null}')
    path = directory / "forged.partial"
    path.write_bytes(f'{{"format":{json.dumps(envelope["format"])},"version":{envelope["version"]},"tool":"x",'
                     f'"sha256":"{hashlib.sha256(body).hexdigest()}",\n"state":'.encode() + body + b"}\n")
    return path


def main() -> int:
    sys.path.insert(0, str(BENCH.parent))
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch)
        map_path = directory / "map.yaml"
        map_path.write_text(exports.ONE_COLUMN_MAP, encoding="utf-8")
        csv_map = directory / "csv-map.yaml"
        csv_map.write_text(exports.ONE_COLUMN_MAP + "  summary: 诉求内容\n", encoding="utf-8")
        cases = {
            "xlsx near the inflation limit (500 MiB)": whitespace_sheet(directory / "near.xlsx", 500),
            "xlsx past the inflation limit (600 MiB)": whitespace_sheet(directory / "past.xlsx", 600),
            "xlsx at the cell limit (A1 and T1000000)": exports.write_raw_xlsx(
                directory / "cells.xlsx", exports.sheet_xml(exports.GOOD_CELLS + '<row r="1000000"><c r="T1000000">'
                                                                              '<v>1</v></c></row>')),
            "xlsx past the cell limit (A1 and XFD1048576)": exports.write_raw_xlsx(
                directory / "corner.xlsx", exports.sheet_xml(exports.GOOD_CELLS + '<row r="1048576">'
                                                                                  '<c r="XFD1048576"><v>1</v></c></row>')),
        }
        long_csv = directory / "long.csv"
        long_csv.write_text("工单编号,诉求内容\n" + "".join(f"DZ{i},{'扰' * 1_000_000}\n" for i in range(50)),
                            encoding="utf-8")
        open_csv = directory / "open.csv"
        open_csv.write_text('工单编号,诉求内容\nDZ1,"没有结束\n' + "填充\n" * 400_000, encoding="utf-8")
        for name, export in cases.items():
            rows.append((name, run_once([sys.executable, str(TOOL), "import", str(export), "--map", str(map_path),
                                         "-o", str(directory / "out.yaml")], 600)))
        for name, export in (("csv with 50 cells of 1,000,000 characters", long_csv),
                             ("csv with a quote never closed", open_csv)):
            rows.append((name, run_once([sys.executable, str(TOOL), "import", str(export), "--map", str(csv_map),
                                         "-o", str(directory / "out.yaml")], 600)))
        rows.append(("merge of a partial claiming 10^12 durations", run_once(
            [sys.executable, str(TOOL), "merge", str(forged_partial(directory))], 600)))
    print("| input | exit | seconds | peak RSS MB |")
    print("|---|---|---|---|")
    for name, result in rows:
        print(f"| {name} | {result.exit_code} | {result.seconds:.1f} | {result.rss_mb:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
