"""YAML syntax errors in our own words, the same under libyaml and pure-Python PyYAML.

PyYAML's wording differs between its C and Python parsers and between
releases (6.0.4 added a nesting limit of its own); the user must read the same
message, in the --lang language, at the same place, whichever parser ran.
So every case here runs under both parsers and asserts our words and the
location, never the parser's.
"""
from __future__ import annotations

import pytest
import yaml

import grassroots_report
from conftest import run_cli

HEADER = "version: 1\njurisdiction: 东阿县\ncases:\n"
CASE = ("  - id: A1\n    received: '2024-03-01 09:00'\n    kind: complaint\n"
        "    category: 城乡建设\n    unit: 铜城街道\n    status: open\n")

# name: (file text, line, column, path, zh fragment, en fragment)
SYNTAX_ERRORS = {
    "unclosed_double_quote": (HEADER + '  - id: "A1\n    unit: x\n', 4, 9, "-",
                              "引号没有闭合", "quote that opens here is never closed"),
    "unclosed_single_quote": ("version: 1\njurisdiction: '东阿县\ncases: []\n", 2, 15, "-",
                              "引号没有闭合", "quote that opens here is never closed"),
    "quote_cut_by_end_of_file": (HEADER + '  - id: "A1', 4, 9, "-",
                                 "引号没有闭合", "quote that opens here is never closed"),
    "unclosed_bracket": (HEADER + "  - tags: [a, b\n    unit: x\n", 4, 11, "-",
                         "`[` 列表没有正确结束", "the `[` list that opens here is not closed"),
    "unclosed_bracket_at_end_of_file": (HEADER + "  - tags: [a, b", 4, 11, "-",
                                        "`[` 列表没有正确结束", "the `[` list that opens here is not closed"),
    "unclosed_brace": (HEADER + "  - extra: {a: 1\n    unit: x\n", 4, 12, "-",
                       "`{` 映射没有正确结束", "the `{` mapping that opens here is not closed"),
    "bad_indent": (HEADER + "  - id: A1\n     unit: x\n", 5, 10, "-",
                   "意外的冒号", "an unexpected colon here"),
    "tab_indent": (HEADER + "  - id: A1\n\tunit: x\n", 5, 1, "-",
                   "Tab 缩进", "a tab is used for indentation here"),
    "tab_at_top": ("version: 1\n\tjurisdiction: x\n", 2, 1, "-",
                   "Tab 缩进", "a tab is used for indentation here"),
    "did_not_find_expected_key": (HEADER + "  - id: 'A1' x\n", 4, 14, "-",
                                  "缩进不对", "not indented as expected"),
    "key_outdented_in_list": (HEADER + CASE + " - id: b\n", 10, 2, "-",
                              "缩进不对", "not indented as expected"),
    "list_item_not_aligned": (HEADER + CASE + "  unit: x\n", 10, 3, "-",
                              "缩进不对", "not indented as expected"),
    "mapping_values_not_allowed": (HEADER + "  - summary: 来电 9:30: 到访\n", 4, 21, "-",
                                   "值里有冒号时请给整个值加引号", "quote a value that contains a colon"),
    "bad_escape": (HEADER + '  - id: "A\\q1"\n', 4, 9, "-",
                   "无效的转义", "starts an invalid escape"),
    "bad_hex_escape": (HEADER + '  - id: "A\\xZZ"\n', 4, 9, "-",
                       "无效的转义", "starts an invalid escape"),
    "value_starts_with_at": (HEADER + "  - id: @A1\n", 4, 9, "-",
                             "值不能以 `@` 开头", "a value cannot start with `@`"),
    "value_starts_with_backtick": (HEADER + "  - id: `A1\n", 4, 9, "-",
                                   "值不能以 ``` 开头", "a value cannot start with ```"),
    "text_after_document_end": (HEADER + CASE + "...\nfoo\n", 11, 1, "-",
                                "文档在这里之前已经结束", "the document ended before this point"),
    "block_scalar_indicator": (HEADER + "  - summary: |x\n      abc\n", 4, 15, "-",
                               "`|` 或 `>` 之后只能跟换行", "after `|` or `>` only a line break may follow"),
    "bad_tag_uri": (HEADER + "  - id: !<> A1\n", 4, 11, "-",
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
    monkeypatch.setattr(grassroots_report, "yaml_loader_class", lambda: loader)
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
    "under_our_bound_then_libyaml": (HEADER + CASE + "    extra: " + "[" * 5000 + "]" * 5000 + "\n", 10,
                                     "cases[0].extra"),
    "flow_mappings_on_one_line": (HEADER + CASE + "    extra: " + "{a: " * 3000 + "\n", 10, "cases[0].extra"),
    "moderately_deep": (HEADER + CASE + "    extra: " + "[" * 100 + "]" * 100 + "\n", 10, "cases[0].extra"),
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
        assert grassroots_report.classify_syntax_error(*c_words)[0] == message_id
        assert grassroots_report.classify_syntax_error(*python_words)[0] == message_id
    assert grassroots_report.classify_syntax_error("something new", "") == ("yaml_other", False)
