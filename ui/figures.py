"""Plotly figures as pure functions: data and translated labels in, a Figure out (no streamlit)."""

from __future__ import annotations

# Plotly looks pandas up in sys.modules without importing it. A training worker importing it at that moment
# (scikit-learn does, loading the digits) leaves a half-built module there and the figure raises
# AttributeError; importing it here first makes this thread wait for (or do) the whole import.
import pandas  # noqa: F401
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


# ---- Lessons 1 and 5: curves, pictures, histograms, the two-contexts diagram ----


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
    fig = _layout(fig, title, lang, height)
    # Many series with long names: the legend goes under the plot, where it cannot cover the title.
    fig.update_layout(legend=dict(orientation="h", yanchor="top", y=-0.2, x=0, xanchor="left"), margin=dict(b=10))
    return fig


def picture(z, title: str, lang: str, zmin: float = 0.0, zmax: float = 1.0, colorscale: str = "gray",
            height: int = 300) -> go.Figure:
    """A grey image (or a signed one with a diverging scale), square pixels, no axes."""
    fig = go.Figure(go.Heatmap(z=z, zmin=zmin, zmax=zmax, colorscale=colorscale, showscale=True,
                               colorbar=dict(thickness=10, len=0.9)))
    fig.update_xaxes(visible=False, constrain="domain")
    fig.update_yaxes(visible=False, autorange="reversed", scaleanchor="x", constrain="domain")
    return _layout(fig, title, lang, height)


def histograms(series: dict[str, list[float]], title: str, x_title: str, lang: str, height: int = 320) -> go.Figure:
    """Overlaid histograms, one per series (e.g. one per channel)."""
    fig = go.Figure([go.Histogram(x=list(v), name=name, opacity=0.6, marker_color=PALETTE[i % len(PALETTE)], nbinsx=40)
                     for i, (name, v) in enumerate(series.items())])
    fig.update_layout(barmode="overlay")
    fig.update_xaxes(title_text=x_title)
    return _layout(fig, title, lang, height)


def contexts_dot(words: dict[str, str]) -> str:
    """Graphviz DOT of lesson 1's two contexts: what the forward pass computes, and the target H it is compared with.

    ``words``: forward, target, branch, skip, loss, residual (translated labels).
    """
    w = {k: v.replace('"', "'").replace("\n", "\\n") for k, v in words.items()}  # DOT line breaks
    return "\n".join([
        "digraph contexts {",
        '  rankdir=TB; newrank=true; bgcolor="transparent"; nodesep=0.5; ranksep=0.45;',
        '  node [shape=box, style="rounded,filled", fillcolor="#eef2ff", color="#4f46e5", fontname="Helvetica", fontsize=15];',
        '  edge [color="#475569", fontname="Helvetica", fontsize=14];',
        f'  subgraph cluster_a {{ label="{w["forward"]}"; color="#4f46e5"; fontname="Helvetica"; fontsize=14; style="rounded";',
        '    x [label="x", shape=ellipse, fillcolor="#f1f5f9", color="#334155"];',
        f'    f [label="{w["branch"]}"];',
        '    add [label="+", shape=circle, fillcolor="#fde68a", color="#b45309", fontsize=20];',
        '    y [label="y = f(x) + x", shape=ellipse, fillcolor="#f1f5f9", color="#334155"];',
        "    x -> f -> add -> y;",
        f'    x -> add [color="#ea580c", penwidth=2.4, label=" {w["skip"]}", fontcolor="#c2410c"];',
        "  }",
        f'  subgraph cluster_b {{ label="{w["target"]}"; color="#16a34a"; fontname="Helvetica"; fontsize=14; style="rounded,dashed";',
        '    H [label="H(x)", shape=ellipse, fillcolor="#dcfce7", color="#16a34a"];',
        f'    R [label="{w["residual"]}", fillcolor="#dcfce7", color="#16a34a"];',
        "    R -> H [style=dashed];",
        "  }",
        "  { rank=same; f; R; }",
        "  { rank=same; y; H; }",
        f'  y -> H [style=dashed, dir=both, color="#16a34a", label="{w["loss"]}"];',
        "}",
    ])


# ---- Lesson 9 (Lab): every run of the session on one chart ----

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


# ---- Lesson 2: the paper's CIFAR-10 experiment, from a results folder ----


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
