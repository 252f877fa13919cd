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
from conftest import EXAMPLES, ROOT, hostile_ledger, run_cli, write_ledger


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


def test_report_has_provenance(tmp_path):
    import hashlib
    path = write_ledger(tmp_path, LEDGER)
    text = run_cli("report", str(path)).stdout
    assert hashlib.sha256(path.read_bytes()).hexdigest() in text
    assert f"grassroots-report {gr.__version__}" in text


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
    assert out.read_text(encoding="utf-8") == run_cli("report", str(path)).stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ledger.yaml", "out.md"]


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
CASES = [(example, lang, suffix) for example in EXAMPLES for lang in ("zh", "en") for suffix in OUTPUTS]
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
