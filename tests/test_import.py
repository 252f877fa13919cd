"""Importing platform exports: every row written, rejected at its cell, or skipped; nothing lost."""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
from pathlib import Path

import pytest
import yaml

import exports
import grassroots_report as g
from conftest import figures, run_cli, run_subprocess

COUNTS_ZH = "读取 13 行 = 写入 5 个案件 + 拒收 5 行 + 跳过 3 行（空行 1，按规则跳过 1，重复 1）"


@pytest.fixture
def mapfile(tmp_path):
    path = tmp_path / "map.yaml"
    path.write_text(exports.MAP, encoding="utf-8")
    return path


def cases_of(ledger_text: str) -> list[dict]:
    return yaml.safe_load(ledger_text)["cases"]


def where(export, row: int, letter: str, number: int) -> str:
    return f"{export}:工单明细!{letter}{row}" if export.suffix in (".xlsx", ".xls") else f"{export}:{row}:{number}"


def make(kind: str, tmp_path):
    if kind == "xlsx":
        return exports.write_xlsx(tmp_path / "工单明细.xlsx")
    if kind == "xls":
        return exports.write_xls(tmp_path / "工单明细.xls")
    return exports.write_gbk_csv(tmp_path / "工单明细.csv")


@pytest.mark.parametrize("kind", ["xlsx", "xls", "csv"])
def test_messy_export_becomes_cases_rejects_and_counts(tmp_path, mapfile, kind):
    export = make(kind, tmp_path)
    if kind == "csv":
        mapfile.write_text(exports.MAP.replace("source:\n", "source:\n  encoding: gbk\n"), encoding="utf-8")
    ledger, rejects = tmp_path / "ledger.yaml", tmp_path / "rejects.csv"
    result = run_cli("import", str(export), "--map", str(mapfile), "-o", str(ledger), "--rejects", str(rejects))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[-1] == f"{export}：{COUNTS_ZH}"
    # every rejected row on stderr, located at its cell, in the checker's or importer's words
    for (row, letter, number, fragment), line in zip(exports.EXPECTED_REJECTS, lines):
        assert line.startswith(where(export, row, letter, number) + ": "), line
        assert fragment in line, line
    assert lines[5:] == [f"拒收的行已写入 {rejects}", f"台账已写入 {ledger}", f"{export}：{COUNTS_ZH}"]
    assert cases_of(ledger.read_text(encoding="utf-8")) == exports.EXPECTED_CASES
    # the ledger passes check, and reads back to the same cases
    check = run_cli("check", str(ledger))
    assert (check.exit_code, check.stderr) == (0, f"{ledger}：5 个案件，检查通过\n")
    # the rejects: their own cells, the row number and the reason, for Excel (UTF-8 with BOM)
    raw = rejects.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert table[0] == exports.HEADER + ["行号", "原因"]
    assert [r[-2] for r in table[1:]] == ["11", "12", "13", "14", "15"]
    assert [r[0] for r in table[1:]] == ["DZ006", "DZ007", "DZ008", "DZ009", "DZ002"]
    assert table[1][10] == "待审核"
    for (_row, _letter, _number, fragment), reject in zip(exports.EXPECTED_REJECTS, table[1:]):
        assert fragment in reject[-1]


def test_xls_and_gbk_csv_give_the_xlsx_cases(tmp_path, mapfile):
    ledgers = {}
    for kind in ("xlsx", "xls", "csv"):
        export = make(kind, tmp_path)
        if kind == "csv":
            mapfile.write_text(exports.MAP.replace("source:\n", "source:\n  encoding: gbk\n"), encoding="utf-8")
        out = tmp_path / f"{kind}.yaml"
        assert run_cli("import", str(export), "--map", str(mapfile), "-o", str(out),
                       "--rejects", str(tmp_path / f"{kind}.csv.rejects")).exit_code == 0
        # the first line names the export; the rest is the same bytes
        ledgers[kind] = out.read_text(encoding="utf-8").split("\n", 1)[1]
    assert ledgers["xlsx"] == ledgers["xls"] == ledgers["csv"]


def test_without_rejects_any_rejected_row_writes_nothing(tmp_path, mapfile):
    export = make("xlsx", tmp_path)
    ledger = tmp_path / "ledger.yaml"
    result = run_cli("import", str(export), "--map", str(mapfile), "-o", str(ledger), "--lang", "en")
    assert (result.exit_code, result.stdout) == (1, "")
    assert not ledger.exists()
    lines = result.stderr.splitlines()
    assert lines[5] == ("5 rows were rejected and no ledger was written: fix them and import again, "
                        "or pass --rejects REJECTS.csv to import the rest")
    assert lines[-1] == (f"{export}: rows read 13 = cases written 5 + rejected 5 + skipped 3 "
                         "(blank 1, skip_rows_where 1, duplicates 1)")
    assert lines[0] == (f"{export}:工单明细!K11: `待审核` (办件状态) has no mapping: add it under "
                        "fields.status.values in the map, or give a default")


def test_the_same_export_gives_the_same_bytes(tmp_path, mapfile):
    export = make("xlsx", tmp_path)
    outputs = []
    for n in range(2):
        out = tmp_path / f"{n}.yaml"
        run_cli("import", str(export), "--map", str(mapfile), "-o", str(out), "--rejects", str(tmp_path / "r.csv"))
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    assert b'id: "DZ001"' in outputs[0]  # ids always quoted text


