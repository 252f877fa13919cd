"""Encodings: UTF-8 (with or without BOM) is read; GBK and friends are named, and read on request."""
from __future__ import annotations

import re

import pytest

from conftest import run_cli, write

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
    assert second.stdout == first.stdout


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
    assert (result.exit_code, result.stdout) == (0, expected.stdout)
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
        assert result.stdout == run_cli("summary", "--format", "json", str(utf8)).stdout
    else:
        assert result.exit_code == 1 and result.stdout == ""


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
