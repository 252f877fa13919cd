"""Word: the briefing as a Word document (GB/T 9704).

Layout and fonts, the same content as the Markdown report, bytes and files,
and the conversion by LibreOffice; then hostile input: text that would inject
XML into the document or show personal data.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import zipfile

import docx
import pytest
from lxml import etree
from markdown_it import MarkdownIt

import grassroots_report as gr
from conftest import ALL_EXAMPLES, EXAMPLES, ROOT, hostile_ledger, run_cli, write_ledger


# == Layout and fonts ==============================================================================
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
HOTLINE = ROOT / "examples" / "hotline-2024-03.yaml"

HOSTILE_SUMMARY = ("欧阳娜娜来电（13912345678）反映：<w:r><w:t>注入</w:t></w:r> ]]> <![CDATA[x]]> "
                   "&amp; & \"双引号\" '单引号' <script>alert(1)</script>\x01\x08\x0b\x1b[31m\u2028第二行")
# XML's own syntax (tags, entities, CDATA ends, quotes) in every field the document shows
LEDGER = hostile_ledger(HOSTILE_SUMMARY, jurisdiction="测试县<&>", unit="县<b>住建局</b>", first_id="A-1]]>",
                        second_id="A-2", category="城乡建设/物业&管理", escalated_to="县政府\"'",
                        note="欧阳娜娜表示满意</w:t>", mediator="李<建>国", room="第一&调解室", leader="副县长'\"")
SECRETS = ("13912345678", "372524198703151234", "欧阳娜娜", "13800001111", "3281234")


def docx_of(tmp_path, ledger, *extra, name="report.docx"):
    out = tmp_path / name
    result = run_cli("report", str(ledger), "-o", str(out), *extra)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    return out


def all_runs(document):
    """Every w:r of the body and of the footers, with the paragraph that holds it."""
    parts = [document.element.body] + [section.footer._element for section in document.sections]
    for part in parts:
        for run in part.iter(f"{W}r"):
            yield run


def east_asian_font(run) -> str | None:
    fonts = run.find(f"{W}rPr/{W}rFonts")
    return None if fonts is None else fonts.get(f"{W}eastAsia")


def half_points(run) -> int:
    return int(run.find(f"{W}rPr/{W}sz").get(f"{W}val"))


def body_paragraphs(document):
    """Paragraphs outside tables, with their text."""
    return [p for p in document.paragraphs if p.text]


@pytest.fixture(scope="module")
def hotline(tmp_path_factory):
    out = docx_of(tmp_path_factory.mktemp("hotline"), HOTLINE)
    return out, docx.Document(str(out))


def test_a4_and_the_margins_of_gb_t_9704(hotline):
    _, document = hotline
    assert len(document.sections) == 1
    section = document.sections[0]
    assert (round(section.page_width.mm, 1), round(section.page_height.mm, 1)) == (210.0, 297.0)  # A4
    assert [round(m.mm, 1) for m in (section.top_margin, section.bottom_margin, section.left_margin,
                                     section.right_margin)] == [37.0, 35.0, 28.0, 26.0]


def test_every_run_has_its_east_asian_font_and_size(hotline):
    _, document = hotline
    runs = list(all_runs(document))
    assert len(runs) > 400
    fonts = {east_asian_font(run) for run in runs}
    assert None not in fonts
    assert fonts == {"方正小标宋简体", "仿宋_GB2312", "黑体", "楷体", "宋体"}
    for run in runs:
        latin = run.find(f"{W}rPr/{W}rFonts")
        assert latin.get(f"{W}ascii") and latin.get(f"{W}hAnsi")


def test_title_headings_and_body_fonts(hotline):
    _, document = hotline
    paragraphs = body_paragraphs(document)
    title = next(p for p in paragraphs if p.text == "东阿县12345政务服务便民热线2024年3月工单办理情况通报")
    assert title.alignment == docx.enum.text.WD_ALIGN_PARAGRAPH.CENTER
    assert {(east_asian_font(r), half_points(r)) for r in title._element.iter(f"{W}r")} == {("方正小标宋简体", 44)}
    headings = [p for p in paragraphs if p.text[:2] in ("一、", "二、", "三、")]
    assert [p.text for p in headings] == ["一、总体情况", "二、单位排名", "三、诉求分类"]
    for heading in headings:
        assert {(east_asian_font(r), half_points(r)) for r in heading._element.iter(f"{W}r")} == {("黑体", 32)}
    overview = next(p for p in paragraphs if p.text.startswith("本期共受理"))
    assert {(east_asian_font(r), half_points(r)) for r in overview._element.iter(f"{W}r")} == {("仿宋_GB2312", 32)}
    spacing = overview.paragraph_format
    assert spacing.line_spacing_rule == docx.enum.text.WD_LINE_SPACING.EXACTLY
    assert spacing.line_spacing.pt == 28.0


def test_the_page_number_field_in_the_footer(hotline):
    _, document = hotline
    footer = document.sections[0].footer._element
    assert [t.text for t in footer.iter(f"{W}instrText")] == [" PAGE "]
    assert [f.get(f"{W}fldCharType") for f in footer.iter(f"{W}fldChar")] == ["begin", "separate", "end"]
    assert "".join(t.text for t in footer.iter(f"{W}t")) == "— 1 —"
    runs = list(footer.iter(f"{W}r"))
    assert {(east_asian_font(r), half_points(r)) for r in runs} == {("宋体", 28)}
    assert footer.find(f"{W}p/{W}pPr/{W}jc").get(f"{W}val") == "center"


def test_tables_have_borders_a_bold_repeating_header_and_right_aligned_numbers(hotline):
    _, document = hotline
    kpi = document.tables[0]
    borders = kpi._tbl.find(f"{W}tblPr/{W}tblBorders")
    assert sorted(b.tag.replace(W, "") for b in borders) == ["bottom", "insideH", "insideV", "left", "right", "top"]
    assert {b.get(f"{W}val") for b in borders} == {"single"}
    header = kpi.rows[0]._tr
    assert header.find(f"{W}trPr/{W}tblHeader") is not None
    assert all(r.find(f"{W}rPr/{W}b") is not None for r in header.iter(f"{W}r"))
    assert [c.text for c in kpi.rows[1].cells] == ["办结率", "94.30%", "≥95.00%", "未达标"]
    assert [c.paragraphs[0].alignment for c in kpi.rows[1].cells] == [
        docx.enum.text.WD_ALIGN_PARAGRAPH.LEFT] + [docx.enum.text.WD_ALIGN_PARAGRAPH.RIGHT] * 3


def test_provenance_is_in_the_document_properties_never_in_the_body(hotline):
    out, document = hotline
    digest = hashlib.sha256(HOTLINE.read_bytes()).hexdigest()
    body = zipfile.ZipFile(out).read("word/document.xml").decode("utf-8")
    assert digest not in body and "grassroots-report" not in body and "hotline-2024-03.yaml" not in body
    custom = etree.fromstring(zipfile.ZipFile(out).read("docProps/custom.xml"))
    provenance = json.loads(custom.find("{*}property[@name='sources']/{*}lpwstr").text)
    assert provenance == {"generator": f"grassroots-report {gr.__version__}",
                          "sources": [{"file": str(HOTLINE), "sha256": digest}]}


def frame_texts(document):
    """The body's paragraphs and the 版记 (a table floating at the foot), in order, as text."""
    texts = []
    for element in document.element.body:
        if element.tag == f"{W}tbl" and element.find(f"{W}tblPr/{W}tblpPr") is not None:
            texts += ["".join(t.text for t in p.iter(f"{W}t")) for p in element.iter(f"{W}p")]
        elif element.tag == f"{W}p":
            texts.append("".join(t.text or "" for t in element.iter(f"{W}t")))
    return [t for t in texts if t]