def test_the_maps_ledger_header_may_carry_the_briefing(tmp_path):
    export = make("xlsx", tmp_path)
    mapfile = tmp_path / "map.yaml"
    mapfile.write_text(exports.MAP.replace("  jurisdiction: 东阿县\n", "  jurisdiction: 东阿县\n"
                                           "  briefing: {issuer: 东阿县12345热线办公室, number: 4}\n", 1),
                       encoding="utf-8")
    result = run_cli("report", str(export), "--map", str(mapfile), "--rejects", str(tmp_path / "r.csv"),
                     "--as-of", "2024-04-01 09:00")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("**东阿县12345热线办公室工作通报**\n\n第4期\n\n东阿县12345热线办公室　　2024年4月1日\n")


def test_summary_of_an_export_equals_summary_of_its_ledger(tmp_path, mapfile):
    export = make("xlsx", tmp_path)
    ledger, rejects = tmp_path / "ledger.yaml", tmp_path / "r.csv"
    run_cli("import", str(export), "--map", str(mapfile), "-o", str(ledger), "--rejects", str(rejects))
    from_ledger = run_cli("summary", str(ledger), "--format", "json", "--as-of", "2024-04-01 09:00")
    from_export = run_cli("summary", str(export), "--map", str(mapfile), "--rejects", str(rejects),
                          "--format", "json", "--as-of", "2024-04-01 09:00")
    assert from_export.exit_code == 0, from_export.stderr
    assert figures(from_export.stdout) == figures(from_ledger.stdout)
    # the export's own bytes and its map, never the ledger made in between
    digest = lambda path: hashlib.sha256(path.read_bytes()).hexdigest()  # noqa: E731
    assert json.loads(from_export.stdout)["sources"] == [
        {"file": str(export), "sha256": digest(export), "map": {"file": str(mapfile), "sha256": digest(mapfile)}}]
    totals = json.loads(from_export.stdout)["totals"]
    assert (totals["received"], totals["resolved"], totals["open"]) == (5, 3, 2)
    assert from_export.stderr.splitlines()[-1] == f"{export}：{COUNTS_ZH}"
    # without --rejects the briefing is not made from a partial export
    refused = run_cli("report", str(export), "--map", str(mapfile))
    assert (refused.exit_code, refused.stdout) == (1, "")
    assert refused.stderr.splitlines()[-1] == f"{export}：{COUNTS_ZH}"


def test_an_export_without_a_map_is_a_usage_error(tmp_path):
    export = make("xlsx", tmp_path)
    result = run_cli("summary", str(export), "--lang", "en")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (f"{export}: this is a platform export: add --map MAP.yaml "
                             f"(grassroots-report map {export} makes one)\n")


def test_gbk_csv_without_an_encoding_gets_the_advice(tmp_path, mapfile):
    export = make("csv", tmp_path)
    result = run_cli("import", str(export), "--map", str(mapfile))
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr.startswith(f"{export}:1:1: 文件不是 UTF-8 编码，看起来是 GBK/GB18030")
    assert "encoding: gbk" in result.stderr


def test_nyc_311_csv(tmp_path):
    export = exports.write_nyc_csv(tmp_path / "311.csv")
    mapfile = tmp_path / "nyc.yaml"
    mapfile.write_text(exports.NYC_MAP, encoding="utf-8")
    out, rejects = tmp_path / "nyc-ledger.yaml", tmp_path / "nyc-rejects.csv"
    result = run_cli("import", str(export), "--map", str(mapfile), "-o", str(out), "--rejects", str(rejects),
                     "--lang", "en")
    assert result.exit_code == 0, result.stderr
    lines = result.stderr.splitlines()
    assert lines[0].startswith(f"{export}:5:3: ")
    assert "is earlier than received" in lines[0]
    assert lines[-1] == (f"{export}: rows read 4 = cases written 3 + rejected 1 + skipped 0 "
                         "(blank 0, skip_rows_where 0, duplicates 0)")
    cases = cases_of(out.read_text(encoding="utf-8"))
    assert [c["id"] for c in cases] == ["50000001", "50000002", "50000003"]
    assert cases[0]["received"] == "2022-05-01 00:00:03"
    assert cases[0]["resolved"] == "2022-05-01 02:15:00"
    assert cases[0]["category"] == "Noise - Street／Sidewalk/Loud Music／Party"  # one level keeps its '/'
    assert [c["channel"] for c in cases] == ["hotline", "online", "online"]
    assert cases[2]["received"] == "2022-05-01 13:30:00"
    assert cases[1]["status"] == "open" and "resolved" not in cases[1]


