"""Which reading of a live number a lesson's sentence may state: small pure functions, no Streamlit.

A sentence next to a live number must be true for every value the controls allow, so a page never
writes "grows" or "practically zero" without checking: it asks one of these functions which phrase
(a catalog key suffix) or which prose section applies, and the tests drive both sides.
"""

from __future__ import annotations

import math

FACTOR = 10.0  # "kept": within this factor of the reference (the gradient at the top is 1)


def change(value: float, reference: float = 1.0, factor: float = FACTOR) -> str:
    """'vanishes' below reference/factor, 'explodes' above reference·factor, else 'kept' (NaN: 'explodes')."""
    if not math.isfinite(value) or value > reference * factor:
        return "explodes"
    return "vanishes" if value < reference / factor else "kept"


def direction(ratio: float) -> str:
    """'grows' for a ratio above 1 (or not finite), 'shrinks' below 1, 'even' at exactly 1."""
    if not math.isfinite(ratio) or ratio > 1:
        return "grows"
    return "shrinks" if ratio < 1 else "even"


def order(a: float, b: float, digits: int) -> str:
    """'less', 'same' or 'more': how a compares with b as the page shows them, rounded to ``digits``
    decimals, so two values that print alike read as the same (never "smaller" between 0.0012 and 0.0012)."""
    x, y = round(float(a), digits), round(float(b), digits)
    return "same" if x == y else ("less" if x < y else "more")
