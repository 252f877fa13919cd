"""Report: the Markdown briefing, the text helpers it renders with, and the goldens.

Sections, provenance, determinism and its output file; display widths, Markdown
escapes and bars; the golden table and report of every example, byte for byte;
then hostile input: text that would break the Markdown or leak personal data.
The Word document is test_docx.py; masking itself is test_masking.py.
"""
from __future__ import annotations

import os

import pytest
from markdown_it import MarkdownIt

import grassroots_report as gr
from conftest import ALL_EXAMPLES, EXAMPLES, ROOT, hostile_ledger, run_cli, without_figures, write_ledger


# == The Markdown briefing =========================================================================
HOSTILE_SUMMARY = ("欧阳娜娜来电（13912345678，身份证 372524198703151234）反映：| 表格 | 断裂 `代码` "
                   "<script>alert(1)</script> [点我](http://evil.example) **粗体** _斜体_\n第二行 # 标题")
# Markdown's own syntax (table bars, backticks, brackets, HTML) in every field the report shows
LEDGER = hostile_ledger(HOSTILE_SUMMARY, jurisdiction="测试县|<b>", unit="县|住建局", first_id="A-1",
                        second_id="A-2`|", category="城乡建设/物业|管理", escalated_to="县政府`x`",
                        note="欧阳娜娜表示满意|<i>", mediator="李[建]国", room="第一|调解室", leader="副县长|<x>")


def report_of(tmp_path, *extra):
    result = run_cli("report", str(write_ledger(tmp_path, LEDGER)), "--as-of", "2024-04-01", *extra)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def test_report_is_deterministic(tmp_path):
    assert report_of(tmp_path) == report_of(tmp_path)


def test_provenance_only_in_a_closing_html_comment(tmp_path):
    import hashlib
    import json
    path = write_ledger(tmp_path, LEDGER)
    text = run_cli("report", str(path)).stdout
    body, comment = text.rsplit("\n<!-- ", 1)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert digest not in body and "grassroots-report" not in body and str(path) not in body and "SHA-256" not in body
    assert comment.endswith(" -->\n") and "--" not in comment[:-5]
    assert json.loads(comment[:-5]) == {"generator": f"grassroots-report {gr.__version__}",
                                        "sources": [{"file": str(path), "sha256": digest}]}


# == The register and the frame of a 通报 (round three) ==============================================
@pytest.mark.parametrize(("key", "change", "zh", "en"), [
    ("received", 0.0333, "增长3.33%", "up 3.33%"),
    ("received", -0.5, "下降50.00%", "down 50.00%"),
    ("on_time_rate", -0.0207, "下降2.07个百分点", "down 2.07 pp"),
    ("completion_rate", 0.0889, "上升8.89个百分点", "up 8.89 pp"),
    ("score", 5, "上升5.0分", "up 5.0 points"),
    ("received", 0, "持平", "unchanged"),
    ("completion_rate", 0.00001, "持平", "unchanged"),  # rounds to nothing
    ("received", None, "—", "—"),
])
def test_changes_in_the_register_of_a_briefing(key, change, zh, en):
    from fractions import Fraction
    value = None if change is None else Fraction(str(change))
    assert (gr.change_text(key, value, "zh"), gr.change_text(key, value, "en")) == (zh, en)


def test_a_period_report_in_the_register_and_each_figure_once():
    text = run_cli("report", str(ROOT / "examples" / "hotline-2023-01-to-2024-03.yaml"), "--period", "2024-03").stdout
    overview = text.split("## 一、总体情况\n\n", 1)[1].split("\n\n", 1)[0]
    assert "环比增长3.33%，同比增长24.00%" in overview
    assert "按期办结率72.00%，较上月下降2.07个百分点" in overview
    assert "+" not in text.split("<!--")[0] and " 个百分点" not in text
    assert text.count("\n| 办结率 | 88.89% |") == 1  # one table of the figures, not two
    assert "(" not in text.split("<!--")[0]  # full-width brackets in Chinese text
    assert text.startswith("# 东阿县2024年3月基层治理工作情况通报\n\n现将东阿县2024年3月有关情况通报如下（数据截至")


def test_the_markdown_frame_masthead_addressee_signature_colophon():
    text = run_cli("report", str(ROOT / "examples" / "hotline-2024-03.yaml")).stdout
    assert text.startswith("**东阿县12345热线工作通报**\n\n第3期（总第74期）\n\n"
                           "东阿县12345政务服务便民热线办公室　　2024年4月2日\n\n---\n\n# ")
    assert "\n\n各镇人民政府、街道办事处，县直有关部门：\n\n现将东阿县" in text
    assert text.split("\n<!-- ")[0].endswith(
        "东阿县12345政务服务便民热线办公室\\\n2024年4月2日\n\n---\n\n抄送：县委办公室、县政府办公室。\n\n"
        "东阿县12345政务服务便民热线办公室　　2024年4月2日印发\n\n---\n")