def test_guessed_map_of_the_messy_export_finds_every_column(tmp_path):
    export = make("xlsx", tmp_path)
    result = run_cli("map", str(export))
    assert result.exit_code == 0, result.stderr
    guessed = yaml.safe_load(result.stdout)
    assert guessed["source"]["sheet"] == "工单明细"
    assert guessed["source"]["header_row"] == 3
    fields = guessed["fields"]
    assert fields["id"] == "工单编号"
    assert fields["received"] == "受理时间"
    assert fields["category"] == {"join": ["一级分类", "二级分类", "三级分类"]}
    assert fields["unit"] == "承办单位"
    assert fields["summary"] == "诉求内容"
    assert fields["requester.phone"] == "诉求人电话"
    assert fields["dispatched"] == "派发时间"
    assert fields["resolved"] == "办结时间"
    assert fields["visit.at"] == "回访时间"
    assert fields["channel"] == {"column": "办件来源", "values": {"电话": "hotline", "微信": "online"}}
    assert fields["status"] == {"column": "办件状态", "values": {"已办结": "resolved", "办理中": "open"}}
    assert fields["visit.satisfaction"] == {"column": "是否满意", "values": {"满意": "satisfied"}}
    assert fields["visit.solved"] == {"column": "是否解决", "values": {"是": True}}
    assert '# "待审核": ?   # 请填写：open / resolved / withdrawn' in result.stdout
    assert '# extra.市级编号: "市级编号"' in result.stdout
    # saved as it is, the guessed map is refused at its placeholder: it would become the briefing's title
    mapfile = tmp_path / "guessed.yaml"
    mapfile.write_text(result.stdout, encoding="utf-8")
    refused = run_cli("import", str(export), "--map", str(mapfile), "--rejects", str(tmp_path / "r.csv"))
    line = next(n for n, text in enumerate(result.stdout.splitlines(), 1) if text.startswith("  jurisdiction: "))
    assert (refused.exit_code, refused.stdout) == (1, "")
    assert refused.stderr.startswith(f"{mapfile}:{line}:17: 映射里还是占位文字“请填写区县名称”")
    assert not (tmp_path / "r.csv").exists()
    # with the jurisdiction filled in, it imports the export (the unknown status is rejected)
    mapfile.write_text(result.stdout.replace("请填写区县名称", "东阿县"), encoding="utf-8")
    done = run_cli("import", str(export), "--map", str(mapfile), "--rejects", str(tmp_path / "r.csv"))
    assert done.exit_code == 0, done.stderr
    assert done.stderr.splitlines()[-1] == f"{export}：{COUNTS_ZH}"


def test_map_problems_name_the_key(tmp_path):
    export = make("xlsx", tmp_path)
    mapfile = tmp_path / "bad.yaml"
    mapfile.write_text(exports.MAP.replace("  unit: 承办单位\n", "  unti: 承办单位\n"), encoding="utf-8")
    result = run_cli("import", str(export), "--map", str(mapfile), "--lang", "en")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == f"{mapfile}: fields.unti: unknown field `unti`; did you mean `unit`?\n"
    mapfile.write_text(exports.MAP.replace("  unit: 承办单位\n", "  unit: 承办部门\n"), encoding="utf-8")
    result = run_cli("import", str(export), "--map", str(mapfile), "--lang", "en")
    assert result.exit_code == 1
    assert result.stderr == (f"{export}:工单明细!A3: no row holds every column the map names; the closest is "
                             "this one, which lacks: 承办部门 (check the names, or set source.header_row)\n")


@pytest.mark.parametrize("cell, expected", [
    (dt.datetime(2024, 3, 1, 9, 5, 7), "2024-03-01 09:05:07"),
    (dt.date(2024, 3, 1), "2024-03-01"),
    ("2024-03-01 09:05:00", "2024-03-01 09:05:00"),
    ("2024/3/1 9:05", "2024-03-01 09:05:00"),
    ("2024年3月1日 9时5分", "2024-03-01 09:05:00"),
    ("2024年3月1日", "2024-03-01"),
    ("20240301", "2024-03-01"),
    (20240301, "2024-03-01"),
    ("２０２４－０３－０１　０９：０５", "2024-03-01 09:05:00"),
    ("  2024-03-01T09:05  ", "2024-03-01 09:05:00"),
    (45352.375, "2024-03-01 09:00:00"),
    ("2024-03-01 09:05:00+00:00", "2024-03-01 09:05:00+00:00"),
])
def test_export_times(cell, expected):
    moment, has_clock, offset = g.export_time(cell, (), False)
    assert g._time_text(moment, has_clock, offset, "+08:00", "+08:00") == expected


def test_excel_serials_of_1904_workbooks():
    moment, _clock, _offset = g.export_time(43890.375, (), True)
    assert moment == dt.datetime(2024, 3, 1, 9, 0)


@pytest.mark.parametrize("cell, reason", [("2024/2/30", "time_impossible"), ("明天上午", "time_form"),
                                          (dt.time(9, 5), "time_no_date"), (-3.0, "time_serial")])
def test_bad_export_times(cell, reason):
    with pytest.raises(ValueError, match=reason):
        g.export_time(cell, (), False)


def test_times_in_another_zone_carry_their_offset():
    moment, clock, offset = g.export_time("2024-03-01 09:05", (), False)
    assert g._time_text(moment, clock, offset, "-05:00", "+08:00") == "2024-03-01 09:05:00-05:00"


@pytest.mark.parametrize("text", ["abc", 'say "hi"', "back\\slash", "tab\there", "\x01\x7f\x85", "\u2028",
                                  "中文／全角", "open", "true", "null", "12", "- x", "# not a comment", "a: b"])
def test_written_text_reads_back_the_same(text):
    assert yaml.safe_load(f"v: {g.yaml_scalar(text)}\n") == {"v": text}


