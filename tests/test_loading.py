"""Loading: a ledger's bytes read into cases.

Files and standard input (pipes and FIFOs read once), encodings, YAML syntax
errors in our own words, plain scalars and times as written; then hostile input
to the reader.  Platform exports are read in test_import.py; what the cases say
is checked in test_checking.py.
"""
from __future__ import annotations

import hashlib
import json
import os
import random
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml

import grassroots_report as gr
from conftest import (CORPORA, HEADER, MB, MEMORY_LIMIT_KB, ONE_CASE, TOOL, VALID_LEDGER, Measured, clean, figures,
                      run_cli, run_measured, run_subprocess, write)


# == Files and standard input ======================================================================
# A path names a file and `-` standard input; what cannot be read is a usage error (exit 2)
# that names the path, never a traceback.

def test_a_missing_file_is_a_usage_error(tmp_path):
    missing = tmp_path / "nope.yaml"
    result = run_cli("check", str(missing))
    assert result.exit_code == 2
    assert str(missing) in result.stderr and "no such file" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_a_missing_file_among_good_ones_is_a_usage_error(ledger, tmp_path):
    result = run_cli("summary", str(ledger), str(tmp_path / "nope.yaml"))
    assert result.exit_code == 2
    assert "nope.yaml" in result.stderr
    assert result.stdout == ""


def test_a_directory_is_a_usage_error(tmp_path):
    result = run_cli("check", str(tmp_path))
    assert result.exit_code == 2
    assert str(tmp_path) in result.stderr and "directory" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read a chmod 000 file")
def test_an_unreadable_file_is_a_usage_error(ledger):
    ledger.chmod(0)
    try:
        result = run_cli("check", str(ledger))
    finally:
        ledger.chmod(0o644)
    assert result.exit_code == 2
    assert str(ledger) in result.stderr and "permission denied" in result.stderr


# -- standard input --------------------------------------------------------------------------------
def test_dash_reads_standard_input(ledger):
    data = ledger.read_bytes()
    from_file = run_subprocess("summary", "--format", "json", str(ledger), timeout=60)
    from_stdin = run_subprocess("summary", "--format", "json", "-", input=data, timeout=60)
    assert (from_file.returncode, from_stdin.returncode) == (0, 0), from_stdin.stderr.decode()
    assert figures(from_stdin.stdout) == figures(from_file.stdout)
    assert json.loads(from_stdin.stdout)["sources"] == [{"file": "<stdin>", "sha256": hashlib.sha256(data).hexdigest()}]
    assert b'"jurisdiction": "\xe4\xb8\x9c\xe9\x98\xbf\xe5\x8e\xbf"' in from_stdin.stdout  # 东阿县


def test_dash_problems_are_located_in_stdin():
    proc = run_subprocess("check", "--lang", "en", "-", input=b"version: 1\njurisdiction: x\n", timeout=60)
    assert proc.returncode == 1
    assert proc.stderr.decode().startswith("<stdin>:"), proc.stderr.decode()


def test_dash_with_empty_standard_input():
    proc = run_subprocess("check", "--lang", "en", "-", input=b"", timeout=60)
    assert proc.returncode == 1
    assert "empty" in proc.stderr.decode()
    assert b"Traceback" not in proc.stderr


def test_dash_twice_is_a_usage_error(ledger):
    result = run_cli("check", "-", "-", input=ledger.read_bytes())
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == ("-: `-`（标准输入）只能出现一次：标准输入只能读一遍 / "
                             "`-` (standard input) can be named once: standard input can be read only once\n")


# -- pipes and FIFOs are read once -----------------------------------------------------------------
LATE_HEADER = ("cases:\n  - {id: A1, received: '2024-03-04 09:12', kind: complaint, category: 城乡建设,"
               " unit: 铜城街道, status: open}\nversion: 1\njurisdiction: 东阿县\nas_of: '2024-04-01 09:00'\n")


@pytest.mark.parametrize("how", ["dev_stdin", "dash"])
def test_a_header_after_cases_through_a_pipe_is_read(tmp_path, how):
    args = ["summary", "--format", "csv", "/dev/stdin" if how == "dev_stdin" else "-"]
    proc = subprocess.run(f"cat | {sys.executable} {TOOL} {' '.join(args)}", shell=True,
                          input=LATE_HEADER.encode("utf-8"), capture_output=True, timeout=60,
                          env=dict(os.environ, PYTHONIOENCODING="utf-8"))
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stderr == b""
    assert proc.stdout.decode("utf-8").splitlines()[1].startswith("unit,铜城街道,,1,0,0,1,")


def test_a_fifo_with_a_writer_is_read_once(tmp_path):
    fifo = tmp_path / "in.fifo"
    os.mkfifo(fifo)
    data = LATE_HEADER.encode("utf-8")

    def slow_writer() -> None:
        with open(fifo, "wb") as writer:
            for i in range(0, len(data), 40):
                writer.write(data[i:i + 40])
                writer.flush()
                time.sleep(0.02)

    thread = threading.Thread(target=slow_writer)
    thread.start()
    proc = run_subprocess("check", str(fifo), timeout=60)
    thread.join(timeout=60)
    assert (proc.returncode, proc.stdout) == (0, b""), proc.stderr.decode()
    assert proc.stderr.decode("utf-8") == f"{fifo}：1 个案件，检查通过\n"


