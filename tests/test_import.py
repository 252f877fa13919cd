"""Importing platform exports: every row written, rejected at its cell, or skipped; nothing lost."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
import yaml

import exports
import grassroots_report as g
from conftest import run_cli

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


def test_summary_of_an_export_equals_summary_of_its_ledger(tmp_path, mapfile):
    export = make("xlsx", tmp_path)
    ledger, rejects = tmp_path / "ledger.yaml", tmp_path / "r.csv"
    run_cli("import", str(export), "--map", str(mapfile), "-o", str(ledger), "--rejects", str(rejects))
    from_ledger = run_cli("summary", str(ledger), "--format", "json", "--as-of", "2024-04-01 09:00")
    from_export = run_cli("summary", str(export), "--map", str(mapfile), "--rejects", str(rejects),
                          "--format", "json", "--as-of", "2024-04-01 09:00")
    assert from_export.exit_code == 0, from_export.stderr
    assert from_export.stdout == from_ledger.stdout
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
    # saved as it is, the guessed map imports the export (the unknown status is rejected)
    mapfile = tmp_path / "guessed.yaml"
    mapfile.write_text(result.stdout, encoding="utf-8")
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
