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