def test_the_gbk_and_tab_hints_work_through_dev_stdin(ledger):
    gbk = ledger.read_text(encoding="utf-8").encode("gbk")
    proc = subprocess.run(f"cat | {sys.executable} {TOOL} check /dev/stdin", shell=True, input=gbk,
                          capture_output=True, timeout=60, env=dict(os.environ, PYTHONIOENCODING="utf-8"))
    assert proc.returncode == 1 and proc.stdout == b""
    assert "看起来是 GBK/GB18030" in proc.stderr.decode("utf-8")
    tabbed = b"version: 1\njurisdiction: x\ncases:\n\t- {id: a}\n"
    proc = subprocess.run(f"cat | {sys.executable} {TOOL} check /dev/stdin", shell=True, input=tabbed,
                          capture_output=True, timeout=60, env=dict(os.environ, PYTHONIOENCODING="utf-8"))
    assert proc.returncode == 1 and proc.stdout == b""
    assert "Tab 缩进" in proc.stderr.decode("utf-8")


def test_a_directory_as_standard_input_is_refused_by_python_before_the_tool_runs(tmp_path):
    # documented in the README: the shell opens the directory, and Python cannot start on it
    descriptor = os.open(tmp_path, os.O_RDONLY)
    try:
        proc = subprocess.run([sys.executable, str(TOOL), "check", "-"], stdin=descriptor, capture_output=True,
                              timeout=60)
    finally:
        os.close(descriptor)
    assert proc.returncode != 0 and proc.stdout == b""
    assert b"<stdin> is a directory" in proc.stderr
    clean(proc.stderr)


# == Encodings =====================================================================================
# UTF-8 (with or without BOM) is read; GBK and friends are named, and read on request.

EXAMPLE = run_cli("example").stdout
# Characters outside GBK but inside GB18030 (a rare surname character and a CJK Extension B one).
GB18030_ONLY = EXAMPLE.replace("张伟", "张䶮𠀀")
assert GB18030_ONLY != EXAMPLE, "the example no longer names 张伟; pick another name to replace"


def ok_line(path, cases=6):
    return f"{path}: {cases} cases, no problems"


def test_the_example_has_chinese_text_and_is_valid(tmp_path):
    assert "东阿县" in EXAMPLE and "张伟" in EXAMPLE
    path = write(tmp_path, "utf8.yaml", EXAMPLE.encode("utf-8"))
    result = run_cli("check", "--lang", "en", str(path))
    assert (result.exit_code, result.stderr.strip()) == (0, ok_line(path))


def test_utf8_with_bom_is_accepted(tmp_path):
    path = write(tmp_path, "bom.yaml", b"\xef\xbb\xbf" + EXAMPLE.encode("utf-8"))
    result = run_cli("check", "--lang", "en", str(path))
    assert (result.exit_code, result.stderr.strip()) == (0, ok_line(path))


def test_utf8_with_bom_gives_the_same_summary(tmp_path):
    plain = write(tmp_path, "plain.yaml", EXAMPLE.encode("utf-8"))
    bom = write(tmp_path, "bom.yaml", b"\xef\xbb\xbf" + EXAMPLE.encode("utf-8"))
    first = run_cli("summary", "--format", "json", str(plain))
    second = run_cli("summary", "--format", "json", str(bom))
    assert (first.exit_code, second.exit_code) == (0, 0)
    assert figures(second.stdout) == figures(first.stdout)


@pytest.mark.parametrize("codec, text", [("gbk", EXAMPLE), ("gb18030", EXAMPLE), ("gb18030", GB18030_ONLY)],
                         ids=["gbk", "gb18030", "gb18030-only-characters"])
def test_a_gbk_file_is_refused_with_advice(tmp_path, codec, text):
    path = write(tmp_path, f"{codec}.yaml", text.encode(codec))
    result = run_cli("check", "--lang", "en", str(path))
    assert result.exit_code == 1, result.stderr
    assert "Traceback" not in result.stderr
    # the first non-ASCII byte is in `jurisdiction: 东阿县`, line 3, column 15
    first = result.stderr.splitlines()[0]
    assert first.startswith(f"{path}:3:15: "), first
    assert "GBK" in first and "UTF-8" in first and "--encoding gbk" in first, first


def test_the_gbk_advice_in_chinese_too(tmp_path):
    path = write(tmp_path, "gbk.yaml", EXAMPLE.encode("gbk"))
    result = run_cli("check", str(path))
    assert result.exit_code == 1
    assert "GBK" in result.stderr and "UTF-8" in result.stderr and "--encoding gbk" in result.stderr


@pytest.mark.parametrize("codec, option, text", [
    ("gbk", "gbk", EXAMPLE),
    ("gbk", "gb18030", EXAMPLE),  # GB18030 is a superset of GBK
    ("gb18030", "gb18030", EXAMPLE),
    ("gb18030", "gb18030", GB18030_ONLY),
], ids=["gbk-as-gbk", "gbk-as-gb18030", "gb18030", "gb18030-only-characters"])
def test_with_encoding_option_the_same_file_passes(tmp_path, codec, option, text):
    path = write(tmp_path, f"{codec}.yaml", text.encode(codec))
    result = run_cli("check", "--lang", "en", "--encoding", option, str(path))
    assert (result.exit_code, result.stderr.strip()) == (0, ok_line(path))


