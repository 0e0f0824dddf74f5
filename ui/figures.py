"""Plotly figures as pure functions: data and translated labels in, a Figure out (no streamlit)."""

from __future__ import annotations

import plotly.graph_objects as go

from .i18n import plotly_separators

PALETTE = ("#4f46e5", "#ea580c", "#0891b2", "#16a34a", "#db2777", "#64748b")


def _layout(fig: go.Figure, title: str, lang: str, height: int = 360) -> go.Figure:
    fig.update_layout(
        title=dict(text=title, x=0.01, xanchor="left"),
        height=height,
        margin=dict(l=10, r=10, t=50, b=10),
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
    return _layout(fig, title, lang)


def heatmap(z, title: str, lang: str, x_labels=None, y_labels=None, colorscale: str = "RdBu", zmid: float | None = 0.0,
            height: int = 260, text: bool = True) -> go.Figure:
    """A small annotated heatmap (channels × pixels, matrices)."""
    fig = go.Figure(go.Heatmap(z=z, x=x_labels, y=y_labels, colorscale=colorscale, zmid=zmid,
                               texttemplate="%{z:.2f}" if text else None, showscale=False))
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, title, lang, height)