def test_the_frame_of_gb_t_9704_masthead_addressee_signature_and_colophon(hotline):
    out, document = hotline
    texts = frame_texts(document)
    assert texts[:5] == ["东阿县12345热线工作通报", "第3期（总第74期）", "东阿县12345政务服务便民热线办公室2024年4月2日",
                         "东阿县12345政务服务便民热线2024年3月工单办理情况通报", "各镇人民政府、街道办事处，县直有关部门："]
    assert texts[-4:] == ["东阿县12345政务服务便民热线办公室", "2024年4月2日", "抄送：县委办公室、县政府办公室。",
                          "东阿县12345政务服务便民热线办公室2024年4月2日印发"]  # one character in: by indents
    body = document.element.body
    masthead = next(p for p in body.iter(f"{W}p") if "".join(t.text for t in p.iter(f"{W}t")) == texts[0])
    runs = list(masthead.iter(f"{W}r"))
    assert {(east_asian_font(r), r.find(f"{W}rPr/{W}color").get(f"{W}val")) for r in runs} == {("方正小标宋简体", "FF0000")}
    assert half_points(runs[0]) * 10 * len("东阿县热线工作通报") < _text_width()  # as large as the width allows
    rule = next(p for p in body.iter(f"{W}p") if p.find(f"{W}pPr/{W}pBdr/{W}bottom") is not None)
    assert rule.find(f"{W}pPr/{W}pBdr/{W}bottom").get(f"{W}color") == "FF0000"  # the red rule under the masthead
    colophon = next(t for t in body.iter(f"{W}tbl") if t.find(f"{W}tblPr/{W}tblpPr") is not None)
    position = colophon.find(f"{W}tblPr/{W}tblpPr")
    assert (position.get(f"{W}vertAnchor"), position.get(f"{W}tblpYSpec")) == ("margin", "bottom")  # the foot
    borders = {b.tag.replace(W, ""): b.get(f"{W}sz") for b in colophon.find(f"{W}tblPr/{W}tblBorders")
               if b.get(f"{W}val") == "single"}
    assert borders == {"top": "8", "bottom": "8", "insideH": "6"}  # 0.35 mm rules outside, 0.25 mm between
    assert list(body)[-3] is colophon  # the last thing on the last page


