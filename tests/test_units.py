"""Unit tests of pure functions, with inline inputs."""
from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

import grassroots_report as gr
from conftest import EXAMPLES, run_cli


def test_display_width_counts_cjk_as_two():
    assert gr.display_width("铜城街道") == 8
    assert gr.display_width("abc") == 3
    assert gr.display_width("—") == 1
    assert gr.pad("县局", 6, right=True) == "  县局"


@pytest.mark.parametrize("value,places,text", [
    (Fraction(1, 8), 2, "0.13"), (Fraction(5, 1000), 2, "0.01"), (Fraction(2, 3), 4, "0.6667"),
    (Fraction(6875, 100), 1, "68.8"), (Fraction(-1, 8), 2, "-0.13"),
])
def test_round_half_up_is_exact(value, places, text):
    assert gr.round_half_up(value, places) == Decimal(text)


def test_percent_and_null():
    assert gr.percent(Fraction(2, 3)) == "66.67%"
    assert gr.percent(None) == "—"


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


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 1 << 16])
def test_median_over_sorted_chunks_is_the_median(monkeypatch, chunk):
    # the median is found by bisection over arrays sorted in chunks: the same as sorting everything
    import array
    import random
    import statistics
    from fractions import Fraction

    monkeypatch.setattr(gr, "MEDIAN_CHUNK", chunk)
    rng = random.Random(chunk)
    for size in (1, 2, 3, 10, 101):
        runs = [array.array("i", (rng.choice([0, 60, 3600, 5400, 86_400 * rng.randint(0, 9)])
                                  for _ in range(rng.randint(0, size)))) for _ in range(3)]
        everything = [d for run in runs for d in run]
        for run in runs:
            gr.sort_in_chunks(run)
        expected = None if not everything else \
            gr.round_half_up(Fraction(statistics.median(everything)) / 3600, 1)
        assert gr.median_hours(runs) == expected


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_streamed_json_is_json_dumps_of_the_summary(example):
    # the JSON is written piece by piece, the listed cases made as they are written: same bytes
    import json

    analysis = gr.analyse(gr.open_sources([str(example)]), gr.Options(needs="summary"))
    document = gr.summary_json(analysis.summary)
    materialised = {key: list(value) if isinstance(value, gr.ListedCases) else value
                    for key, value in document.items()}
    assert materialised["overdue"], "the example should have overdue cases"
    assert gr.render_json(analysis.summary, "unit") == json.dumps(materialised, ensure_ascii=False, indent=2) + "\n"
    overdue = materialised["overdue"]
    assert overdue == sorted(overdue, key=lambda e: (-e["days_overdue"], e["deadline"], e["id"]))
