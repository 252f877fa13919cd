"""The module's shape: one book read top to bottom (STYLE.md, "At twice the size").

Read from the module's own syntax tree: no section uses a name that a later
section defines, every message and label id in the code is in the tables, no
`global` rebinding, and the long functions stay few.
"""
from __future__ import annotations

import ast
import re

import grassroots_report as gr
from conftest import ROOT

SOURCE = (ROOT / "grassroots_report.py").read_text(encoding="utf-8")
TREE = ast.parse(SOURCE)
LINES = SOURCE.split("\n")


def sections() -> list[tuple[int, str]]:
    """(first line, title) of every banner: `# ====` / `# Title` / `# ====`."""
    return [(i + 1, LINES[i + 1][2:]) for i, line in enumerate(LINES[:-2])
            if line.startswith("# ====") and LINES[i + 2].startswith("# ====")]


def section_of(lineno: int, banners: list[tuple[int, str]]) -> int:
    return max((n for n, (line, _title) in enumerate(banners) if line <= lineno), default=-1)


def top_level_names() -> dict[str, int]:
    """Each top-level name, and the line that defines it."""
    found: dict[str, int] = {}
    for node in TREE.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            found.setdefault(node.name, node.lineno)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for name in ast.walk(target):
                    if isinstance(name, ast.Name):
                        found.setdefault(name.id, node.lineno)
    return found


def uses(node: ast.AST) -> set[str]:
    """The names a top-level statement loads, but its own locals, parameters and annotations."""
    local: set[str] = set()
    annotations: set[int] = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.arg):
            local.add(sub.arg)
        if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store) and not isinstance(node, (ast.Assign,
                                                                                                 ast.AnnAssign)):
            local.add(sub.id)
        for annotation in ([sub.annotation] if isinstance(sub, (ast.arg, ast.AnnAssign)) and sub.annotation else []) \
                + ([sub.returns] if isinstance(sub, ast.FunctionDef) and sub.returns else []):
            annotations.update(id(a) for a in ast.walk(annotation))
    return {sub.id for sub in ast.walk(node) if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Load)
            and sub.id not in local and id(sub) not in annotations}


def test_the_sections_are_the_ones_the_map_at_the_top_names():
    titles = [title for _line, title in sections()]
    assert titles[:2] == ["Imports", "Constants and exit codes"] and titles[-1] == "Command line"
    docstring = ast.get_docstring(TREE)
    for title in titles[2:]:
        assert title.split(":")[0].split(" (")[0] in docstring, title


def test_no_section_uses_a_name_a_later_section_defines():
    banners = sections()
    defined = {name: section_of(line, banners) for name, line in top_level_names().items()}
    forward = []
    for node in TREE.body:
        here = section_of(node.lineno, banners)
        for name in uses(node):
            if name in defined and defined[name] > here:
                forward.append(f"{banners[here][1]} uses {name} of {banners[defined[name]][1]}")
    assert forward == []


def test_every_message_and_label_id_in_the_code_is_in_the_tables():
    said = set(re.findall(r'\bmsg\("([a-z0-9_]+)"', SOURCE)) | set(re.findall(r'\bboth\("([a-z0-9_]+)"', SOURCE)) \
        | set(re.findall(r'\bio_error\([^,()]+, "([a-z0-9_]+)"', SOURCE))
    labelled = set(re.findall(r'\blabel\("([a-z0-9_]+)"', SOURCE)) | set(re.findall(r'\bdoc\.t\("([a-z0-9_]+)"', SOURCE))
    assert len(said) > 50 and len(labelled) > 50
    assert sorted(said - set(gr.MESSAGES)) == []
    assert sorted(labelled - set(gr.LABELS)) == []


def test_no_global_rebinding_and_no_string_built_ids():
    assert not [node.lineno for node in ast.walk(TREE) if isinstance(node, ast.Global)]
    assert not re.findall(r'\b(?:msg|label|doc\.t)\(f?"[a-z_]*"\s*\+|\b(?:msg|label|doc\.t)\(f"', SOURCE)


def test_the_long_functions_stay_few():
    long = sorted(node.name for node in ast.walk(TREE)
                  if isinstance(node, ast.FunctionDef) and node.end_lineno - node.lineno + 1 > 60)
    assert len(long) <= 5, long


def test_every_output_format_has_one_renderer_and_click_offers_exactly_those():
    summary = next(p for p in gr.summary_command.params if p.name == "fmt")
    report = next(p for p in gr.report_command.params if p.name == "fmt")
    assert list(summary.type.choices) == [*gr.SUMMARY_RENDERERS, "partial"]
    assert list(report.type.choices) == list(gr.REPORT_RENDERERS)