# == Hostile input, round three: hostile exports and maps -------------------------------
# Each is built in the test run; each must end with a located message and exit 1, no
# traceback and no abort of the process (the spreadsheet reader aborts on some).
@pytest.fixture
def one_column_map(tmp_path):
    path = tmp_path / "map.yaml"
    path.write_text(exports.ONE_COLUMN_MAP, encoding="utf-8")
    return path


def refused(result, *words: str) -> None:
    assert result.exit_code == 1, (result.exit_code, result.stderr)
    assert result.stdout == "" and "Traceback" not in result.stderr
    for word in words:
        assert word in result.stderr, (word, result.stderr)


@pytest.mark.parametrize("how, words", [
    ("truncated", ["工单明细: 无法读取这个表格文件：", "syntax error"]),
    ("shared string", ["工单明细: 无法读取这个表格文件：", "shared strings"]),
    ("missing sheet", ["工单明细: 表格文件里缺少这个工作表的内容"]),
])
def test_a_spreadsheet_the_reader_cannot_read_is_refused_in_our_words(tmp_path, one_column_map, how, words):
    sheet = {"truncated": exports.sheet_xml()[:-60],
             "shared string": exports.sheet_xml('<row r="1"><c r="A1" t="s"><v>99</v></c></row>'),
             "missing sheet": None}[how]
    export = exports.write_raw_xlsx(tmp_path / "工单.xlsx", sheet)
    for command in (["import", str(export), "--map", str(one_column_map)],
                    ["summary", str(export), "--map", str(one_column_map)]):
        refused(run_cli(*command), str(export), *words)


def test_one_stray_cell_in_the_far_corner_is_refused_before_the_reader_allocates(tmp_path, one_column_map):
    corner = exports.GOOD_CELLS + '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
    export = exports.write_raw_xlsx(tmp_path / "工单.xlsx", exports.sheet_xml(corner, "A1:XFD1048576"))
    refused(run_cli("import", str(export), "--map", str(one_column_map), "--lang", "en"),
            f"{export}:工单明细: sheet `工单明细` spans 1,048,576 rows by 16,384 columns", "(such as XFD1048576)")


def test_a_stray_cell_is_refused_in_a_real_process_which_does_not_abort(tmp_path, one_column_map):
    corner = exports.GOOD_CELLS + '<row r="50000"><c r="ZZZ50000"><v>1</v></c></row>'
    export = exports.write_raw_xlsx(tmp_path / "工单.xlsx", exports.sheet_xml(corner))
    done = run_subprocess("import", str(export), "--map", str(one_column_map), timeout=60)
    assert done.returncode == 1 and b"Traceback" not in done.stderr
    assert "50,000 行 × 18,278 列" in done.stderr.decode()


def test_a_declared_dimension_alone_is_no_reason_to_refuse(tmp_path, one_column_map):
    export = exports.write_raw_xlsx(tmp_path / "工单.xlsx", exports.sheet_xml(dimension="A1:XFD1048576"))
    result = run_cli("import", str(export), "--map", str(one_column_map))
    assert result.exit_code == 0 and "写入 1 个案件" in result.stderr


def test_a_sheet_that_inflates_past_the_limit_is_refused_while_it_inflates(tmp_path, one_column_map, monkeypatch):
    # INFO: the limit is 512 MiB; lowered here so that the test writes megabytes, not hundreds
    monkeypatch.setattr(g, "MAX_EXPORT_INFLATED", 4 << 20)
    padding = " " * (5 << 20)  # whitespace between cells: valid XML, inflating 5 MiB from a few kB
    export = exports.write_raw_xlsx(tmp_path / "工单.xlsx", exports.sheet_xml(exports.GOOD_CELLS + padding))
    assert export.stat().st_size < 64 << 10
    refused(run_cli("import", str(export), "--map", str(one_column_map)), "表格解压后超过 4 MiB")


def test_a_part_that_declares_more_than_the_limit_is_refused_before_it_inflates(tmp_path, one_column_map,
                                                                                 monkeypatch):
    monkeypatch.setattr(g, "MAX_EXPORT_INFLATED", 1 << 20)
    export = exports.write_raw_xlsx(tmp_path / "工单.xlsx", exports.sheet_xml(),
                                    **{"xl/media/huge.bin": "x" * (2 << 20)})
    refused(run_cli("import", str(export), "--map", str(one_column_map)), "表格解压后超过 1 MiB")


def _csv_export(tmp_path, *rows: str) -> object:
    path = tmp_path / "工单.csv"
    path.write_text("工单编号,诉求内容\n" + "".join(rows), encoding="utf-8")
    return path


def test_an_honest_200000_character_cell_is_imported(tmp_path):
    long = "噪音扰民" * 50_000
    export = _csv_export(tmp_path, f"DZ1,{long}\n")
    map_path = tmp_path / "map.yaml"
    map_path.write_text(exports.ONE_COLUMN_MAP + "  summary: 诉求内容\n", encoding="utf-8")
    result = run_cli("import", str(export), "--map", str(map_path))
    assert result.exit_code == 0, result.stderr
    assert cases_of(result.stdout)[0]["summary"] == long


def test_a_quote_never_closed_is_located_at_its_row(tmp_path, one_column_map):
    export = _csv_export(tmp_path, "DZ1,正常\n", 'DZ2,"没有结束的引号\n' + "填充\n" * 400_000)
    refused(run_cli("import", str(export), "--map", str(one_column_map)),
            f"{export}:3:1: 这里开始的单元格超过 1,048,576 个字符：多半是引号没有闭合")


