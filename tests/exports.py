"""Platform exports built in the test run (no binary blobs): messy xlsx, xls, GBK csv, NYC 311 csv.

Each builder writes the file and returns its path. The rows are the same in
every format, so the tests can assert one set of cases, rejects and counts.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

HEADER = ["工单编号", "受理时间", "办件来源", "诉求人电话", "一级分类", "二级分类", "三级分类", "诉求内容",
          "承办单位", "派发时间", "办件状态", "办结时间", "回访时间", "是否满意", "是否解决", "市级编号"]
T = dt.datetime
TITLE = "东阿县12345热线工单明细（2024年3月）"
EXPORTED = "导出时间：2024-04-01 09:00"
HEADER_ROW = 3  # two title rows above it


def data_rows(serial_as_number: bool) -> list[list[object]]:
    """The data rows, from sheet row 4 on. `serial_as_number`: row 7's time as an Excel serial."""
    return [
        # 4: datetime cells throughout
        ["DZ001", T(2024, 3, 1, 9, 5), "电话", "13812345678", "城乡建设", "施工管理", "施工扰民",
         "反映工地夜间施工", "铜城街道", T(2024, 3, 1, 9, 30), "已办结", T(2024, 3, 2, 16, 0),
         T(2024, 3, 3, 10, 0), "满意", "是", "S001"],
        # 5: text with slashes, still open
        ["DZ002", "2024/3/2 9:05", "微信", "", "城乡建设", "物业管理", "", "电梯停运", "新城街道",
         "2024/3/2 10:00", "办理中", "", "", "", "", "S002"],
        # 6: Chinese date words; resolved as a compact date
        ["DZ003", "2024年3月3日 9时5分", "电话", "", "劳动保障", "欠薪", "", "讨要工资", "县人社局",
         "", "已办结", "20240305", "", "", "", ""],
        # 7: an Excel serial number (2024-03-05 12:00), resolved in full-width digits
        ["DZ004", 45356.5 if serial_as_number else "2024-03-05 12:00", "电话", "", "市场监管", "", "",
         "商品质量", "县市场监管局", "", "已办结", "２０２４－０３－０６　１０：００", "", "", "", ""],
        # 8: blank
        [""] * len(HEADER),
        # 9: padded cells, a slash inside a level
        ["  DZ005 ", "  2024-03-06 08:00:00  ", "微信", "", "城乡建设", "供水/供暖", "", "停水", "铜城街道",
         "", "办理中", "", "", "", "", ""],
        # 10: an exact duplicate of row 4
        ["DZ001", T(2024, 3, 1, 9, 5), "电话", "13812345678", "城乡建设", "施工管理", "施工扰民",
         "反映工地夜间施工", "铜城街道", T(2024, 3, 1, 9, 30), "已办结", T(2024, 3, 2, 16, 0),
         T(2024, 3, 3, 10, 0), "满意", "是", "S001"],
        # 11: a status the map does not know
        ["DZ006", "2024-03-07 09:00", "电话", "", "城乡建设", "", "", "路灯不亮", "铜城街道", "", "待审核",
         "", "", "", "", ""],
        # 12: resolved before received
        ["DZ007", "2024-03-08 09:00", "电话", "", "城乡建设", "", "", "占道经营", "铜城街道", "", "已办结",
         "2024-03-07 09:00", "", "", "", ""],
        # 13: a day that does not exist
        ["DZ008", "2024/2/30 9:00", "电话", "", "城乡建设", "", "", "噪音", "铜城街道", "", "办理中",
         "", "", "", "", ""],
        # 14: no unit
        ["DZ009", "2024-03-09 09:00", "电话", "", "城乡建设", "", "", "井盖缺失", "", "", "办理中",
         "", "", "", "", ""],
        # 15: an id already written (row 5) with other values
        ["DZ002", "2024-03-10 09:00", "电话", "", "城乡建设", "", "", "另一件事", "新城街道", "", "办理中",
         "", "", "", "", ""],
        # 16: the totals row
        ["合计", "", "", "", "", "", "", "", "", "", "", "", "", "", "", ""],
    ]