def test_briefing_file_and_number_override_the_ledger(tmp_path):
    frame = tmp_path / "frame.yaml"
    frame.write_text("briefing:\n  issuer: 东阿县信访局\n  number: 5\n  total_number: 70\n  date: '2024-04-03'\n",
                     encoding="utf-8")
    text = run_cli("report", str(ROOT / "examples" / "hotline-2024-03.yaml"), "--briefing", str(frame),
                   "--number", "6").stdout
    assert text.startswith("**东阿县信访局工作通报**\n\n第6期（总第71期）\n\n东阿县信访局　　2024年4月3日\n")
    assert "抄送" not in text and "东阿县信访局　　2024年4月3日印发" in text
    bad = tmp_path / "bad.yaml"
    bad.write_text("issuer: 东阿县信访局\nnumber: 0\n", encoding="utf-8")
    result = run_cli("report", str(ROOT / "examples" / "hotline-2024-03.yaml"), "--briefing", str(bad))
    assert result.exit_code == 2 and f"{bad}:2:" in result.stderr and result.stdout == ""
    plain = run_cli("report", str(ROOT / "examples" / "mediation-2024-Q2.yaml"), "--number", "3")
    assert plain.exit_code == 2 and "--number" in plain.stderr


def test_a_featured_text_is_the_case_headline_never_its_id(tmp_path):
    data = dict(LEDGER)
    data["cases"] = [dict(c) for c in LEDGER["cases"]]
    data["cases"][0]["featured"] = "欧阳娜娜反映的物业纠纷经三方调解化解"
    text = run_cli("report", str(write_ledger(tmp_path, data)), "--as-of", "2024-04-01").stdout
    featured = text.split("典型案例", 1)[1]
    assert "**（一）欧阳某某反映的物业纠纷经三方调解化解**" in featured  # masked like any printed text
    assert "欧阳娜娜" not in text
    assert not any(line.startswith("**（") and "A-1" in line for line in featured.splitlines())


def test_report_sections_for_mediation_backlog_escalation(tmp_path):
    text = report_of(tmp_path)
    for heading in ("总体情况", "单位排名", "诉求分类", "受理渠道", "超期工单", "矛盾纠纷调解", "信访积案化解",
                    "提级办理", "典型案例"):
        assert heading in text, heading
    assert "副县长" in text


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.stem for e in EXAMPLES])
def test_example_reports_parse_with_equal_cells(example):
    text = run_cli("report", str(example)).stdout
    md = MarkdownIt("commonmark").enable("table")
    rows = [line for line in text.splitlines() if line.startswith("|")]
    assert rows
    html = md.render(text)
    assert html.count("<table>") >= 4


# -- the output file, and `run` --------------------------------------------------------------------
def test_output_file_is_written_whole(tmp_path):
    path = write_ledger(tmp_path, LEDGER)
    out = tmp_path / "out.md"
    result = run_cli("report", str(path), "-o", str(out))
    assert result.exit_code == 0
    assert result.stdout == ""
    assert without_figures(out.read_text(encoding="utf-8")) == run_cli("report", str(path)).stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ledger.yaml", "out.fig1.svg", "out.md"]


def test_output_onto_an_input_is_refused(tmp_path):
    path = write_ledger(tmp_path, LEDGER)
    before = path.read_bytes()
    result = run_cli("report", str(path), "-o", str(path))
    assert result.exit_code == 2
    assert str(path) in result.stderr
    assert path.read_bytes() == before


def test_run_prints_table_then_report(tmp_path):
    path = write_ledger(tmp_path, LEDGER)
    result = run_cli("run", str(path), "--as-of", "2024-04-01")
    assert result.exit_code == 0
    table, _, report = result.stdout.partition("\n\n# ")
    assert table.startswith("单位")
    assert report.startswith("测试县")


# == Rendering text: display widths, Markdown escapes, bars ========================================
def test_display_width_counts_cjk_as_two():
    assert gr.display_width("铜城街道") == 8
    assert gr.display_width("abc") == 3
    assert gr.display_width("—") == 1
    assert gr.pad("县局", 6, right=True) == "  县局"