@pytest.mark.parametrize("source, where, words", [
    ("encoding: undefined", "source.encoding", "不能用来读取文字的编码 `undefined`"),
    ("encoding: rot13", "source.encoding", "不能用来读取文字的编码 `rot13`"),
    ("header_row: " + "9" * 5000, "source.header_row", "应是 1 到 1,048,576 之间的行号"),
    ("date_formats: ['%Q']", "source.date_formats[0]", "`%Q` 不是能用的 strptime 格式"),
    ("date_formats: ['%Y-%m-%d', '%']", "source.date_formats[1]", "`%` 不是能用的 strptime 格式"),
    ("date_formats: [" + ", ".join(["'%Y%m%d'"] * 10_000) + "]", "source.date_formats", "最多写 20 个格式"),
])
def test_map_values_a_reader_cannot_use_are_refused_at_their_key(tmp_path, source, where, words):
    map_path = tmp_path / "map.yaml"
    map_path.write_text(exports.ONE_COLUMN_MAP + f"source:\n  {source}\n", encoding="utf-8")
    export = _csv_export(tmp_path, "DZ1,x\n")
    refused(run_cli("import", str(export), "--map", str(map_path)), f"{map_path}: {where}: ", words)


def test_a_header_row_past_the_end_says_so(tmp_path):
    map_path = tmp_path / "map.yaml"
    map_path.write_text(exports.ONE_COLUMN_MAP + "source:\n  header_row: 40\n", encoding="utf-8")
    export = _csv_export(tmp_path, "DZ1,x\n", "DZ2,y\n")
    refused(run_cli("import", str(export), "--map", str(map_path)), "映射写的表头行 40 在表格末尾之后（表格只有 3 行）")


FORMULAS = ["=HYPERLINK(\"http://x\",\"点我\")", "+1+1", "-2+3", "@SUM(A1)", "\tfoo", "\rbar"]


def test_no_csv_or_tsv_the_tool_writes_starts_a_cell_with_a_formula(tmp_path):
    units = "".join(f"  - {{name: {json.dumps(name)}}}\n" for name in FORMULAS)
    cases = "".join(f"  - {{id: 'C{i}', received: '2024-03-01 09:00', kind: complaint, category: {json.dumps(name.replace('/', ''))}, "
                    f"unit: {json.dumps(name)}, status: open}}\n" for i, name in enumerate(FORMULAS))
    ledger = tmp_path / "l.yaml"
    ledger.write_text(f"version: 1\njurisdiction: '=cmd|\" /C calc\"!A0'\nunits:\n{units}cases:\n{cases}",
                      encoding="utf-8")
    written = []
    for fmt in ("csv", "tsv"):
        for by in ("unit", "category"):
            result = run_cli("summary", str(ledger), "--format", fmt, "--by", by)
            assert result.exit_code == 0, result.stderr
            written.append((fmt, result.stdout))
    export = _csv_export(tmp_path, *(f"{json.dumps(name)},x\n" for name in FORMULAS))
    map_path = tmp_path / "map.yaml"
    map_path.write_text(exports.ONE_COLUMN_MAP.replace("{value: \"2024-03-01\"}", "诉求内容"), encoding="utf-8")
    rejects = tmp_path / "rejects.csv"
    run_cli("import", str(export), "--map", str(map_path), "--rejects", str(rejects))
    written.append(("csv", rejects.read_bytes().decode("utf-8-sig")))
    checked = 0
    for fmt, text in written:
        for row in csv.reader(io.StringIO(text, newline=""), delimiter="\t" if fmt == "tsv" else ","):
            for cell in row:
                assert not cell.startswith(("=", "+", "@", "\t", "\r")), (fmt, cell)
                assert not cell.startswith("-") or cell.lstrip("-").replace(".", "").isdigit() or cell == "-", cell
                checked += cell.startswith("'")
    assert checked >= 3 * len(FORMULAS)


# == The clerk's path (round three): encodings, refusals, the export's cells ======================
GBK_ROWS = ["东阿县12345热线工单明细（2024年3月）,,,,,,", "导出时间：2024-04-01 09:00,,,,,,",
            "工单编号,受理时间,办件来源,一级分类,承办单位,办件状态,办结时间",
            "A1,2024-03-01 09:05,电话,城乡建设,铜城街道,已办结,2024-03-02 10:00",
            "A2,2024-03-02 10:00,微信,劳动保障,县人社局,办理中,",
            "A3,2024-03-03 11:00,电话,城乡建设,新城街道,已办结,2024-03-03 15:00"]


def gbk_export(tmp_path):
    path = tmp_path / "工单明细.csv"
    path.write_bytes(("\r\n".join(GBK_ROWS) + "\r\n").encode("gbk"))
    return path


def test_map_then_run_on_a_gbk_export_with_title_rows_editing_only_the_placeholder(tmp_path):
    export = gbk_export(tmp_path)
    guessed = run_cli("map", str(export))
    assert guessed.exit_code == 0, guessed.stderr
    assert "  header_row: 3\n  encoding: \"gb18030\"\n" in guessed.stdout  # detected, and written
    mapfile = tmp_path / "map.yaml"
    mapfile.write_text(guessed.stdout.replace("请填写区县名称", "东阿县"), encoding="utf-8")
    out = tmp_path / "report.md"
    result = run_cli("run", str(export), "--map", str(mapfile), "-o", str(out))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("单位")
    assert f"报告已写入 {out}\n" in result.stderr
    report = out.read_text(encoding="utf-8")
    assert report.startswith("# 东阿县基层治理工作情况通报\n") and "本期共受理3件（撤回0件），办结2件" in report


