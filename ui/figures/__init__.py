"""Plotly figures as pure functions: data and translated labels in, a Figure out (no streamlit).

This module holds the shared pieces (the palette, ``layout``, lines, bars, heatmaps, pictures, the
projector's larger type); each lesson's own figures are in a module of this package named after the
lesson (``ui.figures.why``…), built from these."""

from __future__ import annotations

import textwrap

# Plotly looks pandas up in sys.modules without importing it. A training worker importing it at that moment
# (scikit-learn does, loading the digits) leaves a half-built module there and the figure raises
# AttributeError; importing it here first makes this thread wait for (or do) the whole import.
import pandas  # noqa: F401
import plotly.graph_objects as go

from ..i18n import plotly_separators

# Okabe & Ito's colour-blind-safe set (2008): every pair stays apart under simulated protanopia,
# deuteranopia and tritanopia (tests/test_palette.py). Residual is always blue, plain always vermillion.
RESIDUAL = "#0072B2"
PLAIN = "#D55E00"
PALETTE = (RESIDUAL, PLAIN, "#009E73", "#CC79A7", "#E69F00", "#56B4E9")
TARGET = PALETTE[2]  # bluish green: a mapping a curve should reach (lesson 1's H(x))
GREY = "#6b7280"  # reference lines


TOOLBAR = 30  # px above the title: Plotly's toolbar row
TOP = TOOLBAR + 46  # px above the plot: the toolbar, the title, and a legend row under the title


TITLE_CHARS = 46  # a title wraps after about this many characters: what a phone's 358 px chart shows


def layout(fig: go.Figure, title: str, lang: str, height: int = 360) -> go.Figure:
    # Plotly never wraps a title: a long one was cut off at the right edge on a phone. Plain-text
    # titles wrap (one more line: 20 px more at the top, the plot keeps its size); HTML ones stay.
    lines = textwrap.wrap(title, TITLE_CHARS) if title and "<" not in title else [title]
    extra = 20 * (len(lines) - 1)
    fig.update_layout(
        # The title sits under the toolbar's row (Plotly's buttons, top right, always shown on a touch
        # screen): on a phone, 390 px wide, the two shared one row and the buttons covered the title.
        title=dict(text="<br>".join(lines), x=0.01, xanchor="left", yref="container", y=1, yanchor="top",
                   pad=dict(t=TOOLBAR)),
        height=height + TOP - 50 + extra,  # ``height`` was sized for a 50 px top margin: the plot keeps its size
        margin=dict(l=10, r=10, t=TOP + extra, b=10),
        separators=plotly_separators(lang),
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1),
    )
    return fig


def grouped_bars(
    categories: list[str], series: dict[str, list[float]], title: str, y_title: str, lang: str, log_y: bool = False
) -> go.Figure:
    """One bar per category and series, side by side."""
    fig = go.Figure(
        [go.Bar(name=name, x=categories, y=values, marker_color=PALETTE[i % len(PALETTE)])
         for i, (name, values) in enumerate(series.items())]
    )
    fig.update_layout(barmode="group")
    fig.update_yaxes(title_text=y_title, type="log" if log_y else "linear")
    return layout(fig, title, lang)


def heatmap(z, title: str, lang: str, x_labels=None, y_labels=None, colorscale: str = "RdBu", zmid: float | None = 0.0,
            height: int = 260, text: bool = True) -> go.Figure:
    """A small annotated heatmap (channels × pixels, matrices)."""
    fig = go.Figure(go.Heatmap(z=z, x=x_labels, y=y_labels, colorscale=colorscale, zmid=zmid,
                               texttemplate="%{z:.2f}" if text else None, showscale=False))
    fig.update_yaxes(autorange="reversed")
    return layout(fig, title, lang, height)


# ---- A figure shared by many sessions ----

class CachedFigure(go.Figure):
    """A figure that makes its ``to_dict()`` once, until it changes (``cache_dict``).

    ``st.plotly_chart`` asks every figure for ``to_dict()`` on every call: a deep copy of all its
    points, 1.1-1.9 ms for the Lab's two runs. A live chart is built once per frame for a whole class
    (ui.training.shared) and drawn again on every student's poll: one copy, not one per poll. The
    dict handed out is shared: read it, never change it. Any change to the figure itself (Plotly
    reports each one to these ``_send_*`` hooks, the ones its widgets use) drops the cached dict.
    """

    def to_dict(self):
        d = self.__dict__.get("_cached_dict")
        if d is None:
            d = self._cached_dict = super().to_dict()
        return d

    def _changed(self, *args, **kwargs) -> None:
        self.__dict__.pop("_cached_dict", None)

    _send_addTraces_msg = _send_moveTraces_msg = _send_deleteTraces_msg = _changed
    _send_restyle_msg = _send_relayout_msg = _send_update_msg = _changed


