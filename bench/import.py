#!/usr/bin/env python3
"""Benchmark `grassroots-report import` against the reader's own row iteration.

    python bench/import.py                     # 100,000 rows, 3 rounds
    python bench/import.py --rows 20000 --repeat 5

It writes an N-row, 18-column .xlsx like a 12345 platform's export (datetime
cells, text, a join of three category columns) into bench/.data/ with
xlsxwriter, then times, each as its own subprocess, in rounds:

  floor   python-calamine opening the workbook and iterating every row of
          the sheet (the least any import through this reader can cost)
  import  grassroots_report.py import EXPORT --map MAP -o TMP/ledger.yaml

and prints a Markdown table: seconds (best of the rounds), the ratio to the
floor measured in the same rounds, and each command's own peak RSS.
"""
from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from run import DATA_DIR, log, measure_in_rounds, tool  # noqa: E402

HEADER = ["工单编号", "受理时间", "办件来源", "诉求人", "诉求人电话", "一级分类", "二级分类", "三级分类", "诉求内容",
          "承办单位", "派发时间", "承诺完成时间", "办件状态", "办结时间", "回访时间", "是否满意", "是否解决", "市级编号"]
MAP = """\
import: 1
ledger: {version: 1, jurisdiction: 东阿县}
fields:
  id: 工单编号
  received: 受理时间
  kind: {value: complaint}
  channel: {column: 办件来源, values: {电话: hotline, 微信: online, 网站: online}}
  category: {join: [一级分类, 二级分类, 三级分类]}
  unit: 承办单位
  summary: 诉求内容
  requester.name: 诉求人
  requester.phone: 诉求人电话
  dispatched: 派发时间
  deadline: 承诺完成时间
  status: {column: 办件状态, values: {已办结: resolved}}
  resolved: 办结时间
  visit.at: 回访时间
  visit.satisfaction: {column: 是否满意, values: {满意: satisfied, 基本满意: basically_satisfied, 不满意: dissatisfied}}
  visit.solved: {column: 是否解决, values: {是: true}}
  extra.市级编号: 市级编号
"""
FLOOR_CODE = """\
import sys
from python_calamine import CalamineWorkbook
sheet = CalamineWorkbook.from_path(sys.argv[1]).get_sheet_by_index(0)
sum(1 for _ in sheet.iter_rows())
"""


def ensure_export(rows: int) -> Path:
    path = DATA_DIR / f"export-{rows}.xlsx"
    if path.exists():
        log(f"{path.name}: reused")
        return path
    import xlsxwriter

    DATA_DIR.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial.xlsx")
    workbook = xlsxwriter.Workbook(str(partial), {"constant_memory": True})
    sheet = workbook.add_worksheet("工单明细")
    when = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    sheet.write_row(0, 0, HEADER)
    base = dt.datetime(2024, 3, 1, 8, 0)
    for i in range(1, rows + 1):
        t = base + dt.timedelta(minutes=i % 40_000)
        sheet.write_row(i, 0, [f"DZ{i:08d}"])
        sheet.write_datetime(i, 1, t, when)
        sheet.write_row(i, 2, [("电话", "微信", "网站")[i % 3], "王某某", f"138{i % 100_000_000:08d}",
                               ("城乡建设", "劳动保障", "市场监管")[i % 3], "施工管理", "施工扰民",
                               "来电反映小区附近工地夜间施工噪音扰民，请求处理。", ("铜城街道", "新城街道", "大桥镇")[i % 3]])
        for column, delta in ((10, dt.timedelta(hours=1)), (11, dt.timedelta(days=3))):
            sheet.write_datetime(i, column, t + delta, when)
        sheet.write_string(i, 12, "已办结")
        sheet.write_datetime(i, 13, t + dt.timedelta(days=1), when)
        sheet.write_datetime(i, 14, t + dt.timedelta(days=2), when)
        sheet.write_row(i, 15, [("满意", "基本满意", "不满意")[i % 3], "是", f"S{i}"])
    workbook.close()
    partial.replace(path)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args(argv)
    export = ensure_export(args.rows)
    with tempfile.TemporaryDirectory() as scratch:
        map_path = Path(scratch) / "map.yaml"
        map_path.write_text(MAP, encoding="utf-8")
        steps = {
            "floor": ([sys.executable, "-c", FLOOR_CODE, str(export)], None),
            "import": (tool("import", str(export), "--map", str(map_path), "-o", str(Path(scratch) / "l.yaml")),
                       None),
        }
        results = measure_in_rounds(steps, args.repeat, args.timeout)
    floor = results["floor"]
    print(f"| rows | floor s | import s | import / floor | floor RSS MB | import RSS MB |")
    print("|---|---|---|---|---|---|")
    imp = results["import"]
    ratio = f"×{imp.seconds / floor.seconds:.1f}" if floor.ok and imp.ok else "—"
    print(f"| {args.rows:,} | {floor.seconds:.2f} | {imp.seconds:.2f} | {ratio} | {floor.rss_mb:.0f} | "
          f"{imp.rss_mb:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
