"""Numbers a student types into a lesson's tables (lesson 1's worked example, lesson 6's 1×1
convolution): text cells read strictly, so "1e309" or "x1" get a message naming the cell instead of
being read as 1309 or 1, and either decimal mark works in either language."""

from __future__ import annotations

import re

import numpy as np

from core.errors import BadCell

MAX_ABS = 1e6  # largest magnitude a typed cell may have: the products the lessons show stay readable

_NUMBER = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)(e[+-]?\d+)?", re.IGNORECASE)


def parse_cell(text, decimal_comma: bool = False) -> float:
    """The number a student typed in a table cell, or ValueError.

    Plain decimal numbers only, with an optional exponent (``-0.5``, ``2``, ``1e-3``); the minus may
    be the typographic one. The decimal mark may be a comma (``0,5``, as the Vietnamese page shows
    it); without ``decimal_comma`` (English) a comma followed by exactly three digits ("1,000") reads
    as a thousands mark and is refused. Text around digits ("x1"), NaN, infinity and anything
    beyond ``MAX_ABS`` ("1e309") are refused rather than read as something else.
    """
    if isinstance(text, (int, float, np.number)) and not isinstance(text, bool):
        value = float(text)
    else:
        s = "" if text is None else str(text).strip().replace("\u2212", "-").replace("\u00a0", "")
        if not _NUMBER.fullmatch(s) or (not decimal_comma and re.search(r",\d{3}(e|$)", s, re.IGNORECASE)):
            raise ValueError(f"not a number: {text!r}")
        value = float(s.replace(",", "."))
    if not np.isfinite(value) or abs(value) > MAX_ABS:
        raise ValueError(f"out of range: {text!r}")
    return value


def parse_table(name: str, cells, decimal_comma: bool = False) -> np.ndarray:
    """A table of typed cells (rows of strings or numbers) as a float array of the same shape, or a
    BadCell naming the first cell that cannot be used (rows and columns counted from 1)."""
    rows = [list(r) for r in cells]
    out = np.empty((len(rows), len(rows[0]) if rows else 0), dtype=np.float64)
    for i, row in enumerate(rows):
        for j, cell in enumerate(row):
            try:
                out[i, j] = parse_cell(cell, decimal_comma)
            except ValueError:
                raise BadCell(name, i + 1, j + 1, "" if cell is None else str(cell)[:40], int(MAX_ABS)) from None
    return out