def test_with_encoding_option_the_summary_matches_the_utf8_one(tmp_path):
    utf8 = write(tmp_path, "utf8.yaml", EXAMPLE.encode("utf-8"))
    gbk = write(tmp_path, "gbk.yaml", EXAMPLE.encode("gbk"))
    expected = run_cli("summary", "--format", "json", str(utf8))
    result = run_cli("summary", "--format", "json", "--encoding", "gbk", str(gbk))
    assert (result.exit_code, figures(result.stdout)) == (0, figures(expected.stdout))
    assert '"jurisdiction": "东阿县"' in result.stdout


def test_gbk_characters_outside_gbk_are_located_with_encoding_gbk(tmp_path):
    path = write(tmp_path, "gb18030.yaml", GB18030_ONLY.encode("gb18030"))
    result = run_cli("check", "--lang", "en", "--encoding", "gbk", str(path))
    assert result.exit_code == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert re.search(r"^" + re.escape(str(path)) + r":\d+:\d+: ", result.stderr, re.MULTILINE), result.stderr
    assert "gbk" in result.stderr


def test_an_unknown_encoding_is_a_usage_error(tmp_path):
    path = write(tmp_path, "utf8.yaml", EXAMPLE.encode("utf-8"))
    result = run_cli("check", "--encoding", "klingon", str(path))
    assert result.exit_code == 2
    assert "klingon" in result.stderr and "--encoding" in result.stderr


@pytest.mark.parametrize("encoding, words", [
    ("undefined", "'undefined' cannot decode a file to text"),
    ("rot13", "'rot13' cannot decode a file to text"),
    ("base64", "'base64' cannot decode a file to text"),
    ("no-such-codec", "unknown encoding 'no-such-codec'"),
])
def test_an_encoding_that_cannot_decode_is_a_usage_error(ledger, encoding, words):
    result = run_cli("check", "--encoding", encoding, str(ledger))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "--encoding" in result.stderr and words in result.stderr, result.stderr
    clean(result.stderr)


# -- UTF-16 ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_is_read_or_clearly_refused(tmp_path, codec):
    data = EXAMPLE.encode(codec)
    path = write(tmp_path, f"{codec}.yaml", data)
    result = run_cli("check", "--lang", "en", str(path))
    assert "Traceback" not in result.stderr
    if result.exit_code == 0:
        assert result.stderr.strip() == ok_line(path)
    else:
        assert result.exit_code == 1, result.stderr
        assert re.search(r"^" + re.escape(str(path)) + r":[1-9]\d*:[1-9]\d*: ", result.stderr,
                         re.MULTILINE), result.stderr


def test_utf16_with_bom_gives_the_utf8_summary_when_read(tmp_path):
    utf8 = write(tmp_path, "utf8.yaml", EXAMPLE.encode("utf-8"))
    utf16 = write(tmp_path, "utf16.yaml", EXAMPLE.encode("utf-16"))
    result = run_cli("summary", "--format", "json", str(utf16))
    if result.exit_code == 0:
        assert figures(result.stdout) == figures(run_cli("summary", "--format", "json", str(utf8)).stdout)
    else:
        assert result.exit_code == 1 and result.stdout == ""


def test_utf16_named_on_a_file_without_a_bom_is_a_located_problem(ledger, tmp_path):
    path = tmp_path / "le.yaml"
    path.write_bytes(ledger.read_text(encoding="utf-8").encode("utf-16-le"))
    result = run_cli("check", "--lang", "en", "--encoding", "utf-16", str(path))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (f"{path}:1:1: -: reading as utf-16 needs a byte-order mark at the start, and this "
                             "file has none: pass --encoding utf-16-le (or -be), or save the file as UTF-8\n"
                             "1 problem in all\n")
    assert run_cli("check", "--encoding", "utf-16-le", str(path)).exit_code == 0


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
@pytest.mark.parametrize("how", ["file", "stdin"])
def test_utf16_without_a_bom_gets_the_utf16_hint(ledger, tmp_path, codec, how):
    data = ledger.read_text(encoding="utf-8").encode(codec)
    path = tmp_path / "u16.yaml"
    path.write_bytes(data)
    result = run_cli("check", "--lang", "en", str(path)) if how == "file" else \
        run_cli("check", "--lang", "en", "-", input=data)
    name = str(path) if how == "file" else "<stdin>"
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (f"{name}:1:1: -: the file looks like UTF-16 without a byte-order mark: save it as "
                             f"UTF-8, or pass --encoding {codec}\n1 problem in all\n")


# -- a stray byte ----------------------------------------------------------------------------------
@pytest.mark.parametrize("line_number", [1, 3, 41, len(EXAMPLE.splitlines())])
def test_a_stray_ff_byte_is_reported_with_its_line(tmp_path, line_number):
    lines = EXAMPLE.encode("utf-8").split(b"\n")
    before = lines[line_number - 1]
    lines[line_number - 1] += b"\xff"
    # 1-based column of the appended byte, counted in bytes or in characters
    columns = {len(before) + 1, len(before.decode("utf-8")) + 1}
    path = write(tmp_path, "stray.yaml", b"\n".join(lines))
    result = run_cli("check", "--lang", "en", str(path))
    assert result.exit_code == 1, result.stderr
    assert "Traceback" not in result.stderr
    first = result.stderr.splitlines()[0]
    assert any(first.startswith(f"{path}:{line_number}:{column}: ") for column in columns), first
    assert "0xFF" in first and f"line {line_number}" in first, first