MAP = """\
import: 1
ledger:
  version: 1
  jurisdiction: 东阿县
  period: {start: '2024-03-01', end: '2024-03-31'}
source:
  skip_rows_where: {工单编号: [合计, 总计]}
fields:
  id: 工单编号
  received: 受理时间
  kind: {value: complaint}
  channel: {column: 办件来源, values: {电话: hotline, 微信: online}, default: other}
  category: {join: [一级分类, 二级分类, 三级分类]}
  unit: 承办单位
  summary: 诉求内容
  requester.phone: 诉求人电话
  dispatched: 派发时间
  status: {column: 办件状态, values: {已办结: resolved, 办理中: open, 已撤回: withdrawn}}
  resolved: 办结时间
  visit.at: 回访时间
  visit.satisfaction: {column: 是否满意, values: {满意: satisfied, 基本满意: basically_satisfied, 不满意: dissatisfied}}
  visit.solved: {column: 是否解决, values: {是: true, 否: false}}
  extra.市级编号: 市级编号
"""

# What the import must write: the cases of rows 4, 5, 6, 7 and 9.
EXPECTED_CASES = [
    {"id": "DZ001", "received": "2024-03-01 09:05:00", "kind": "complaint", "channel": "hotline",
     "category": "城乡建设/施工管理/施工扰民", "unit": "铜城街道", "summary": "反映工地夜间施工",
     "requester": {"phone": "13812345678"}, "dispatched": "2024-03-01 09:30:00", "status": "resolved",
     "resolved": "2024-03-02 16:00:00", "visits": [{"at": "2024-03-03 10:00:00", "satisfaction": "satisfied",
                                                    "solved": True}],
     "extra": {"市级编号": "S001"}},
    {"id": "DZ002", "received": "2024-03-02 09:05:00", "kind": "complaint", "channel": "online",
     "category": "城乡建设/物业管理", "unit": "新城街道", "summary": "电梯停运", "dispatched": "2024-03-02 10:00:00",
     "status": "open", "extra": {"市级编号": "S002"}},
    {"id": "DZ003", "received": "2024-03-03 09:05:00", "kind": "complaint", "channel": "hotline",
     "category": "劳动保障/欠薪", "unit": "县人社局", "summary": "讨要工资", "status": "resolved",
     "resolved": "2024-03-05"},
    {"id": "DZ004", "received": "2024-03-05 12:00:00", "kind": "complaint", "channel": "hotline",
     "category": "市场监管", "unit": "县市场监管局", "summary": "商品质量", "status": "resolved",
     "resolved": "2024-03-06 10:00:00"},
    {"id": "DZ005", "received": "2024-03-06 08:00:00", "kind": "complaint", "channel": "online",
     "category": "城乡建设/供水／供暖", "unit": "铜城街道", "summary": "停水", "status": "open"},
]

# (sheet row, column letter, column number, fragment of the reason)
EXPECTED_REJECTS = [
    (11, "K", 11, "`待审核`（办件状态）没有对应的值"),
    (12, "L", 12, "早于受理时间"),
    (13, "B", 2, "`2024/2/30 9:00` 不是存在的日期或时间"),
    (14, "I", 9, "缺少必填字段 `unit`"),
    (15, "A", 1, "编号 `DZ002` 已在第 5 行出现，且内容不同"),
]


def write_xlsx(path: Path, date1904: bool = False) -> Path:
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path), {"date_1904": date1904})
    notes = workbook.add_worksheet("说明")
    notes.write(0, 0, "本表由 12345 平台导出，仅供统计使用。")
    sheet = workbook.add_worksheet("工单明细")
    when = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    sheet.merge_range(0, 0, 0, len(HEADER) - 1, TITLE)
    sheet.write_string(1, 0, EXPORTED)
    sheet.write_row(HEADER_ROW - 1, 0, HEADER)
    for offset, row in enumerate(data_rows(serial_as_number=True)):
        r = HEADER_ROW + offset
        for c, value in enumerate(row):
            if isinstance(value, dt.datetime):
                sheet.write_datetime(r, c, value, when)
            elif isinstance(value, float):
                sheet.write_number(r, c, value)
            elif value != "":
                sheet.write_string(r, c, value)
    workbook.close()
    return path


def write_xls(path: Path) -> Path:
    import xlwt

    workbook = xlwt.Workbook(encoding="utf-8")
    workbook.add_sheet("说明").write(0, 0, "本表由 12345 平台导出，仅供统计使用。")
    sheet = workbook.add_sheet("工单明细")
    when = xlwt.easyxf(num_format_str="yyyy-mm-dd hh:mm")
    sheet.write_merge(0, 0, 0, len(HEADER) - 1, TITLE)
    sheet.write(1, 0, EXPORTED)
    for c, name in enumerate(HEADER):
        sheet.write(HEADER_ROW - 1, c, name)
    for offset, row in enumerate(data_rows(serial_as_number=True)):
        for c, value in enumerate(row):
            if isinstance(value, dt.datetime):
                sheet.write(HEADER_ROW + offset, c, value, when)
            elif value != "":
                sheet.write(HEADER_ROW + offset, c, value)
    workbook.save(str(path))
    return path


