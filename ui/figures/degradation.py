"""Lesson 2's figures as pure functions: the live panels and the paper's Figure 6 from a results folder."""

from __future__ import annotations

import plotly.graph_objects as go

from . import line_chart



def reproduction_chart(series: dict[str, tuple], title: str, x_title: str, y_title: str, lang: str,
                       colors: dict[str, str], milestones: tuple[int, ...], milestone_label: str,
                       y_max: float, height: int = 400) -> go.Figure:
    """One panel of the paper's Figure 6: training error (%) against iterations, one line per depth,
    a dotted line where the learning rate drops; both panels share ``y_max`` so they compare."""
    fig = line_chart(series, title, x_title, y_title, lang, colors=colors, height=height)
    for i, m in enumerate(milestones):
        label = dict(annotation_text=milestone_label, annotation_position="top right",
                     annotation_font=dict(size=11, color="#64748b")) if i == 0 else {}  # one label for all drops
        fig.add_vline(x=m, line_dash="dot", line_color="#94a3b8", **label)
    fig.update_yaxes(range=[0, y_max])
    return fig


SHADES = ("#93c5fd", "#3b82f6", "#1d4ed8", "#1e3a8a", "#0f172a")  # shallow (light) → deep (dark)


def depth_colors(depths) -> dict[int, str]:
    """One shade per depth, spread over SHADES from the shallowest (light) to the deepest (dark)."""
    order = sorted(set(depths))
    return {d: SHADES[round(i * (len(SHADES) - 1) / max(1, len(order) - 1))] for i, d in enumerate(order)}


def error_panel(series: dict[str, tuple], colors: dict[str, str], title: str, x_title: str, y_title: str,
                lang: str) -> go.Figure:
    """One panel of the live runs: training error (%) against steps, one line per depth; 0–100 % on
    both panels, so they compare at a glance."""
    fig = line_chart(series, title, x_title, y_title, lang, colors=colors, height=380)
    return fig.update_yaxes(range=[0, 100])