def test_encoding_is_honoured_by_map_import_and_map_runs(tmp_path):
    export = gbk_export(tmp_path)
    guessed = run_cli("map", str(export), "--encoding", "gbk")
    assert '  encoding: "gbk"\n' in guessed.stdout
    text = guessed.stdout.replace("请填写区县名称", "东阿县").replace('  encoding: "gbk"\n', '  encoding: "utf-8"\n')
    mapfile = tmp_path / "map.yaml"
    mapfile.write_text(text, encoding="utf-8")
    wrong = run_cli("import", str(export), "--map", str(mapfile))
    assert wrong.exit_code == 1 and "utf-8" in wrong.stderr  # the map's own encoding fails, and says so
    right = run_cli("import", str(export), "--map", str(mapfile), "--encoding", "gbk")
    assert right.exit_code == 0, right.stderr
    assert "铜城街道" in right.stdout
    run = run_cli("summary", str(export), "--map", str(mapfile), "--encoding", "gbk")
    assert run.exit_code == 0, run.stderr
    bad = run_cli("map", str(export), "--encoding", "no-such")
    assert bad.exit_code == 2 and "--encoding" in bad.stderr


@pytest.mark.parametrize(("data", "expected"), [
    (b"\xef\xbb\xbfa,b\n", "utf-8-sig"), ("工单,时间\n".encode("utf-16"), "utf-16"),
    ("工单,时间\n".encode("utf-8"), "utf-8"), ("工单,时间\n".encode("gbk"), "gb18030")])
def test_the_encoding_of_a_text_export_is_detected(tmp_path, data, expected):
    path = tmp_path / "e.csv"
    path.write_bytes(data)
    assert g.detect_encoding(str(path)) == expected


US_ROWS = ["Unique Key,Created Date,Closed Date,Agency,Complaint Type,Status",
           "1,05/01/2022 12:00:03 AM,05/01/2022 03:10:00 AM,NYPD,Noise,Closed",
           "2,05/01/2022 01:15:00 PM,,DSNY,Litter,Open"]


def test_map_writes_the_us_date_form_and_without_it_nothing_is_imported(tmp_path):
    export = tmp_path / "311.csv"
    export.write_text("\n".join(US_ROWS) + "\n", encoding="utf-8")
    guessed = run_cli("map", str(export)).stdout
    assert '  date_formats: ["%m/%d/%Y %I:%M:%S %p"]\n' in guessed
    mapfile = tmp_path / "map.yaml"
    mapfile.write_text(guessed.replace("请填写区县名称", "NYC"), encoding="utf-8")
    assert run_cli("summary", str(export), "--map", str(mapfile), "--rejects", str(tmp_path / "r.csv")).exit_code == 0
    # the form taken out of the map: every row rejected, so no briefing of zeros; the rejects still written
    mapfile.write_text(guessed.replace("请填写区县名称", "NYC").replace('  date_formats: ["%m/%d/%Y %I:%M:%S %p"]\n', ""),
                       encoding="utf-8")
    rejects = tmp_path / "rejects.csv"
    result = run_cli("run", str(export), "--map", str(mapfile), "--rejects", str(rejects), "-o", str(tmp_path / "r.md"))
    assert (result.exit_code, result.stdout) == (1, "")
    assert "没有任何一行导入为案件" in result.stderr
    assert rejects.exists() and not (tmp_path / "r.md").exists()


def test_a_maps_values_are_authoritative_for_their_column(tmp_path):
    export = tmp_path / "e.csv"
    export.write_text("工单编号,受理时间,承办单位,一级分类,办件状态\nA1,2024-03-01 09:00,甲街道,城乡建设,办理中\n"
                      "A2,2024-03-02 09:00,甲街道,城乡建设,已归档\n", encoding="utf-8")
    mapfile = tmp_path / "map.yaml"
    mapfile.write_text("import: 1\nledger: {version: 1, jurisdiction: 东阿县}\nfields:\n  id: 工单编号\n  received: 受理时间\n"
                       "  unit: 承办单位\n  category: 一级分类\n  kind: {value: complaint}\n"
                       "  status: {column: 办件状态, values: {办理中: open}}\n", encoding="utf-8")
    result = run_cli("import", str(export), "--map", str(mapfile), "--rejects", str(tmp_path / "r.csv"))
    assert result.exit_code == 0, result.stderr
    # 已归档 is a built-in word for resolved, but this map's values do not name it: the row is rejected
    assert f"{export}:3:5: `已归档`（办件状态）没有对应的值" in result.stderr
    assert [c["id"] for c in cases_of(result.stdout)] == ["A1"]