def _text_width():
    return gr._mm_twips(210 - 28 - 26)


def test_without_a_briefing_no_frame(tmp_path):
    plain = tmp_path / "plain.yaml"
    text = HOTLINE.read_text(encoding="utf-8")
    start = text.index("briefing:")
    end = text.index("\n\n", start)
    plain.write_text(text[:start] + text[end + 2:], encoding="utf-8")
    document = docx.Document(str(docx_of(tmp_path, plain)))
    texts = frame_texts(document)
    assert texts[0] == "东阿县12345政务服务便民热线2024年3月工单办理情况通报"
    assert not any("印发" in t or "抄送" in t or "热线工作通报" in t for t in texts)
    assert not any(t.find(f"{W}tblPr/{W}tblpPr") is not None for t in document.element.body.iter(f"{W}tbl"))


def test_warnings_are_red_squares_not_emoji_and_bars_are_shaded(hotline):
    out, document = hotline
    xml = zipfile.ZipFile(out).read("word/document.xml").decode("utf-8")
    assert "🔴" not in xml and "█" not in xml
    ranking = document.tables[1]
    assert ranking.rows[0].cells[-1].text == "预警"
    marks = [r for r in ranking._tbl.iter(f"{W}r") if "".join(t.text for t in r.iter(f"{W}t")) == "■ "]
    assert len(marks) == 3
    assert {r.find(f"{W}rPr/{W}color").get(f"{W}val") for r in marks} == {"FF0000"}
    shaded = [r for r in document.element.body.iter(f"{W}r") if r.find(f"{W}rPr/{W}shd") is not None]
    assert len(shaded) == 15  # a bar for each of 10 categories and 5 channels
    # every bar the same run of figure spaces, its width scaled: proportional to the cases it stands for
    assert {"".join(t.text for t in r.iter(f"{W}t")) for r in shaded} == {"\u2007" * 2 * gr.DOCX_BAR_EMS}
    scales = [int(r.find(f"{W}rPr/{W}w").get(f"{W}val")) for r in shaded[:10]]
    received = [int(row.cells[2].text) for row in document.tables[next(
        i for i, t in enumerate(document.tables) if t.rows[0].cells[-1].text == "分布")].rows[1:]]
    assert scales[0] == 100
    # within the bar's own rounding (an eighth of a block, 1/160 of the longest)
    assert all(abs(scale - 100 * n / received[0]) <= 1 for scale, n in zip(scales, received))


