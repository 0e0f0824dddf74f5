"""Lesson 8's Plotly figures as pure functions (no streamlit): path lengths, lesions, loss landscapes."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from . import PALETTE, PLAIN, RESIDUAL, layout



def path_bars(lengths, shares, title: str, x_title: str, y_title: str, lang: str, band=None) -> go.Figure:
    """Share of paths of each length (Binomial(n, ½)); lengths inside ``band`` (low, high) drawn darker."""
    colors = [PALETTE[0] if band and band[0] <= k <= band[1] else "#a6cbe3" for k in lengths]
    fig = go.Figure(go.Bar(x=list(lengths), y=[100 * s for s in shares], marker_color=colors,
                           hovertemplate="%{x}: %{y:.3g} %<extra></extra>"))
    fig.update_xaxes(title_text=x_title)
    fig.update_yaxes(title_text=y_title, rangemode="tozero")
    return layout(fig, title, lang, 340)


def lesion_bars(blocks: list[str], series: dict[str, list[float]], intact: dict[str, float], chance: float,
                chance_label: str, title: str, x_title: str, y_title: str, lang: str) -> go.Figure:
    """Test accuracy (%) after deleting each block, one bar per net; its intact accuracy as a dashed line."""
    fig = go.Figure()
    for (name, values), color in zip(series.items(), (PLAIN, RESIDUAL)):
        fig.add_trace(go.Bar(name=name, x=blocks, y=[100 * v for v in values], marker_color=color))
    for (name, value), color in zip(intact.items(), (PLAIN, RESIDUAL)):
        fig.add_hline(y=100 * value, line=dict(color=color, dash="dash", width=2),
                      annotation_text=name, annotation_position="top left")
    fig.add_hline(y=100 * chance, line=dict(color="#64748b", dash="dot", width=1.5),
                  annotation_text=chance_label, annotation_position="bottom right")
    fig.update_layout(barmode="group")
    fig.update_xaxes(title_text=x_title, type="category")
    fig.update_yaxes(title_text=y_title, range=[0, 100])
    return layout(fig, title, lang, 380)


def lesion_curve(series: dict[str, tuple[float, np.ndarray]], chance: float, chance_label: str, title: str,
                 x_title: str, y_title: str, lang: str) -> go.Figure:
    """Accuracy (%) against k deleted blocks: ``name → (intact, draws (n, D))``; each draw a dot, the mean a line."""
    fig = go.Figure()
    for (name, (intact, draws)), color in zip(series.items(), (PLAIN, RESIDUAL)):
        n, d = draws.shape
        ks = np.arange(0, n + 1)
        fig.add_trace(go.Scatter(x=list(ks), y=[100 * intact] + list(100 * draws.mean(1)), name=name,
                                 mode="lines+markers", line=dict(color=color, width=2.5)))
        fig.add_trace(go.Scatter(x=list(np.repeat(ks[1:], d)), y=list(100 * draws.ravel()), mode="markers",
                                 marker=dict(color=color, size=5, opacity=0.35), showlegend=False, hoverinfo="skip"))
    fig.add_hline(y=100 * chance, line=dict(color="#64748b", dash="dot", width=1.5),
                  annotation_text=chance_label, annotation_position="bottom right")
    fig.update_xaxes(title_text=x_title, dtick=1)
    fig.update_yaxes(title_text=y_title, range=[0, 100])
    return layout(fig, title, lang, 380)


def loss_slices(alphas, lines: dict[str, np.ndarray], title: str, x_title: str, y_title: str, lang: str) -> go.Figure:
    """The 1-D slices L(θ* + α·δ), log scale: one line per net."""
    fig = go.Figure([go.Scatter(x=list(alphas), y=list(v), name=name, mode="lines", line=dict(color=c, width=2.5))
                     for (name, v), c in zip(lines.items(), (PLAIN, RESIDUAL))])
    fig.update_xaxes(title_text=x_title)
    fig.update_yaxes(title_text=y_title, type="log", exponentformat="power", dtick="D2")
    return layout(fig, title, lang, 360)


def _log_loss(z: np.ndarray, zmax: float = np.inf) -> list:
    """log₁₀ of the loss, capped at ``zmax`` (a plateau where the loss blows up), as lists (JSON, not binary)."""
    return np.minimum(np.log10(np.maximum(np.asarray(z, dtype=float), 1e-6)), zmax).tolist()


def loss_contour(alphas, z: np.ndarray, title: str, lang: str, zmin: float, zmax: float, bar_title: str) -> go.Figure:
    """Contours of log₁₀ L(α, β) around θ* (the cross at the centre); one colour scale shared by both nets."""
    fig = go.Figure(go.Contour(x=list(alphas), y=list(alphas), z=_log_loss(z), zmin=zmin, zmax=zmax,
                               colorscale="Viridis", ncontours=24, contours=dict(coloring="heatmap", showlines=True),
                               line=dict(width=0.6, color="rgba(255,255,255,0.55)"),
                               colorbar=dict(title=dict(text=bar_title, side="right"), thickness=12)))
    fig.add_trace(go.Scatter(x=[0], y=[0], mode="markers", marker=dict(symbol="x", size=10, color="white"),
                             showlegend=False, hoverinfo="skip"))
    fig.update_xaxes(title_text="α", constrain="domain")
    fig.update_yaxes(title_text="β", scaleanchor="x", constrain="domain")
    return layout(fig, title, lang, 420)


def loss_surface(alphas, z: np.ndarray, title: str, lang: str, zmin: float, zmax: float, z_title: str) -> go.Figure:
    """The same surface in 3-D (log₁₀ loss), to turn with the mouse."""
    fig = go.Figure(go.Surface(x=list(alphas), y=list(alphas), z=_log_loss(z, zmax), cmin=zmin, cmax=zmax,
                               colorscale="Viridis", showscale=False))
    fig.update_layout(scene=dict(xaxis_title="α", yaxis_title="β", zaxis_title=z_title,
                                 zaxis=dict(range=[zmin, zmax]), camera=dict(eye=dict(x=1.5, y=1.5, z=1.0))))
    return layout(fig, title, lang, 440)


def reuse_map(sources: list[str], targets: list[str], sim: np.ndarray, title: str, x_title: str, y_title: str,
              bar_title: str, lang: str, text_up_to: int = 9) -> go.Figure:
    """Feature reuse: row = a block's output, column = an earlier output carried to it (cosine similarity,
    0…1 for both nets alike); cells that are not earlier stay empty; values written in the cells of small nets."""
    sim = np.asarray(sim, dtype=float)
    z = [[None if np.isnan(v) else round(float(v), 4) for v in row] for row in sim]
    fig = go.Figure(go.Heatmap(z=z, x=sources, y=targets, zmin=0, zmax=1, colorscale="Viridis",
                               texttemplate="%{z:.2f}" if len(targets) <= text_up_to else None, hoverongaps=False,
                               hovertemplate="%{y} ← %{x}: %{z:.3f}<extra></extra>",  # the page's decimal mark
                               colorbar=dict(title=dict(text=bar_title, side="right"), thickness=12)))
    fig.update_xaxes(title_text=x_title, type="category", tickangle=-45)
    fig.update_yaxes(title_text=y_title, type="category", autorange="reversed")
    return layout(fig, title, lang, 300 + 12 * len(targets))