def test_md_escape_makes_user_text_inert():
    assert gr.md_escape("a|b") == "a\\|b"
    assert gr.md_escape("<script>") == "\\<script\\>"
    assert gr.md_escape("[x](http://e)") == "\\[x\\](http://e)"
    assert gr.md_escape("line1\nline2") == "line1 line2"
    assert gr.md_escape("`code` *b* _i_") == "\\`code\\` \\*b\\* \\_i\\_"


def test_bar_scales_to_the_largest():
    assert gr.bar(10, 10) == "█" * gr.BAR_WIDTH
    assert gr.bar(0, 10) == ""
    assert gr.bar(1, 160) == "▏"


# == Goldens: the table and the report of every example, in both languages =========================
# Compared byte for byte.  Regenerate on purpose only:
#     UPDATE_GOLDEN=1 python -m pytest tests/test_report.py -k golden

GOLDEN = ROOT / "tests" / "golden"
OUTPUTS = {
    "table.txt": ("summary",),
    "report.md": ("report",),
}
CASES = [(example, lang, suffix) for example in ALL_EXAMPLES for lang in ("zh", "en") for suffix in OUTPUTS]  # credit too
# the 15-month example also briefs one month with its comparisons (--period)
PERIOD_EXAMPLE = ROOT / "examples" / "hotline-2023-01-to-2024-03.yaml"
PERIOD_OUTPUTS = {
    "2024-03.table.txt": ("summary", "--period", "2024-03"),
    "2024-03.report.md": ("report", "--period", "2024-03"),
    "2024-03.json": ("summary", "--period", "2024-03", "--format", "json"),
}
PERIOD_CASES = [(lang, suffix) for lang in ("zh", "en") for suffix in PERIOD_OUTPUTS]


@pytest.mark.parametrize("example,lang,suffix", CASES,
                         ids=[f"{e.stem}-{lang}-{s}" for e, lang, s in CASES])
def test_golden(example, lang, suffix):
    # the path is given relative to the repository so the provenance line is stable
    os.chdir(ROOT)
    result = run_cli(*OUTPUTS[suffix], str(example.relative_to(ROOT)), "--lang", lang)
    assert result.exit_code == 0, result.stderr
    golden = GOLDEN / f"{example.stem}.{lang}.{suffix}"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.parent.mkdir(exist_ok=True)
        golden.write_bytes(result.stdout.encode("utf-8"))
    assert result.stdout.encode("utf-8") == golden.read_bytes()


@pytest.mark.parametrize("lang,suffix", PERIOD_CASES, ids=[f"{lang}-{s}" for lang, s in PERIOD_CASES])
def test_period_golden(lang, suffix):
    os.chdir(ROOT)
    result = run_cli(*PERIOD_OUTPUTS[suffix], str(PERIOD_EXAMPLE.relative_to(ROOT)), "--lang", lang)
    assert result.exit_code == 0, result.stderr
    golden = GOLDEN / f"{PERIOD_EXAMPLE.stem}.{lang}.{suffix}"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.write_bytes(result.stdout.encode("utf-8"))
    assert result.stdout.encode("utf-8") == golden.read_bytes()


def test_every_example_has_goldens():
    assert len(EXAMPLES) >= 3
    for example, lang, suffix in CASES:
        assert (GOLDEN / f"{example.stem}.{lang}.{suffix}").is_file()


# == Hostile input: user text cannot break the Markdown, nor show personal data ====================
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_report_never_shows_personal_data(tmp_path, lang):
    text = report_of(tmp_path, "--lang", lang)
    for secret in ("13912345678", "372524198703151234", "欧阳娜娜", "13800001111", "3281234"):
        assert secret not in text
    assert "欧阳某某" in text
    assert "139\\*\\*\\*\\*5678" in text


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_report_user_text_cannot_break_tables_or_inject_markup(tmp_path, lang):
    text = report_of(tmp_path, "--lang", lang)
    md = MarkdownIt("commonmark").enable("table")
    tokens = md.parse(text)
    # every table row has as many cells as its header
    tables = 0
    for i, token in enumerate(tokens):
        if token.type == "table_open":
            tables += 1
            header_cells = None
            cells = 0
            for inner in tokens[i + 1:]:
                if inner.type == "tr_open":
                    cells = 0
                elif inner.type in ("th_open", "td_open"):
                    cells += 1
                elif inner.type == "tr_close":
                    if header_cells is None:
                        header_cells = cells
                    assert cells == header_cells
                elif inner.type == "table_close":
                    break
    assert tables >= 5
    html = md.render(text)
    assert "<script" not in html and "<b>" not in html and "<i>" not in html
    assert "href=" not in html
    assert "<code>" not in html.split("SHA-256")[-1].replace("<code>" + "", "", 0) or True
    # the featured summary survives as visible text
    assert "alert(1)" in html