def test_chinese_numbers():
    assert [gr.chinese_number(n) for n in (1, 9, 10, 11, 20, 23, 99, 100)] == [
        "一", "九", "十", "十一", "二十", "二十三", "九十九", "100"]


# == The same briefing as the Markdown =============================================================
def markdown_tables(text: str) -> list[list[list[str]]]:
    """Each table of the Markdown as rows of cell texts (Markdown escapes undone)."""
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    tables, row = [], None
    for token in tokens:
        if token.type == "table_open":
            tables.append([])
        elif token.type == "tr_open":
            row = []
            tables[-1].append(row)
        elif token.type == "inline" and row is not None:
            row.append("".join(child.content for child in token.children or ()))
        elif token.type == "table_close":
            row = None
    return tables


def normalised_markdown_cell(text: str) -> str:
    if text and set(text) <= set("█▏▎▍▌▋▊▉"):
        return "BAR"
    return text.replace("🔴 ", "■ ")


def normalised_word_cell(text: str) -> str:
    return "BAR" if text and set(text) == {"\u2007"} else text


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("example", ALL_EXAMPLES, ids=[e.stem for e in ALL_EXAMPLES])
def test_one_word_table_for_each_markdown_table_cell_for_cell(tmp_path, example, lang):
    markdown = run_cli("report", str(example), "--lang", lang).stdout
    document = docx.Document(str(docx_of(tmp_path, example, "--lang", lang)))
    expected = [[[normalised_markdown_cell(c) for c in row] for row in table] for table in markdown_tables(markdown)]
    found = [[[normalised_word_cell(c.text) for c in row.cells] for row in table.rows] for table in document.tables
             if table._tbl.find(f"{W}tblPr/{W}tblpPr") is None]  # but the 版记
    assert len(found) == len(expected) >= 5
    assert found == expected


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.stem for e in EXAMPLES])
def test_the_figures_of_the_json_summary(tmp_path, example):
    totals = json.loads(run_cli("summary", str(example), "--format", "json").stdout)["totals"]
    document = docx.Document(str(docx_of(tmp_path, example)))
    overview = next(p.text for p in document.paragraphs if p.text.startswith("本期共受理"))
    completion = f"{totals['completion_rate'] * 100:.2f}%"
    assert f"本期共受理{totals['received']}件" in overview
    assert f"办结率{completion}" in overview
    assert f"超期未办结{totals['overdue']}件" in overview
    assert document.tables[0].rows[1].cells[1].text == completion


def test_the_completion_rate_text_as_in_the_markdown(hotline):
    _, document = hotline
    markdown = run_cli("report", str(HOTLINE)).stdout
    paragraph = next(line for line in markdown.splitlines() if line.startswith("本期共受理"))
    overview = next(p.text for p in document.paragraphs if p.text.startswith("本期共受理"))
    assert overview == paragraph.replace("**", "")
    assert "办结率94.30%" in overview


def test_english(tmp_path):
    document = docx.Document(str(docx_of(tmp_path, HOTLINE, "--lang", "en")))
    texts = [p.text for p in body_paragraphs(document)]
    assert texts[1] == "No. 3 (issue 74 in all)"
    assert texts[4] == "各镇人民政府、街道办事处, 县直有关部门:"
    assert texts[5].startswith("This briefing reports on 东阿县, 1 March to 31 March 2024 (figures as of 1 April 2024")
    assert [t for t in texts if t.startswith(("1. ", "2. "))][:2] == ["1. Overview", "2. Ranking of units"]
    assert any("completion 94.30%" in text for text in texts)
    assert texts[-2:] == ["东阿县12345政务服务便民热线办公室", "2 April 2024"]
    assert {east_asian_font(run) for run in all_runs(document)} == {"方正小标宋简体", "仿宋_GB2312", "黑体", "楷体", "宋体"}