def test_source_timezone_alone_is_the_ledgers_and_messages_name_the_exports_cells(tmp_path):
    export = tmp_path / "boston.csv"
    export.write_text("工单编号,受理时间,承办单位,一级分类,办件状态\nA1,2024-03-31 20:00,甲街道,城乡建设,办理中\n"
                      "A2,2024-03-10 10:00,甲街道,城乡建设,办理中\n", encoding="utf-8")
    header = ("import: 1\nledger: {version: 1, jurisdiction: Boston, period: {start: '2024-03-01', end: '2024-03-31'}"
              "POLICY}\nsource: {timezone: '-05:00'}\nfields:\n  id: 工单编号\n  received: 受理时间\n  unit: 承办单位\n"
              "  category: 一级分类\n  kind: {value: complaint}\n  status: {column: 办件状态, values: {办理中: open}}\n")
    mapfile = tmp_path / "map.yaml"
    mapfile.write_text(header.replace("POLICY", ""), encoding="utf-8")
    alone = run_cli("check", str(export), "--map", str(mapfile))
    assert alone.exit_code == 0 and "警告" not in alone.stderr  # no false "outside the period"
    assert 'timezone: "-05:00"' in run_cli("import", str(export), "--map", str(mapfile)).stdout
    # a ledger zone that differs: the warning stands at the export's row and column, not the ledger's line
    mapfile.write_text(header.replace("POLICY", ", policy: {timezone: '+08:00'}"), encoding="utf-8")
    both = run_cli("check", str(export), "--map", str(mapfile))
    assert f"{export}:2:2: cases[0].received: 警告：受理时间 2024-03-31 20:00:00-05:00 不在统计期" in both.stderr
    assert not any(line.startswith(f"{export}:1") and "cases[" in line for line in both.stderr.splitlines())


def test_a_spreadsheet_export_s_messages_name_sheet_and_cell(tmp_path, mapfile):
    export = make("xlsx", tmp_path)
    result = run_cli("check", str(export), "--map", str(mapfile), "--rejects", str(tmp_path / "r.csv"),
                     "--as-of", "2024-03-02 00:00")
    warned = [line for line in result.stderr.splitlines() if ": 警告：" in line]
    assert warned and all(line.startswith(f"{export}:工单明细!") for line in warned), warned


def test_an_import_map_given_as_a_ledger_is_named_for_what_it_is():
    mapfile = Path(__file__).parent.parent / "examples" / "hotline-export.map.yaml"
    result = run_cli("check", str(mapfile))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"{mapfile}:1:1: -: 这是导入映射，不是台账：把它放在 --map 后面")
    assert "version" not in result.stderr


def test_every_file_written_is_said_the_same_way(tmp_path, mapfile):
    export = make("xlsx", tmp_path)
    ledger, rejects = tmp_path / "l.yaml", tmp_path / "r.csv"
    result = run_cli("import", str(export), "--map", str(mapfile), "-o", str(ledger), "--rejects", str(rejects))
    assert f"拒收的行已写入 {rejects}\n" in result.stderr and f"台账已写入 {ledger}\n" in result.stderr
    out = tmp_path / "report.docx"
    report = run_cli("report", str(ledger), "-o", str(out))
    assert (report.exit_code, report.stdout, report.stderr) == (0, "", f"报告已写入 {out}\n")


# == Spreadsheets out (round three) ===============================================================
def test_summary_as_a_spreadsheet(tmp_path):
    import zipfile

    from python_calamine import CalamineWorkbook

    ledger = tmp_path / "l.yaml"
    text = (Path(__file__).parent.parent / "examples" / "hotline-2024-03.yaml").read_text(encoding="utf-8")
    text = text.replace("name: 铜城街道", "name: '=HYPERLINK(x)'").replace("unit: 铜城街道", "unit: '=HYPERLINK(x)'")
    text = text.replace("- 铜城街道", "- '=HYPERLINK(x)'")  # co_units
    ledger.write_text(text, encoding="utf-8")
    out = tmp_path / "s.xlsx"
    result = run_cli("summary", str(ledger), "--format", "xlsx", "-o", str(out))
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", f"汇总已写入 {out}\n")
    rows = CalamineWorkbook.from_path(str(out)).get_sheet_by_name("单位").to_python()
    assert rows[0][:4] == ["分组", "单位", "排名", "受理"] and "办结率" in rows[0]
    json_totals = json.loads(run_cli("summary", str(ledger), "--format", "json").stdout)["totals"]
    total = rows[-1]
    assert total[:2] == ["合计", "东阿县"]
    assert total[rows[0].index("受理")] == json_totals["received"] == 195
    assert total[rows[0].index("办结率")] == json_totals["completion_rate"] == 0.943  # a number, not "94.30%"
    package = zipfile.ZipFile(out)
    sheet = package.read("xl/worksheets/sheet1.xml").decode("utf-8")
    assert '<pane ySplit="1"' in sheet and "<f>" not in sheet  # the header frozen; no formula anywhere
    assert 'formatCode="0.00%"' in package.read("xl/styles.xml").decode("utf-8")
    assert "=HYPERLINK(x)" in package.read("xl/sharedStrings.xml").decode("utf-8")  # written as text
    again = tmp_path / "again.xlsx"
    run_cli("summary", str(ledger), "--format", "xlsx", "-o", str(again))
    assert again.read_bytes() == out.read_bytes()  # the same bytes for the same input
    refused = run_cli("summary", str(ledger), "--format", "xlsx")
    assert (refused.exit_code, refused.stdout) == (2, "") and "-o OUT.xlsx" in refused.stderr
    english = run_cli("summary", str(ledger), "--format", "xlsx", "-o", str(out), "--by", "category", "--lang", "en")
    assert english.exit_code == 0
    assert CalamineWorkbook.from_path(str(out)).get_sheet_by_name("Category").to_python()[0][:2] == ["Grouping",
                                                                                                    "Category"]