# == YAML syntax errors, in our own words ==========================================================
# The same under libyaml and pure-Python PyYAML.  PyYAML's wording differs between its C and
# Python parsers and between releases (6.0.4 added a nesting limit of its own); the user must
# read the same message, in the --lang language, at the same place, whichever parser ran.  So
# every case here runs under both parsers and asserts our words and the location, never the
# parser's.

SYNTAX_HEADER = "version: 1\njurisdiction: 东阿县\ncases:\n"
CASE = ("  - id: A1\n    received: '2024-03-01 09:00'\n    kind: complaint\n"
        "    category: 城乡建设\n    unit: 铜城街道\n    status: open\n")

# name: (file text, line, column, path, zh fragment, en fragment)
SYNTAX_ERRORS = {
    "unclosed_double_quote": (SYNTAX_HEADER + '  - id: "A1\n    unit: x\n', 4, 9, "-",
                              "引号没有闭合", "quote that opens here is never closed"),
    "unclosed_single_quote": ("version: 1\njurisdiction: '东阿县\ncases: []\n", 2, 15, "-",
                              "引号没有闭合", "quote that opens here is never closed"),
    "quote_cut_by_end_of_file": (SYNTAX_HEADER + '  - id: "A1', 4, 9, "-",
                                 "引号没有闭合", "quote that opens here is never closed"),
    "unclosed_bracket": (SYNTAX_HEADER + "  - tags: [a, b\n    unit: x\n", 4, 11, "-",
                         "`[` 列表没有正确结束", "the `[` list that opens here is not closed"),
    "unclosed_bracket_at_end_of_file": (SYNTAX_HEADER + "  - tags: [a, b", 4, 11, "-",
                                        "`[` 列表没有正确结束", "the `[` list that opens here is not closed"),
    "unclosed_brace": (SYNTAX_HEADER + "  - extra: {a: 1\n    unit: x\n", 4, 12, "-",
                       "`{` 映射没有正确结束", "the `{` mapping that opens here is not closed"),
    "bad_indent": (SYNTAX_HEADER + "  - id: A1\n     unit: x\n", 5, 10, "-",
                   "意外的冒号", "an unexpected colon here"),
    "tab_indent": (SYNTAX_HEADER + "  - id: A1\n\tunit: x\n", 5, 1, "-",
                   "Tab 缩进", "a tab is used for indentation here"),
    "tab_at_top": ("version: 1\n\tjurisdiction: x\n", 2, 1, "-",
                   "Tab 缩进", "a tab is used for indentation here"),
    "did_not_find_expected_key": (SYNTAX_HEADER + "  - id: 'A1' x\n", 4, 14, "-",
                                  "缩进不对", "not indented as expected"),
    "key_outdented_in_list": (SYNTAX_HEADER + CASE + " - id: b\n", 10, 2, "-",
                              "缩进不对", "not indented as expected"),
    "list_item_not_aligned": (SYNTAX_HEADER + CASE + "  unit: x\n", 10, 3, "-",
                              "缩进不对", "not indented as expected"),
    "mapping_values_not_allowed": (SYNTAX_HEADER + "  - summary: 来电 9:30: 到访\n", 4, 21, "-",
                                   "值里有冒号时请给整个值加引号", "quote a value that contains a colon"),
    "bad_escape": (SYNTAX_HEADER + '  - id: "A\\q1"\n', 4, 9, "-",
                   "无效的转义", "starts an invalid escape"),
    "bad_hex_escape": (SYNTAX_HEADER + '  - id: "A\\xZZ"\n', 4, 9, "-",
                       "无效的转义", "starts an invalid escape"),
    "value_starts_with_at": (SYNTAX_HEADER + "  - id: @A1\n", 4, 9, "-",
                             "值不能以 `@` 开头", "a value cannot start with `@`"),
    "value_starts_with_backtick": (SYNTAX_HEADER + "  - id: `A1\n", 4, 9, "-",
                                   "值不能以 ``` 开头", "a value cannot start with ```"),
    "text_after_document_end": (SYNTAX_HEADER + CASE + "...\nfoo\n", 11, 1, "-",
                                "文档在这里之前已经结束", "the document ended before this point"),
    "block_scalar_indicator": (SYNTAX_HEADER + "  - summary: |x\n      abc\n", 4, 15, "-",
                               "`|` 或 `>` 之后只能跟换行", "after `|` or `>` only a line break may follow"),
    "bad_tag_uri": (SYNTAX_HEADER + "  - id: !<> A1\n", 4, 11, "-",
                    "这里不是有效的 YAML", "this is not valid YAML"),
}

PARSERS = ["libyaml", "python"]


@pytest.fixture(params=PARSERS)
def parser(request, monkeypatch):
    """Run the tool with libyaml's loader or with PyYAML's pure-Python one."""
    if request.param == "libyaml":
        if not getattr(yaml, "__with_libyaml__", False):
            pytest.skip("this PyYAML was built without libyaml")
        loader = yaml.CSafeLoader
    else:
        loader = yaml.SafeLoader
    monkeypatch.setattr(gr, "yaml_loader_class", lambda: loader)
    return request.param