def test_sections_in_the_same_order_as_the_markdown(tmp_path):
    path = write_ledger(tmp_path, LEDGER)
    markdown = run_cli("report", str(path), "--as-of", "2024-04-01").stdout
    headings = [line[3:] for line in markdown.splitlines() if line.startswith("## ")]
    document = docx.Document(str(docx_of(tmp_path, path, "--as-of", "2024-04-01")))
    levels = [(p.text, p._p.find(f"{W}pPr/{W}outlineLvl")) for p in document.paragraphs]
    found = [text for text, level in levels if level is not None and level.get(f"{W}val") == "0"]
    assert found == headings
    assert len(found) == 11


# == Bytes and files ===============================================================================
def test_same_bytes_twice_fixed_times_and_properties(tmp_path):
    first = docx_of(tmp_path, HOTLINE, name="a.docx").read_bytes()
    second = docx_of(tmp_path, HOTLINE, name="b.docx").read_bytes()
    assert first == second
    package = zipfile.ZipFile(io.BytesIO(first))
    assert package.namelist()[:2] == ["[Content_Types].xml", "_rels/.rels"]
    assert {info.date_time for info in package.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    assert "docProps/thumbnail.jpeg" not in package.namelist()
    properties = docx.Document(io.BytesIO(first)).core_properties
    # the ledger's as-of, 2024-04-01 09:00 +08:00, in UTC
    assert properties.created.replace(tzinfo=None).isoformat() == "2024-04-01T01:00:00"
    assert properties.modified == properties.created
    assert properties.author == "grassroots-report"
    assert properties.title == "东阿县12345政务服务便民热线2024年3月工单办理情况通报"


def test_format_docx_without_o_is_a_usage_error():
    result = run_cli("report", str(HOTLINE), "--format", "docx")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "-o OUT.docx" in result.stderr


def test_format_docx_writes_any_name_and_the_extension_chooses_by_itself(tmp_path):
    named = tmp_path / "briefing"
    result = run_cli("report", str(HOTLINE), "--format", "docx", "-o", str(named))
    assert result.exit_code == 0, result.stderr
    by_extension = docx_of(tmp_path, HOTLINE, name="briefing.DOCX")
    assert named.read_bytes() == by_extension.read_bytes()
    assert named.read_bytes()[:2] == b"PK"
    markdown = tmp_path / "forced.docx"
    assert run_cli("report", str(HOTLINE), "--format", "markdown", "-o", str(markdown)).exit_code == 0
    assert markdown.read_text(encoding="utf-8").startswith("**东阿县12345热线工作通报**\n")


def test_docx_is_written_whole_and_never_onto_an_input(tmp_path):
    path = write_ledger(tmp_path, LEDGER)
    docx_of(tmp_path, path, name="out.docx")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ledger.yaml", "out.docx"]
    before = path.read_bytes()
    result = run_cli("report", str(path), "--format", "docx", "-o", str(path))
    assert result.exit_code == 2
    assert path.read_bytes() == before


def test_run_writes_the_docx_and_prints_the_table(tmp_path):
    out = tmp_path / "run.docx"
    result = run_cli("run", str(HOTLINE), "-o", str(out))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("单位")
    assert out.read_bytes() == docx_of(tmp_path, HOTLINE).read_bytes()


# == LibreOffice converts it to PDF ================================================================
LIBREOFFICE_MISSING = next((f"{tool} not found: install LibreOffice and poppler-utils "
                            "(apt-get install libreoffice-writer poppler-utils fonts-noto-cjk fonts-liberation) to run this test"
                            for tool in ("soffice", "pdfinfo", "pdftotext") if shutil.which(tool) is None), None)


@pytest.mark.skipif(LIBREOFFICE_MISSING is not None, reason=LIBREOFFICE_MISSING or "")
def test_libreoffice_converts_it_to_pdf(tmp_path):
    out = docx_of(tmp_path, HOTLINE)
    # the fonts GB/T 9704 names, mapped to the Noto CJK faces; a private profile, so runs cannot collide
    env = dict(os.environ, FONTCONFIG_FILE=str(ROOT / "tests" / "fonts.conf"), HOME=str(tmp_path))
    subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path}/profile", "--headless",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(out)],
                   check=True, capture_output=True, timeout=240, env=env)
    pdf = tmp_path / "report.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True,
                          text=True).stdout
    assert "办结率 94.30%" in " ".join(text.split())
    footers = [line.replace(" ", "") for line in text.splitlines() if line.strip().startswith("—")]
    assert footers == [f"—{n}—" for n in range(1, pages + 1)]  # the PAGE field, on every page
    # measured with LibreOffice 7.4 and the fonts of tests/fonts.conf; a page more or less
    # would mean a layout change (line spacing, table widths) worth a look
    # 7 before the 红榜, 黑榜 and in-type rankings; 8 before the frame and 统计说明; 9 before the two charts
    assert pages == 10
    last = "".join(text.split("\f")[pages - 1].split())
    assert "抄送：县委办公室、县政府办公室。" in last and "2024年4月2日印发" in last  # the 版记 on the last page
    boxes = subprocess.run(["pdftotext", "-bbox", "-f", str(pages), "-l", str(pages), str(pdf), "-"], check=True,
                           capture_output=True, text=True).stdout
    printed = [float(line.split('yMax="')[1].split('"')[0]) for line in boxes.splitlines() if "印发" in line]
    foot = (297 - 35) * 72 / 25.4  # the bottom of the type area, in points
    assert printed and foot - 12 < printed[-1] <= foot + 1  # at the foot of the page, not under the text


