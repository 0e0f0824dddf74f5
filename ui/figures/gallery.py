"""The class gallery's figures: everyone's curves, plain and residual side by side and coloured by
depth, and a parallel-coordinates view of settings against the final training error."""

from __future__ import annotations

import math

import plotly.graph_objects as go
from plotly.colors import sample_colorscale
from plotly.subplots import make_subplots

from . import layout

DEPTH_SCALE = "Viridis"  # ordered and readable for colour-blind viewers


def _depth_color(depth: int, low: int, high: int) -> str:
    x = 0.0 if high == low else (math.log(depth) - math.log(low)) / (math.log(high) - math.log(low))
    return sample_colorscale(DEPTH_SCALE, [0.1 + 0.8 * x])[0]


def gallery_curves(runs: list[dict], titles: tuple[str, str], x_title: str, y_title: str, lang: str,
                   depth_label: str) -> go.Figure:
    """``runs``: {name, skip, depth, steps, error (%)}; left panel the plain nets, right the residual ones."""
    fig = make_subplots(rows=1, cols=2, shared_yaxes=True, subplot_titles=titles, horizontal_spacing=0.06)
    depths = [r["depth"] for r in runs] or [1]
    low, high = min(depths), max(depths)
    for r in runs:
        fig.add_trace(go.Scatter(x=r["steps"], y=r["error"], mode="lines", name=r["name"],
                                 line=dict(color=_depth_color(r["depth"], low, high), width=2),
                                 hovertemplate=f"{r['name']}<br>{depth_label} {r['depth']}<br>%{{x}}: %{{y:.1f}} %<extra></extra>",
                                 showlegend=False),
                      row=1, col=2 if r["skip"] else 1)
    fig.update_xaxes(title_text=x_title)
    fig.update_yaxes(title_text=y_title, row=1, col=1, rangemode="tozero")
    return layout(fig, "", lang, height=380)


def gallery_parcoords(runs: list[dict], labels: dict[str, str], lang: str, title: str) -> go.Figure:
    """One line per run through its settings to its final training error (%), coloured by that error."""
    def dim(key: str, values, **kw) -> dict:
        return dict(label=labels[key], values=values, **kw)

    dims = [dim("depth", [r["depth"] for r in runs]), dim("width", [r["width"] for r in runs]),
            dim("lr", [math.log10(r["lr"]) for r in runs]), dim("batch", [r["batch"] for r in runs]),
            dim("epochs", [r["epochs"] for r in runs]),
            dim("skip", [int(r["skip"]) for r in runs], tickvals=[0, 1], ticktext=[labels["off"], labels["on"]],
                range=[-0.1, 1.1]),
            dim("bn", [int(r["bn"]) for r in runs], tickvals=[0, 1], ticktext=[labels["off"], labels["on"]],
                range=[-0.1, 1.1]),
            dim("error", [r["final"] for r in runs])]
    fig = go.Figure(go.Parcoords(dimensions=dims, line=dict(color=[r["final"] for r in runs], colorscale="Viridis",
                                                              showscale=True, reversescale=True)))
    return layout(fig, title, lang, height=420)
