"""Golden outputs: the table and the report of every example, in both languages.

Compared byte for byte. Regenerate on purpose only:
    UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py
"""
from __future__ import annotations

import os

import pytest

from conftest import EXAMPLES, ROOT, run_cli

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