def csv_text() -> str:
    """The same export as text: title rows, header, rows (times written as text)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([TITLE] + [""] * (len(HEADER) - 1))
    writer.writerow([EXPORTED] + [""] * (len(HEADER) - 1))
    writer.writerow(HEADER)
    for row in data_rows(serial_as_number=False):
        writer.writerow([v.strftime("%Y-%m-%d %H:%M") if isinstance(v, dt.datetime) else v for v in row])
    return buffer.getvalue()


def write_gbk_csv(path: Path) -> Path:
    path.write_bytes(csv_text().encode("gbk"))
    return path


NYC_HEADER = ["Unique Key", "Created Date", "Closed Date", "Agency", "Complaint Type", "Descriptor",
              "Status", "Open Data Channel Type", "Incident Address"]
NYC_ROWS = [
    ["50000001", "05/01/2022 12:00:03 AM", "05/01/2022 02:15:00 AM", "NYPD", "Noise - Street/Sidewalk",
     "Loud Music/Party", "Closed", "PHONE", "123 MAIN STREET"],
    ["50000002", "05/01/2022 12:01:10 AM", "", "HPD", "HEAT/HOT WATER", "ENTIRE BUILDING", "Open", "ONLINE",
     "9 ELM AVENUE"],
    ["50000003", "05/01/2022 01:30:00 PM", "05/02/2022 09:00:00 AM", "DSNY", "Dirty Condition", "Trash",
     "Closed", "MOBILE", "77 OAK PLACE"],
    ["50000004", "05/02/2022 10:00:00 AM", "05/01/2022 10:00:00 AM", "DOT", "Street Condition", "Pothole",
     "Closed", "PHONE", "1 PINE ROAD"],
]
NYC_MAP = """\
import: 1
ledger:
  version: 1
  jurisdiction: New York City
  policy: {timezone: '-04:00'}
source:
  date_formats: ["%m/%d/%Y %I:%M:%S %p"]
fields:
  id: Unique Key
  received: Created Date
  resolved: Closed Date
  kind: {value: complaint}
  unit: Agency
  category: {join: [Complaint Type, Descriptor]}
  status: {column: Status, values: {Closed: resolved, Open: open}}
  channel: Open Data Channel Type
  location: Incident Address
"""


def write_nyc_csv(path: Path) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(NYC_HEADER)
    writer.writerows(NYC_ROWS)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


# -- hostile workbooks, written part by part -----------------------------------------
XLSX_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/sharedStrings.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'officeDocument" Target="xl/workbook.xml"/></Relationships>'),
    "xl/workbook.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheets><sheet name="工单明细" sheetId="1" r:id="rId1"/></sheets></workbook>'),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
        'Target="worksheets/sheet1.xml"/><Relationship Id="rId2" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
        'Target="sharedStrings.xml"/></Relationships>'),
    "xl/sharedStrings.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">'
        '<si><t>工单编号</t></si></sst>'),
}
GOOD_CELLS = ('<row r="1"><c r="A1" t="s"><v>0</v></c></row>'
              '<row r="2"><c r="A2" t="inlineStr"><is><t>DZ1</t></is></c></row>')
ONE_COLUMN_MAP = """\
import: 1
ledger: {version: 1, jurisdiction: 东阿县}
fields:
  id: 工单编号
  received: {value: "2024-03-01"}
  kind: {value: complaint}
  category: {value: 城乡建设}
  unit: {value: 铜城街道}
"""


def sheet_xml(cells: str = GOOD_CELLS, dimension: str = "A1:A2") -> str:
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            f'<dimension ref="{dimension}"/><sheetData>{cells}</sheetData></worksheet>')


def write_raw_xlsx(path: Path, sheet: str | bytes | None = None, **parts: str) -> Path:
    """A one-sheet workbook written part by part: `sheet` None leaves the sheet's part out."""
    import zipfile

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in {**XLSX_PARTS, **parts}.items():
            archive.writestr(name, text)
        if sheet is not None:
            archive.writestr("xl/worksheets/sheet1.xml", sheet)
    return path
