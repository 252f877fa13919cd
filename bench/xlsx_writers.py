"""Which library writes `summary --format xlsx`: xlsxwriter against openpyxl, on the same sheet.

    python bench/xlsx_writers.py [ROWS] [ROUNDS]     (needs both installed; openpyxl only for this)

A sheet like the summary's: a text column, 12 number and percentage columns, a header
row frozen, widths set.  Prints the best of ROUNDS wall time of each, the size of the
file, and whether two runs give the same bytes (the tool's outputs are reproducible).
"""
from __future__ import annotations

import datetime as dt
import io
import sys
import time

ROWS = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 5
DATA = [[f"单位{i}"] + [i * 7 % 1000 for _ in range(6)] + [((i * 13) % 10000) / 10000 for _ in range(6)]
        for i in range(ROWS)]
HEADER = ["单位"] + [f"计数{j}" for j in range(6)] + [f"比率{j}" for j in range(6)]
MOMENT = dt.datetime(2024, 4, 1)


def with_xlsxwriter() -> bytes:
    import xlsxwriter

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    book.set_properties({"created": MOMENT})
    sheet = book.add_worksheet("汇总")
    percent = book.add_format({"num_format": "0.00%"})
    for c, name in enumerate(HEADER):
        sheet.write_string(0, c, name)
    for r, row in enumerate(DATA, 1):
        sheet.write_string(r, 0, row[0])
        for c in range(1, 7):
            sheet.write_number(r, c, row[c])
        for c in range(7, 13):
            sheet.write_number(r, c, row[c], percent)
    sheet.freeze_panes(1, 0)
    sheet.set_column(0, 0, 16)
    book.close()
    return out.getvalue()


def with_openpyxl() -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    book.properties.created = book.properties.modified = MOMENT
    sheet = book.active
    sheet.title = "汇总"
    sheet.append(HEADER)
    for row in DATA:
        sheet.append(row)
    for cells in sheet.iter_rows(min_row=2, min_col=8, max_col=13):
        for cell in cells:
            cell.number_format = "0.00%"
    sheet.freeze_panes = "A2"
    sheet.column_dimensions["A"].width = 16
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


for name, write in (("xlsxwriter", with_xlsxwriter), ("openpyxl", with_openpyxl)):
    best = float("inf")
    outputs = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        outputs.append(write())
        best = min(best, time.perf_counter() - start)
        time.sleep(0.01)
    same = len({o for o in outputs}) == 1
    print(f"{name:10}  best {best:.3f} s  {len(outputs[0]) / 1024:.0f} KiB  same bytes every run: {same}")