def cache_dict(fig: go.Figure) -> go.Figure:
    """``fig`` itself, now a CachedFigure: the same traces and layout, nothing copied or validated
    again (building a new figure from it costs 11 ms, as much as building it)."""
    if type(fig) is go.Figure:
        fig.__class__ = CachedFigure
    return fig


# ---- Curves, pictures, histograms ----


def line_chart(series: dict[str, tuple], title: str, x_title: str, y_title: str, lang: str, log_x: bool = False,
               log_y: bool = False, dashed: tuple[str, ...] = (), markers: tuple[str, ...] = (),
               colors: dict[str, str] | None = None, height: int = 360, x_ticks=None, y_dtick=None) -> go.Figure:
    """One line per series, ``name → (x, y)``; names in ``dashed`` are dashed, in ``markers`` dotted.

    ``x_ticks``: the x values to label (e.g. the batch sizes); ``y_dtick``: Plotly's dtick for the y axis
    ("D2" labels only 2 and 5 between powers of ten on a log axis).
    """
    fig = go.Figure()
    for i, (name, (x, y)) in enumerate(series.items()):
        color = (colors or {}).get(name, PALETTE[i % len(PALETTE)])
        fig.add_trace(go.Scatter(
            x=list(x), y=list(y), name=name, mode="markers" if name in markers else "lines",
            line=dict(color=color, width=2.2, dash="dash" if name in dashed else "solid"), marker=dict(color=color),
        ))
    categorical = any(isinstance(v, str) for x, _ in series.values() for v in list(x)[:1])
    fig.update_xaxes(title_text=x_title, type="category" if categorical else "log" if log_x else "linear",
                     tickvals=list(x_ticks) if x_ticks is not None else None)
    fig.update_yaxes(title_text=y_title, type="log" if log_y else "linear", exponentformat="power", dtick=y_dtick)
    # Many series with long names: the legend goes under the plot, where it cannot cover the title, and
    # under the axis title; named categories (layer names) are slanted and need about 60 px more.
    fig = layout(fig, title, lang, height + (60 if categorical else 0))
    fig.update_layout(legend=dict(orientation="h", yanchor="top", y=-0.38 if categorical else -0.2, x=0,
                                  xanchor="left"), margin=dict(b=10))
    return fig


def picture(z, title: str, lang: str, zmin: float = 0.0, zmax: float = 1.0, colorscale: str = "gray",
            height: int = 300) -> go.Figure:
    """A grey image (or a signed one with a diverging scale), square pixels, no axes."""
    fig = go.Figure(go.Heatmap(z=z, zmin=zmin, zmax=zmax, colorscale=colorscale, showscale=True,
                               colorbar=dict(thickness=10, len=0.9)))
    fig.update_xaxes(visible=False, constrain="domain")
    fig.update_yaxes(visible=False, autorange="reversed", scaleanchor="x", constrain="domain")
    return layout(fig, title, lang, height)


def histograms(series: dict[str, list[float]], title: str, x_title: str, lang: str, height: int = 320) -> go.Figure:
    """Overlaid histograms, one per series (e.g. one per channel)."""
    fig = go.Figure([go.Histogram(x=list(v), name=name, opacity=0.6, marker_color=PALETTE[i % len(PALETTE)], nbinsx=40)
                     for i, (name, v) in enumerate(series.items())])
    fig.update_layout(barmode="overlay")
    fig.update_xaxes(title_text=x_title)
    return layout(fig, title, lang, height)


# ---- Classroom: figures sized for a projector ----


def for_projector(fig: go.Figure, scale: float = 1.35) -> go.Figure:
    """A copy of ``fig`` with larger type (and a little more height for it), for presenter view."""
    out = go.Figure(fig)
    size = (out.layout.font.size or 12) * scale
    title = out.layout.title.font.size or 16
    height = out.layout.height
    out.update_layout(font=dict(size=round(size)), title_font_size=round(title * scale),
                      height=round(height * 1.15) if height else None)
    return out