# == Hostile input: text is carried as text, and masked ============================================
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_hostile_text_is_carried_as_text_and_masked(tmp_path, lang):
    out = docx_of(tmp_path, write_ledger(tmp_path, LEDGER), "--as-of", "2024-04-01", "--lang", lang)
    package = zipfile.ZipFile(out)
    for name in package.namelist():
        data = package.read(name).decode("utf-8", errors="replace")
        for secret in SECRETS:
            assert secret not in data, (name, secret)
    body = etree.fromstring(package.read("word/document.xml"))
    # nothing but WordprocessingML elements (and the drawing of a chart): no element was injected
    drawing = {"{http://schemas.openxmlformats.org/drawingml/2006/main}",
               "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}", C}
    assert {element.tag.split("}")[0] + "}" for element in body.iter()} <= {W} | drawing
    assert not [e for e in body.iter() if e.tag in (f"{W}script", "script", f"{W}b") and e.getparent().tag != f"{W}rPr"]
    document = docx.Document(str(out))
    texts = "\n".join(p.text for p in document.paragraphs)
    request = next(p.text for p in document.paragraphs if "alert(1)" in p.text)
    assert "<w:r><w:t>注入</w:t></w:r> ]]> <![CDATA[x]]> &amp; & \"双引号\" '单引号' <script>alert(1)</script>" in request
    assert "欧阳某某" in request and "139****5678" in request
    assert not any(ch in request for ch in "\x01\x08\x0b\x1b\u2028")
    assert "测试县<&>" in texts
    assert "A-1]]>" in texts
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    assert "县<b>住建局</b>" in cells and "李<建>国" in cells and "副县长'\"" in cells


# == Hostile input, round three: controls in the title ------------------------------------
@pytest.mark.parametrize("title", [None, "通报\x01\x08\x0b\x1b[31m标题\u202e\ufffe"])
def test_controls_in_the_jurisdiction_or_the_title_reach_the_document_escaped(tmp_path, title):
    ledger = tmp_path / "l.yaml"
    ledger.write_text('version: 1\njurisdiction: "东阿\\u001b[31m县\\u0007\\u0000\\uffff"\nas_of: 2024-04-01\n'
                      "cases: []\n", encoding="utf-8")
    out = tmp_path / "r.docx"
    result = run_cli("report", str(ledger), "-o", str(out), *(["--title", title] if title else []))
    assert result.exit_code == 0 and "Traceback" not in result.stderr, result.stderr
    with zipfile.ZipFile(out) as package:
        text = package.read("word/document.xml").decode("utf-8") + package.read("docProps/core.xml").decode("utf-8")
    assert not any(ch in text for ch in "\x00\x01\x07\x08\x0b\x1b\u202e\ufffe\uffff")
    assert "\\x1b" in text


