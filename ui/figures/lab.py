"""The Lab's figure as a pure function: every run of the session on one chart (no streamlit)."""

from __future__ import annotations

import plotly.graph_objects as go

from . import PALETTE, line_chart


RUN_COLORS = PALETTE + ("#ca8a04", "#7c3aed", "#059669", "#dc2626", "#0284c7", "#78350f")  # one per run number


def runs_chart(series: dict[str, tuple], title: str, x_title: str, y_title: str, lang: str, log_y: bool = False,
               percent: bool = False, dashed: tuple[str, ...] = (), colors: dict[str, str] | None = None,
               revision: str = "runs", height: int = 440) -> go.Figure:
    """The Lab's overlay of runs, ``label → (x, y)``: line_chart, plus markers on short lines (a run's
    first points, per-epoch curves), errors as percentages, and the user's zoom kept across the live
    redraws while ``revision`` stays the same (Plotly's uirevision)."""
    height += 22 * (len(series) // 2)  # the legend under the plot grows a row per two runs
    fig = line_chart(series, title, x_title, y_title, lang, log_y=log_y, dashed=dashed, colors=colors, height=height,
                     y_dtick="D2" if log_y else None)
    for trace in fig.data:
        if len(trace.x) < 30:
            trace.mode = "lines+markers"
            trace.marker.size = 6
    if percent:
        fig.update_yaxes(tickformat=".0%", hoverformat=".1%", rangemode="tozero")
    fig.update_layout(uirevision=revision, showlegend=True, legend=dict(font=dict(size=12)))  # even for one run
    return fig