def test_merge_writes_a_spreadsheet_too(tmp_path):
    ledger = Path(__file__).parent.parent / "examples" / "hotline-2024-03.yaml"
    partial = tmp_path / "a.partial"
    partial.write_text(run_cli("summary", str(ledger), "--format", "partial").stdout, encoding="utf-8")
    out = tmp_path / "m.xlsx"
    result = run_cli("merge", str(partial), "--format", "xlsx", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    assert out.read_bytes() == (run_cli("summary", str(ledger), "--format", "xlsx", "-o", str(tmp_path / "s.xlsx"))
                                and (tmp_path / "s.xlsx").read_bytes())


def test_an_id_two_exports_share_is_named_at_both_rows(tmp_path):
    # the duplicate's message names the export's row and column, and where the id first stood, never a line
    # of the ledger made in between
    header = "工单编号,受理时间,办件来源,一级分类,承办单位,办件状态\n"
    first = tmp_path / "a.csv"
    first.write_text(header + "A1,2024-03-01 09:00:00,电话,城乡建设,县人社局,办理中\n"
                     "A2,2024-03-02 09:00:00,电话,城乡建设,县人社局,办理中\n", encoding="utf-8")
    second = tmp_path / "b.csv"
    second.write_text(header + "A2,2024-03-03 09:00:00,电话,城乡建设,县人社局,办理中\n", encoding="utf-8")
    mapfile = tmp_path / "map.yaml"
    mapfile.write_text("import: 1\nledger: {version: 1, jurisdiction: 东阿县}\nfields:\n  id: 工单编号\n"
                       "  received: 受理时间\n  kind: {value: complaint}\n  category: 一级分类\n  unit: 承办单位\n"
                       "  status: {column: 办件状态, values: {办理中: open}}\n", encoding="utf-8")
    result = run_cli("summary", str(first), str(second), "--map", str(mapfile))
    assert result.exit_code == 1
    assert f"{second}:2:1: cases[0].id:" in result.stderr and f"（已见于 {first}:3:1）" in result.stderr


SMALL_XLSX_MAP = """\
import: 1
ledger: {version: 1, jurisdiction: 某县}
fields:
  id: 工单编号
  received: 受理时间
  kind: {value: complaint}
  category: {value: 其他}
  unit: 承办单位
  deadline: 办结期限
  status: {column: 办件状态, values: {已办结: resolved, 办理中: open}}
"""


def _small_workbook(path: Path, first_cell: str, rows: list[list[object]]) -> Path:
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("工单")
    when = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    row, column = xlsxwriter.utility.xl_cell_to_rowcol(first_cell)
    for offset, cells in enumerate([["工单编号", "受理时间", "承办单位", "办结期限", "办件状态"], *rows]):
        for step, cell in enumerate(cells):
            if isinstance(cell, dt.datetime):
                sheet.write_datetime(row + offset, column + step, cell, when)
            elif cell is not None:
                sheet.write(row + offset, column + step, cell)
    workbook.close()
    return path


def test_rows_below_empty_rows_are_named_by_their_own_number(tmp_path):
    # python-calamine gives the empty rows above a sheet's cells too: a rejected row is named by the number the
    # sheet shows (the header in B5, the rows from 6), not that number plus the empty rows again
    export = _small_workbook(tmp_path / "工单.xlsx", "B5", [
        ["A1", "2024-03-05 09:00:00", "县人社局", None, "已办结"],
        ["A2", "2024-02-30 09:00:00", "县人社局", None, "办理中"]])
    mapfile = tmp_path / "map.yaml"
    mapfile.write_text(SMALL_XLSX_MAP, encoding="utf-8")
    result = run_cli("import", str(export), "--map", str(mapfile), "-o", str(tmp_path / "l.yaml"))
    assert f"{export}:工单!F6: " in result.stderr and f"{export}:工单!C7: " in result.stderr, result.stderr


def test_a_time_cell_that_shows_midnight_is_read_as_the_day(tmp_path):
    # a whole serial comes from python-calamine as a date, one within half a millisecond of midnight as a datetime
    # at 00:00:00: both show the same in the sheet, and both are the day (a deadline then runs to its end)
    export = _small_workbook(tmp_path / "工单.xlsx", "A1", [
        ["A1", dt.datetime(2024, 3, 4, 9), "县人社局", dt.datetime(2024, 3, 8), "办理中"],
        ["A2", dt.datetime(2024, 3, 4, 9), "县人社局", dt.datetime(2024, 3, 8, 0, 0, 0, 400), "办理中"],
        ["A3", dt.datetime(2024, 3, 4, 9), "县人社局", dt.datetime(2024, 3, 7, 23, 59, 59, 999600), "办理中"]])
    mapfile = tmp_path / "map.yaml"
    mapfile.write_text(SMALL_XLSX_MAP, encoding="utf-8")
    result = run_cli("import", str(export), "--map", str(mapfile), "-o", str(tmp_path / "l.yaml"))
    assert result.exit_code == 0, result.stderr
    cases = yaml.safe_load((tmp_path / "l.yaml").read_text(encoding="utf-8"))["cases"]
    assert [case["deadline"] for case in cases] == ["2024-03-08"] * 3
