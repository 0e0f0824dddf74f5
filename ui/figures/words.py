"""A chart in words: the text alternative a screen reader reads after each chart (WCAG 1.1.1).

``describe(fig, lang)`` reads the figure itself, the very data the chart draws, so the words cannot
drift from the picture: its title, axes and panels, then each series' key numbers: a curve's first
and last value with its lowest and highest, a bar chart's bars, a grid's range and where it peaks, a
parallel-coordinates view's lines and ranges. Pure (no streamlit); the phrases are the catalogs'
``[chart]`` strings, so Vietnamese readers hear Vietnamese with decimal commas.
"""

from __future__ import annotations

import html
import math
import re

import numpy as np
import plotly.graph_objects as go

from .. import i18n

MAX_SERIES = 12  # a chart with more series lists the first ones and says how many more
MAX_BARS = 16  # bars read one by one up to this many per series

_TAG = re.compile(r"<[^>]+>")


def _plain(s) -> str:
    """A Plotly label as plain text: <br> becomes a space, other tags go, entities are decoded."""
    if s is None:
        return ""
    s = str(s).replace("<br>", " ").replace("<br/>", " ")
    return " ".join(html.unescape(_TAG.sub("", s)).split())


def number(x, lang: str) -> str:
    """A value as a reader would say it: whole numbers whole, others to three significant figures
    (a power of ten for the very small or large), in the language's decimal marks."""
    if isinstance(x, str):
        return _plain(x)
    x = float(x)
    if not math.isfinite(x):
        return str(x)
    if x == int(x) and abs(x) < 1e12:  # counts (parameters) read exactly
        return ("−" if x < 0 else "") + i18n.fmt_int(abs(int(x)), lang)
    s = i18n.fmt_sci(abs(x), lang, 2)
    return ("−" if x < 0 else "") + s


def _finite(values) -> list[tuple[int, float]]:
    out = []
    for i, v in enumerate(values if values is not None else []):
        try:
            f = float(v)
        except (TypeError, ValueError):
            continue
        if math.isfinite(f):
            out.append((i, f))
    return out


def _axis_title(fig: go.Figure, trace, axis: str) -> str:
    """The title of the axis ``axis`` ("x", "y", "z") that ``trace`` is drawn on: a 3-D scene's own axes
    for a surface, the subplot's axes (x2, y3…) otherwise; ``axis`` itself when it has none."""
    if trace.type == "surface":
        ax = fig.layout[trace.scene or "scene"][f"{axis}axis"]
    else:
        ref = getattr(trace, f"{axis}axis", None) or axis
        ax = fig.layout[f"{axis}axis{ref[1:]}"]
    text = _plain(ax.title.text) if ax is not None and ax.title is not None else ""
    return text or axis


def _short(title: str) -> str:
    """An axis title without its trailing remark: "depth l (0 = input)" → "depth l", for the
    parentheses that repeat it after each value."""
    head = title.split(" (")[0].strip()
    return head or title


def _tidy(x: float, scale: float) -> float:
    """Rounding noise (a mean of 10⁻¹⁷ among values near 1) read as the 0 it is."""
    return 0.0 if abs(x) <= 1e-9 * scale else x


def _t(lang: str, key: str, **kw) -> str:
    return i18n.text(lang, f"chart.{key}", **kw)


def _series_name(trace, i: int, lang: str) -> str:
    return _plain(trace.name) or _t(lang, "series", n=i + 1)


def _curve(fig, trace, i, lang) -> str:
    xs = list(trace.x) if trace.x is not None else list(range(len(trace.y or [])))
    pts = _finite(trace.y)
    name = _series_name(trace, i, lang)
    if not pts:
        return _t(lang, "curve_empty", name=name)
    x_title, y_title = _axis_title(fig, trace, "x"), _axis_title(fig, trace, "y")
    x_short = _short(x_title)
    at = lambda k: number(xs[k], lang) if k < len(xs) else number(k, lang)  # noqa: E731
    (i0, y0), (i1, y1) = pts[0], pts[-1]
    lo = min(pts, key=lambda p: p[1])
    hi = max(pts, key=lambda p: p[1])
    if len(pts) == 1:
        return _t(lang, "point", name=name, x_title=x_short, x=at(i0), y_title=y_title, y=number(y0, lang))
    if lo[1] == hi[1]:  # a reference line: one value all along
        return _t(lang, "flat", name=name, y_title=y_title, y=number(y0, lang), x_title=x_title, x0=at(i0), x1=at(i1))
    return _t(lang, "curve", name=name, n=i18n.fmt_int(len(pts), lang), x_title=x_title, x0=at(i0), x1=at(i1),
              y_title=y_title, y0=number(y0, lang), y1=number(y1, lang), low=number(lo[1], lang), x_low=at(lo[0]),
              high=number(hi[1], lang), x_high=at(hi[0]), x_short=x_short)


def _bars(fig, trace, i, lang) -> str:
    horizontal = trace.orientation == "h"
    cats = list((trace.y if horizontal else trace.x) or [])
    vals = list((trace.x if horizontal else trace.y) or [])
    pairs = [(number(c, lang), number(v, lang)) for c, v in zip(cats, vals) if _finite([v])]
    axis = "x" if horizontal else "y"
    value_title = _axis_title(fig, trace, axis)
    head = ", ".join(s for s in (_plain(trace.name) or _t(lang, "bars_name"), value_title if value_title != axis else "") if s)
    shown = "; ".join(f"{c} {v}" for c, v in pairs[:MAX_BARS])
    if len(pairs) > MAX_BARS:
        shown += "; " + _t(lang, "more_bars", n=i18n.fmt_int(len(pairs) - MAX_BARS, lang))
    return _t(lang, "bars", head=head, bars=shown)