@pytest.mark.parametrize("name", list(SYNTAX_ERRORS))
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_parser_error_in_our_words(tmp_path, parser, name, lang):
    text, line, column, path, zh, en = SYNTAX_ERRORS[name]
    source = tmp_path / "bad.yaml"
    source.write_text(text, encoding="utf-8")
    result = run_cli("check", "--lang", lang, str(source))
    problem, total = result.stderr.splitlines()
    prefix = f"{source}:{line}:{column}: {path}: "
    assert problem.startswith(prefix), problem
    ours = "YAML 语法错误：" if lang == "zh" else "YAML syntax error: "
    assert problem[len(prefix):].startswith(ours), problem
    assert (zh if lang == "zh" else en) in problem
    assert total == ("共 1 个问题" if lang == "zh" else "1 problem in all")
    assert (result.exit_code, result.stdout) == (1, "")


# Nesting is refused in the same words whether our bound (32 levels) or
# libyaml's own (1000, PyYAML >= 6.0.4, met first when the scanner looks
# ahead along one long line) stops the read.
NESTING = {
    "under_our_bound_then_libyaml": (SYNTAX_HEADER + CASE + "    extra: " + "[" * 5000 + "]" * 5000 + "\n", 10,
                                     "cases[0].extra"),
    "flow_mappings_on_one_line": (SYNTAX_HEADER + CASE + "    extra: " + "{a: " * 3000 + "\n", 10, "cases[0].extra"),
    "moderately_deep": (SYNTAX_HEADER + CASE + "    extra: " + "[" * 100 + "]" * 100 + "\n", 10, "cases[0].extra"),
    "cases_itself": ("version: 1\njurisdiction: x\ncases: " + "[" * 5000 + "\n", 3, "cases"),
}


@pytest.mark.parametrize("name", list(NESTING))
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_deep_nesting_refused_in_our_words(tmp_path, parser, name, lang):
    text, line, path = NESTING[name]
    source = tmp_path / "deep.yaml"
    source.write_text(text, encoding="utf-8")
    result = run_cli("check", "--lang", lang, str(source))
    problem, total = result.stderr.splitlines()
    location, where, message = problem.split(": ", 2)
    assert location.startswith(f"{source}:{line}:"), problem
    assert where.startswith(path), problem
    assert message == ("嵌套超过 32 层，已停止读取：案件文件用不到这么深的结构" if lang == "zh"
                       else "nesting deeper than 32 levels; reading stopped: a case file never needs this")
    assert (result.exit_code, result.stdout) == (1, "")


def test_classification_covers_both_parsers_wordings():
    # The words each parser uses for one mistake land on one message id.
    pairs = [
        (("did not find expected ',' or ']'", "while parsing a flow sequence"),
         ("expected ',' or ']', but got '<stream end>'", "while parsing a flow sequence"), "yaml_flow_sequence"),
        (("mapping values are not allowed in this context", ""),
         ("mapping values are not allowed here", ""), "yaml_colon"),
        (("did not find expected key", "while parsing a block mapping"),
         ("expected <block end>, but found '<scalar>'", "while parsing a block mapping"), "yaml_indent"),
        (("found a tab character that violates indentation", "while scanning a plain scalar"),
         ("found character '\\t' that cannot start any token", "while scanning for the next token"), "yaml_tab"),
        (("found unknown escape character", "while parsing a quoted scalar"),
         ("found unknown escape character 'q'", "while scanning a double-quoted scalar"), "yaml_escape"),
        (("found unexpected document indicator", "while scanning a quoted scalar"),
         ("found unexpected document separator", "while scanning a quoted scalar"), "yaml_unclosed_quote"),
        (("exceeded maximum nesting depth", "while increasing flow level"),
         ("exceeded maximum nesting depth", "while increasing block level"), "too_deep"),
    ]
    for c_words, python_words, message_id in pairs:
        assert gr.classify_syntax_error(*c_words)[0] == message_id
        assert gr.classify_syntax_error(*python_words)[0] == message_id
    assert gr.classify_syntax_error("something new", "") == ("yaml_other", False)


# == Values as written: plain scalars (YAML 1.2 core) and times ====================================
@pytest.mark.parametrize("text,value", [
    ("9:30", "9:30"), ("09:30", "09:30"), ("NO", "NO"), ("on", "on"), ("yes", "yes"), ("010000", 10000),
    ("2023-02-14", "2023-02-14"), ("true", True), ("False", False), ("~", None), ("", None), ("null", None),
    ("12", 12), ("-3", -3), ("1.5", 1.5), ("1e3", 1000.0), (".inf", ".inf"), ("0x1F", "0x1F"),
    ("1_000", "1_000"), ("9" * 5000, "9" * 5000), ("1e999", "1e999"),
])
def test_resolve_plain_follows_yaml_12_core(text, value):
    result = gr.resolve_plain(text)
    assert result == value and type(result) is type(value)


@pytest.mark.parametrize("text,epoch", [
    ("2024-03-05 09:30", 1709602200),       # +08:00 by default
    ("2024-03-05T09:30", 1709602200),
    ("2024-03-05T01:30Z", 1709602200),
    ("2024-03-05 09:30:00+08:00", 1709602200),
    ("2024-03-05", 1709568000),             # 00:00 local
])
def test_parse_time_reads_one_instant_however_written(text, epoch):
    assert gr.parse_time(text, 8 * 3600) == epoch


def test_parse_time_end_of_day_for_a_date():
    assert gr.parse_time("2024-03-05", 8 * 3600, end_of_day=True) == 1709568000 + 86399


@pytest.mark.parametrize("text", ["2023-02-30", "2024-13-01", "2024-03-05 24:00", "0001-01-01", "9:30"])
def test_parse_time_refuses_what_names_no_instant(text):
    with pytest.raises(gr.TimeError):
        gr.parse_time(text, 0)


