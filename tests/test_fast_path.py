"""The fast path and the detailed path agree.

Valid cases are confirmed by a predicate compiled from schema.yaml
(SchemaCompiler) and a clean-case check without locations; jsonschema and the
located checks run only when those fail.  These tests hold the two paths to the
same verdicts and the same problems.
"""
from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import grassroots_report as gr
from conftest import EXAMPLES, ROOT, run_cli

CASE_FILES = sorted((ROOT / "tests" / "cases").rglob("*.yaml")) + EXAMPLES
VALIDATORS = gr.Validators()


def case_dicts(path):
    """Every case mapping our own loader builds from a file (bad files give few or none)."""
    source = gr.Source(path.name, 0, path)
    return [item.data for item in gr.FileReader(source, "zh", None).items() if isinstance(item, gr.CaseItem)]


ALL_CASES = [(path, i, data) for path in CASE_FILES for i, data in enumerate(case_dicts(path))]


def test_there_are_many_cases_to_compare():
    assert len(ALL_CASES) > 400


@pytest.mark.parametrize("path,index,data", ALL_CASES,
                         ids=[f"{p.parent.name}/{p.name}[{i}]" for p, i, _ in ALL_CASES])
def test_compiled_predicate_equals_jsonschema(path, index, data):
    assert VALIDATORS.case_is_valid(data) == VALIDATORS.case.is_valid(data)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.floats(-2, 2, allow_nan=False) |
    st.sampled_from(["", "x", "2024-03-05", "2024-03-05 09:30", "9:30", "complaint", "hotline", "resolved",
                     "agreement", "satisfied", "a/b", "a/b/c", "high"]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(
        st.sampled_from(["at", "to", "name", "outcome", "satisfaction", "since", "x"]), children, max_size=3),
    max_leaves=8)
FIELDS = ["id", "received", "kind", "channel", "category", "unit", "co_units", "summary", "requester", "dispatched",
          "deadline", "status", "resolved", "reasonable", "returns", "escalated", "visits", "mediation", "backlog",
          "risk", "featured", "tags", "extra", "unknown"]


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=10), st.data())
def test_compiled_predicate_equals_jsonschema_on_generated_cases(partial, data):
    # start from a valid case and overwrite some fields, so both verdicts occur
    base = dict(ALL_CASES[0][2]) if VALIDATORS.case.is_valid(ALL_CASES[0][2]) else {}
    base.update(partial)
    assert VALIDATORS.case_is_valid(base) == VALIDATORS.case.is_valid(base)


def test_schema_compiler_refuses_unknown_keywords():
    with pytest.raises(ValueError, match="oneOf"):
        gr.SchemaCompiler({}).compile({"oneOf": [{"type": "string"}]})


@pytest.mark.parametrize("path", CASE_FILES, ids=[f"{p.parent.name}/{p.name}" for p in CASE_FILES])
def test_same_problems_whichever_path_runs_first(path, monkeypatch):
    fast = run_cli("check", str(path))
    # the detailed path first: jsonschema decides, and no case takes the clean shortcut
    monkeypatch.setattr(gr.Validators, "__init__", _slow_init)
    monkeypatch.setattr(gr.CaseChecker, "_check_clean", lambda self, data, rules: None)
    slow = run_cli("check", str(path))
    assert (fast.exit_code, fast.stdout, fast.stderr) == (slow.exit_code, slow.stdout, slow.stderr)


_original_init = gr.Validators.__init__


def _slow_init(self):
    _original_init(self)
    self.case_is_valid = self.case.is_valid
    self.header_is_valid = self.header.is_valid


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.stem for e in EXAMPLES])
def test_same_summary_whichever_path_runs_first(example, monkeypatch):
    fast = run_cli("summary", "--format", "json", str(example))
    monkeypatch.setattr(gr.Validators, "__init__", _slow_init)
    monkeypatch.setattr(gr.CaseChecker, "_check_clean", lambda self, data, rules: None)
    slow = run_cli("summary", "--format", "json", str(example))
    assert fast.exit_code == slow.exit_code == 0
    assert json.loads(fast.stdout) == json.loads(slow.stdout)


def headers():
    out = []
    for path in CASE_FILES:
        for item in gr.FileReader(gr.Source(path.name, 0, path), "zh", None).items():
            if isinstance(item, gr.Header):
                out.append((path, item.data))
    return out


HEADERS = headers()


@pytest.mark.parametrize("path,data", HEADERS, ids=[f"{p.parent.name}/{p.name}" for p, _ in HEADERS])
def test_compiled_header_predicate_equals_jsonschema(path, data):
    assert VALIDATORS.header_is_valid(data) == VALIDATORS.header.is_valid(data)


def test_headers_of_both_verdicts_are_compared():
    verdicts = {VALIDATORS.header.is_valid(data) for _, data in HEADERS}
    assert verdicts == {True, False}