def _grid(fig, trace, i, lang) -> str:
    z = np.asarray(trace.z, dtype=float) if trace.z is not None else np.zeros((0, 0))
    if z.ndim != 2 or not np.isfinite(z).any():
        return _t(lang, "grid_empty", name=_series_name(trace, i, lang))
    rows, cols = z.shape
    xs = list(trace.x) if trace.x is not None else None
    ys = list(trace.y) if trace.y is not None else None
    x_title, y_title = _short(_axis_title(fig, trace, "x")), _short(_axis_title(fig, trace, "y"))

    def where(flat: int) -> str:
        r, c = divmod(flat, cols)
        if xs is not None and ys is not None and len(xs) == cols and len(ys) == rows:
            return _t(lang, "at_xy", x_title=x_title, x=number(xs[c], lang), y_title=y_title, y=number(ys[r], lang))
        return _t(lang, "at_cell", row=r + 1, col=c + 1)

    filled = np.where(np.isfinite(z), z, np.nan)
    lo, hi = int(np.nanargmin(filled)), int(np.nanargmax(filled))
    name = _plain(trace.name) or _t(lang, "grid_name")
    return _t(lang, "grid", name=name, rows=i18n.fmt_int(rows, lang), cols=i18n.fmt_int(cols, lang),
              low=number(float(filled.flat[lo]), lang), at_low=where(lo), high=number(float(filled.flat[hi]), lang),
              at_high=where(hi),
              mean=number(_tidy(float(np.nanmean(filled)), float(np.nanmax(np.abs(filled)))), lang))


def _histogram(fig, trace, i, lang) -> str:
    vals = [v for _, v in _finite(trace.x)]
    name = _series_name(trace, i, lang)
    if not vals:
        return _t(lang, "curve_empty", name=name)
    return _t(lang, "histogram", name=name, n=i18n.fmt_int(len(vals), lang), low=number(min(vals), lang),
              high=number(max(vals), lang),
              mean=number(_tidy(float(np.mean(vals)), max(abs(v) for v in vals)), lang))


def _parcoords(fig, trace, i, lang) -> str:
    dims = list(trace.dimensions or [])
    n = len(dims[0].values) if dims and dims[0].values is not None else 0
    parts = []
    for d in dims:
        vals = [v for _, v in _finite(d.values)]
        if not vals:
            continue
        label = _plain(d.label)
        if d.ticktext is not None and d.tickvals is not None:  # an on/off axis: count each side
            counts = [f"{_plain(tt)} {i18n.fmt_int(sum(1 for v in vals if v == tv), lang)}"
                      for tv, tt in zip(d.tickvals, d.ticktext)]
            parts.append(f"{label}: {', '.join(counts)}")
        elif min(vals) == max(vals):
            parts.append(f"{label} {number(vals[0], lang)}")
        else:
            parts.append(_t(lang, "range", label=label, low=number(min(vals), lang), high=number(max(vals), lang)))
    return _t(lang, "parcoords", n=i18n.fmt_int(n, lang), dims="; ".join(parts))


_KINDS = {"scatter": _curve, "scattergl": _curve, "bar": _bars, "heatmap": _grid, "contour": _grid,
          "surface": _grid, "histogram": _histogram, "parcoords": _parcoords}


def _same_grids(traces) -> bool:
    """Many unnamed grids of one shape: a picture grid (inputs, outputs, error maps)."""
    return len(traces) > 3 and all(t.type == "heatmap" and not t.name for t in traces)


def describe(fig: go.Figure, lang: str) -> str:
    """The chart in words, in ``lang``: one paragraph, key numbers first-hand from ``fig``'s data."""
    fig = fig if isinstance(fig, go.Figure) else go.Figure(fig)
    title = _plain(fig.layout.title.text) if fig.layout.title is not None else ""
    out = [_t(lang, "titled", title=title) if title else _t(lang, "untitled")]
    notes = [a for a in (fig.layout.annotations or ()) if a.text]
    panels = [_plain(a.text) for a in notes if a.xref == "paper" and a.yref == "paper"]  # subplot titles
    marks = [_plain(a.text) for a in notes if not (a.xref == "paper" and a.yref == "paper")]  # a line's label
    if panels:
        out.append(_t(lang, "panels", n=i18n.fmt_int(len(panels), lang), names="; ".join(panels)))
    if marks:
        out.append(_t(lang, "marks", names="; ".join(marks)))
    # A trace drawn as decoration (no name, no hover: the trained point's cross, the faint single draws
    # behind a mean) is not a series a reader needs.
    traces = [t for t in fig.data if getattr(t, "name", None) or getattr(t, "hoverinfo", None) != "skip"]
    if _same_grids(traces):
        zs = [np.asarray(t.z, dtype=float) for t in traces]
        allz = np.concatenate([z.ravel() for z in zs])
        allz = allz[np.isfinite(allz)]
        out.append(_t(lang, "pictures", n=i18n.fmt_int(len(zs), lang), rows=zs[0].shape[0], cols=zs[0].shape[-1],
                      low=number(float(allz.min()), lang) if allz.size else "–",
                      high=number(float(allz.max()), lang) if allz.size else "–"))
        return " ".join(out)
    for i, trace in enumerate(traces[:MAX_SERIES]):
        fn = _KINDS.get(trace.type)
        if fn is not None:
            out.append(fn(fig, trace, i, lang))
    if len(traces) > MAX_SERIES:
        out.append(_t(lang, "more_series", n=i18n.fmt_int(len(traces) - MAX_SERIES, lang)))
    return " ".join(s for s in out if s)
