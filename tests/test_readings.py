"""core/lessons/readings.py: which reading of a live number a sentence states, on both sides of every threshold."""

from __future__ import annotations

import math

import pytest

from core.lessons import readings


@pytest.mark.parametrize("value, expected", [
    (1e-9, "vanishes"), (0.099, "vanishes"), (0.1, "kept"), (1.0, "kept"), (10.0, "kept"),
    (10.01, "explodes"), (3e25, "explodes"), (math.inf, "explodes"), (math.nan, "explodes"),
])
def test_change_against_the_gradient_at_the_top(value, expected):
    assert readings.change(value) == expected


@pytest.mark.parametrize("ratio, expected", [
    (0.74, "shrinks"), (1.0, "even"), (1.96, "grows"), (math.inf, "grows"),
])
def test_direction(ratio, expected):
    assert readings.direction(ratio) == expected


def test_order_reads_values_as_the_page_shows_them():
    assert readings.order(0.0012, 0.0034, 4) == "less"
    assert readings.order(0.0034, 0.0012, 4) == "more"
    assert readings.order(0.00121, 0.00124, 4) == "same"  # both print as 0.0012