# == Figures: Word's own charts, SVG beside Markdown (round three) ================================
MONTHS = ROOT / "examples" / "hotline-2023-01-to-2024-03.yaml"
C = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"


def cached(part: bytes) -> tuple[list[str], list[float]]:
    root = etree.fromstring(part)
    names = [v.text for v in root.iter(f"{C}cat") for v in v.iter(f"{C}v")]
    values = [float(v.text) for v in root.iter(f"{C}val") for v in v.iter(f"{C}v")]
    return names, values


def test_the_charts_are_words_own_with_the_figures_of_the_json(tmp_path):
    out = docx_of(tmp_path, MONTHS, "--period", "2024-03")
    package = zipfile.ZipFile(out)
    data = json.loads(run_cli("summary", str(MONTHS), "--period", "2024-03", "--format", "json").stdout)
    trend, scores, categories = (package.read(f"word/charts/chart{n}.xml") for n in (1, 2, 3))
    assert cached(trend) == ([f"{int(m['period']['end'][:4])}年{int(m['period']['end'][5:7])}月" for m in data["trend"]],
                             [m["received"] for m in data["trend"]])
    units = [u for u in data["groups"]["unit"] if u["rank"] is not None]
    assert cached(scores) == ([u["name"] for u in units], [u["score"] for u in units])
    assert cached(categories) == ([c["name"] for c in data["groups"]["category"]],
                                  [c["received"] for c in data["groups"]["category"]])
    assert b"<c:lineChart>" in trend and b"<c:barChart>" in scores
    assert b'typeface="\xe4\xbb\xbf\xe5\xae\x8b_GB2312"' in trend  # drawn in 仿宋_GB2312, the body's face
    # each with its workbook beside it, so that Word and WPS can edit the data
    rels = package.read("word/charts/_rels/chart1.xml.rels").decode("utf-8")
    assert "../embeddings/Microsoft_Excel_Worksheet1.xlsx" in rels and b"<c:externalData r:id=" in trend
    assert package.read("word/embeddings/Microsoft_Excel_Worksheet1.xlsx")[:2] == b"PK"
    body = package.read("word/document.xml").decode("utf-8")
    assert body.count("<c:chart ") == 3
    document = docx.Document(str(out))
    captions = [p.text for p in document.paragraphs if p.text.startswith("图")]
    assert captions == ["图1 诉求量月度走势", "图2 单位综合得分", "图3 诉求分类"]
    assert docx_of(tmp_path, MONTHS, "--period", "2024-03", name="again.docx").read_bytes() == out.read_bytes()


def test_without_a_period_no_trend_chart(tmp_path):
    package = zipfile.ZipFile(docx_of(tmp_path, HOTLINE))
    charts = sorted(n for n in package.namelist() if n.startswith("word/charts/chart"))
    assert charts == ["word/charts/chart1.xml", "word/charts/chart2.xml"]  # scores, categories


def test_a_markdown_report_written_with_o_gets_its_figures_as_svg(tmp_path):
    from xml.dom import minidom

    out = tmp_path / "march.md"
    result = run_cli("report", str(MONTHS), "--period", "2024-03", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    text = out.read_text(encoding="utf-8")
    for number, caption in ((1, "图1 诉求量月度走势"), (2, "图2 单位综合得分"), (3, "图3 诉求分类")):
        figure = tmp_path / f"march.fig{number}.svg"
        assert f"![{caption}](march.fig{number}.svg)" in text
        assert f"图已写入 {figure}" in result.stderr
        svg = minidom.parse(str(figure))  # well-formed
        texts = [node.firstChild.data for node in svg.getElementsByTagName("text") if node.firstChild]
        assert caption in texts
    labels = [n.firstChild.data for n in minidom.parse(str(tmp_path / "march.fig3.svg")).getElementsByTagName("text")]
    assert "城乡建设" in labels and "15" in labels
    assert "![" not in run_cli("report", str(MONTHS), "--period", "2024-03").stdout  # on stdout, none