# == Hostile input: the reader =====================================================================
# Each must end quickly, in bounded memory, with a clear message and no traceback.  Most run
# the tool as a real process (conftest.run_measured), so that a hang, a segfault (a negative
# return code) or a memory blow-up shows as what it is; peak memory is the tool process's own
# `ru_maxrss`.

LOCATED = re.compile(r"^(?P<file>.+?):(?P<line>[1-9][0-9]*):(?P<column>[1-9][0-9]*): ", re.MULTILINE)


def assert_refused(result: Measured, path: Path, *, mentions: str, max_seconds: float = 20) -> None:
    """Exit 1 (not a signal), located problem lines, a message with `mentions`, no traceback, in bounds."""
    assert result.returncode == 1, (result.returncode, result.stderr[-2000:])
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert result.stdout == ""
    located = [m for m in LOCATED.finditer(result.stderr) if m["file"] == str(path)]
    assert located, result.stderr[:2000]
    assert mentions in result.stderr, result.stderr[:2000]
    assert result.seconds < max_seconds, result.seconds
    assert result.peak_kb < MEMORY_LIMIT_KB, f"peak {result.peak_kb // MB} MB"


# -- aliases and anchors ---------------------------------------------------------------------------
def billion_laughs(indent: str) -> str:
    """9 levels of 9 aliases each: 9**9 (387 million) strings if expanded."""
    lines = [f'{indent}a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, 10):
        lines.append(f"{indent}a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("where", ["top_level", "case_extra"])
def test_alias_bomb_is_refused_without_expanding(tmp_path, where):
    if where == "top_level":
        text = HEADER + billion_laughs("") + "cases: []\n"
    else:
        text = VALID_LEDGER + "    extra:\n" + billion_laughs("      ")
    path = write(tmp_path, "bomb.yaml", text)
    result = run_measured("check", "--lang", "en", str(path), timeout=60)
    assert_refused(result, path, mentions="aliases such as `*a0` are refused")
    assert result.seconds < 10
    # 81 aliases + 9 anchors, every one reported where it stands
    assert "anchors such as `&a9` are refused" in result.stderr


# -- nesting ---------------------------------------------------------------------------------------
DEPTH = 200_000
NESTING_CASES = {
    "flow_sequences_under_cases": HEADER + "cases: " + "[" * DEPTH + "]" * DEPTH + "\n",
    "unclosed_flow_sequences": HEADER + "cases: " + "[" * DEPTH + "\n",
    "flow_mappings": HEADER + "cases: " + "{a: " * DEPTH + "}" * DEPTH + "\n",
    "block_sequences": HEADER + "cases:\n" + "- " * DEPTH + "x\n",
    "flow_sequence_as_key": HEADER + "? " + "[" * DEPTH + "]" * DEPTH + "\n: 1\n" + ONE_CASE,
    "flow_sequences_in_extra": VALID_LEDGER + "    extra: " + "[" * DEPTH + "]" * DEPTH + "\n",
    "flow_mappings_in_extra_unclosed": VALID_LEDGER + "    extra: " + "{a: " * DEPTH + "\n",
}


@pytest.mark.parametrize("name", list(NESTING_CASES))
def test_200000_levels_of_nesting_end_quickly(tmp_path, name):
    path = write(tmp_path, f"{name}.yaml", NESTING_CASES[name])
    result = run_measured("check", "--lang", "en", str(path), timeout=60)
    assert result.returncode >= 0, f"killed by signal {-result.returncode}"
    assert_refused(result, path, mentions="nesting deeper than", max_seconds=10)


def test_deep_block_mappings_end_quickly(tmp_path):
    # Each level of a block mapping needs one more column of indentation, so
    # 200,000 levels would take 20 GB of spaces; 4,000 levels (8 MB) is as deep
    # as a file on disk gets, and far past the limit.
    levels = 4_000
    text = VALID_LEDGER + "    extra:\n" + "".join(" " * (6 + i) + "k:\n" for i in range(levels))
    path = write(tmp_path, "block.yaml", text)
    result = run_measured("check", "--lang", "en", str(path), timeout=60)
    assert result.returncode >= 0, f"killed by signal {-result.returncode}"
    assert_refused(result, path, mentions="nesting deeper than", max_seconds=10)
    assert "cases[0].extra.k.k" in result.stderr


def test_moderate_nesting_inside_extra_is_carried(tmp_path):
    # `extra` is the user's own: a few levels of structure are fine there.
    path = write(tmp_path, "extra.yaml", VALID_LEDGER + "    extra: " + "{a: " * 10 + "1" + "}" * 10 + "\n")
    result = run_cli("check", "--lang", "en", str(path))
    assert (result.exit_code, result.stderr.strip()) == (0, f"{path}: 1 cases, no problems")


@pytest.mark.parametrize("levels", [100, 5_000])
def test_deep_nesting_inside_extra_is_refused_at_extra(tmp_path, levels):
    path = write(tmp_path, "extra.yaml", VALID_LEDGER + "    extra: " + "[" * levels + "]" * levels + "\n")
    result = run_cli("check", "--lang", "en", str(path))
    assert result.exit_code == 1
    assert re.match(re.escape(str(path)) + r":11:\d+: cases\[0\]\.extra\[0\]", result.stderr), result.stderr
    assert "nesting deeper than" in result.stderr


# -- tags ------------------------------------------------------------------------------------------
def test_python_tags_are_refused_and_nothing_runs(tmp_path):
    marker = tmp_path / "PWNED"
    command = f"touch {marker}"
    text = (
        "version: 1\n"
        f"jurisdiction: !!python/object/apply:os.system ['{command}']\n"        # line 2
        "policy: !!python/object/apply:os.system\n"                              # line 3
        f"  args: ['{command}']\n"
        "cases:\n"
        f"  - !!python/object/apply:os.system ['{command}']\n"                   # line 6
        "  - id: !!python/name:os.system\n"                                      # line 7
        "    received: !!python/object/new:datetime.date [2024, 1, 1]\n"         # line 8
        f"    extra: {{x: !!python/object/apply:subprocess.call [['touch', '{marker}']]}}\n"  # line 9
    )
    path = write(tmp_path, "tags.yaml", text)
    result = run_measured("summary", "--lang", "en", "--format", "json", str(path), timeout=30)
    assert not marker.exists(), "a !!python tag was executed"
    assert_refused(result, path, mentions="explicit tags such as `!!python/object/apply:os.system` are refused")
    tag_lines = sorted(int(line.split(":")[1]) for line in result.stderr.splitlines()
                       if line.startswith(f"{path}:") and "explicit tags" in line)
    assert tag_lines == [2, 3, 6, 7, 8, 9], result.stderr


def test_tagged_header_value_is_reported_on_its_own_line(tmp_path):
    # Every problem about `jurisdiction` belongs to line 2, where it stands,
    # not to the first line of the file.
    path = write(tmp_path, "tag.yaml",
                 "version: 1\njurisdiction: !!python/object/apply:os.system ['true']\ncases: []\n")
    result = run_cli("check", "--lang", "en", str(path))
    assert result.exit_code == 1
    lines = [line for line in result.stderr.splitlines() if line.startswith(f"{path}:")]
    assert lines, result.stderr
    assert all(line.startswith(f"{path}:2:") for line in lines), result.stderr


# -- big, binary and control characters ------------------------------------------------------------
@pytest.mark.parametrize("style", ["quoted", "plain"])
def test_a_15_mb_scalar_is_read_quickly(tmp_path, style):
    text = "长" * 5_000_000  # 15 MB of UTF-8
    value = f"'{text}'" if style == "quoted" else text
    path = write(tmp_path, "big.yaml", VALID_LEDGER + f"    summary: {value}\n")
    assert path.stat().st_size > 15_000_000
    result = run_measured("summary", "--lang", "en", "--format", "json", str(path), timeout=60)
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert result.returncode in (0, 1), result.stderr[-2000:]
    assert result.seconds < 20
    assert result.peak_kb < MEMORY_LIMIT_KB, f"peak {result.peak_kb // MB} MB"
    if result.returncode == 0:
        assert '"received": 1' in result.stdout
    else:
        assert LOCATED.search(result.stderr), result.stderr[:2000]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_binary_is_refused_with_a_location(tmp_path, seed):
    data = random.Random(seed).randbytes(1_000_000)
    path = write(tmp_path, "noise.bin", data)
    result = run_measured("check", "--lang", "en", str(path), timeout=30)
    assert_refused(result, path, mentions="", max_seconds=10)


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x1b", "\x7f", "\ufffe"], ids=["NUL", "SOH", "ESC", "DEL", "FFFE"])
@pytest.mark.parametrize("line_number", [1, 9, 10])
def test_a_control_character_in_a_utf8_file_is_located(tmp_path, char, line_number):
    lines = VALID_LEDGER.split("\n")
    column = len(lines[line_number - 1]) + 1  # in characters: line 9 is `    unit: 铜城街道`
    lines[line_number - 1] += char
    path = write(tmp_path, "control.yaml", "\n".join(lines))
    result = run_cli("check", "--lang", "en", str(path))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"{path}:{line_number}:{column}: "), result.stderr
    assert f"U+{ord(char):04X}" in result.stderr


# -- devices and endless streams -------------------------------------------------------------------
NUL_LINE = "含有 NUL 字节（U+0000），不是文本文件，已停止读取：台账应是 UTF-8 文本"


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_an_endless_device_is_refused_early_with_a_location(device):
    proc = run_subprocess("check", device, timeout=60)
    stderr = proc.stderr.decode("utf-8")
    assert proc.returncode == 1, stderr
    assert proc.stdout == b""
    first, total = stderr.splitlines()
    assert re.fullmatch(rf"{device}:[0-9]+:[0-9]+: -: {re.escape(NUL_LINE)}", first), first
    if device == "/dev/zero":
        assert first.startswith("/dev/zero:1:1: ")
    assert total == "共 1 个问题"
    clean(stderr)


def test_endless_zeros_on_standard_input_are_refused_early():
    with open("/dev/zero", "rb") as zeros:
        proc = subprocess.run([sys.executable, str(TOOL), "check", "-"], stdin=zeros, capture_output=True,
                              timeout=60, env=dict(os.environ, PYTHONIOENCODING="utf-8"))
    assert proc.returncode == 1
    assert proc.stdout == b""
    assert proc.stderr.decode("utf-8") == f"<stdin>:1:1: -: {NUL_LINE}\n共 1 个问题\n"


def test_an_endless_line_on_standard_input_is_refused_at_32_mib():
    line = b"a" * (33 << 20)
    proc = run_subprocess("check", "--lang", "en", "-", input=line, timeout=120)
    assert proc.returncode == 1
    assert proc.stdout == b""
    assert proc.stderr.decode("utf-8") == (
        "<stdin>:1:1: -: this line runs past 32 MiB without a line break, so this is no ledger and reading "
        "stopped: check that this is the right file\n1 problems in all\n".replace("1 problems", "1 problem"))


def test_standard_input_is_not_held_in_memory(tmp_path):
    cases = "".join(f"  - {{id: 'T{i}', received: '2024-03-04 09:12', kind: help, category: c, unit: u{i % 50},"
                    f" status: resolved, resolved: '2024-03-05 09:00'}}\n" for i in range(200_000))
    data = ("version: 1\njurisdiction: x\nas_of: '2024-04-01 09:00'\ncases:\n" + cases).encode("utf-8")
    path = tmp_path / "tiny.yaml"
    path.write_bytes(data)
    from_file = run_measured("summary", "--format", "csv", str(path), timeout=180)
    from_stdin = run_measured("summary", "--format", "csv", "-", input=data, timeout=180)
    assert (from_file.returncode, from_stdin.returncode) == (0, 0), from_stdin.stderr[-2000:]
    assert from_stdin.stdout.replace("x", "") == from_file.stdout.replace("x", "")
    assert from_stdin.stderr == from_file.stderr == ""
    # the 40 MB of input are spooled to disk, not read into memory
    assert from_stdin.peak_kb < from_file.peak_kb + 15 * MB, (from_stdin.peak_kb // MB, from_file.peak_kb // MB)


# -- long names ------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["300 characters", "3000 levels"])
def test_a_long_input_name_is_a_usage_error(tmp_path, kind):
    name = "a" * 300 if kind == "300 characters" else "/".join(["a"] * 3000)
    proc = run_subprocess("check", name, cwd=tmp_path, timeout=60)
    stderr = proc.stderr.decode("utf-8")
    assert proc.returncode == 2, stderr
    assert proc.stdout == b""
    assert stderr.endswith("cannot read: the name is too long: use a shorter name or path\n")
    clean(stderr)


# -- look-alike spellings: text is read in NFC -----------------------------------------------------
def test_nfc_and_nfd_spellings_are_one_unit_and_one_id(tmp_path):
    nfc, nfd = "Caf\u00e9", "Cafe\u0301"
    path = tmp_path / "nf.yaml"
    path.write_text(f"version: 1\njurisdiction: x\nunits: [{{name: {nfc}}}]\ncases:\n"
                    f"  - {{id: '{nfc}', received: '2024-03-04 09:12', kind: complaint, category: c, unit: {nfd},"
                    f" status: open}}\n"
                    f"  - {{id: '{nfd}', received: '2024-03-04 09:12', kind: complaint, category: c, unit: {nfc},"
                    f" status: open}}\n", encoding="utf-8")
    result = run_cli("check", "--lang", "en", str(path))
    assert result.exit_code == 1 and result.stdout == ""
    assert f"duplicate id `{nfc}`" in result.stderr and "not in the units list" not in result.stderr


# == Hostile input: the YAML test suite ============================================================
# None of its inputs is a case file, so every one fails, located, quietly.  `error/` holds
# inputs a YAML 1.2 parser must reject; `valid/` holds well-formed YAML that is still not a
# case file (no `version`, `jurisdiction`, `cases`).  Either way `check` must exit 1 with at
# least one `FILE:LINE:COL: ...` line on stderr (positive line and column) and never a
# traceback.

SUITE = CORPORA / "yaml-test-suite"

# the rest of this file runs without the corpus: its tests are skipped, not the module
needs_suite = pytest.mark.skipif(
    not (SUITE / "error").is_dir() or not (SUITE / "valid").is_dir(),
    reason=f"YAML test suite corpus not found at {SUITE} (expected error/ and valid/ folders)")

ERROR_FILES = sorted((SUITE / "error").glob("*.yaml"))
VALID_FILES = sorted((SUITE / "valid").glob("*.yaml"))


def located_lines(stderr: str, path: str) -> list[tuple[int, int]]:
    """(line, column) of each `PATH:LINE:COL: ...` line on stderr."""
    pattern = re.compile(r"^" + re.escape(path) + r":(\d+):(\d+): ", re.MULTILINE)
    return [(int(line), int(column)) for line, column in pattern.findall(stderr)]


@needs_suite
def test_the_corpus_is_complete():
    # The README of the corpus gives these counts; a short copy would hide cases.
    assert (len(ERROR_FILES), len(VALID_FILES)) == (94, 308)


def assert_refused_with_a_location(path):
    result = run_cli("check", str(path))
    assert result.exit_code == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    places = located_lines(result.stderr, str(path))
    assert places, result.stderr
    assert all(line >= 1 and column >= 1 for line, column in places), places


@needs_suite
@pytest.mark.parametrize("path", ERROR_FILES, ids=[p.name for p in ERROR_FILES])
def test_error_input_is_refused_with_a_location(path):
    assert_refused_with_a_location(path)


@needs_suite
@pytest.mark.parametrize("path", VALID_FILES, ids=[p.name for p in VALID_FILES])
def test_valid_yaml_that_is_no_case_file_is_refused_with_a_location(path):
    # none of the suite's documents is a case file
    assert_refused_with_a_location(path)
