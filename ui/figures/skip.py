"""Lesson 1's diagram and the toy's charts as pure functions: Graphviz DOT of the two contexts, the
loss curves and the learned f of both runs (no streamlit)."""

from __future__ import annotations

import plotly.graph_objects as go

from . import GREY, PLAIN, RESIDUAL, TARGET, line_chart


def toy_figures(res, words: dict[str, str], lang: str) -> tuple[go.Figure, go.Figure]:
    """(loss curves, learned f) of a ToyResult; ``words``: run_plain, run_skip, f_plain, f_skip, threshold,
    loss_title, step, loss, f_title, f_axis (translated labels)."""
    runs, cfg = {"plain": res.plain, "skip": res.skip}, res.config
    names = {k: words[f"run_{k}"] for k in runs}
    color = {names["plain"]: PLAIN, names["skip"]: RESIDUAL, "H(x)": TARGET, "H(x) − x": GREY}
    curves = {names[k]: (range(len(r.losses)), r.losses) for k, r in runs.items()}
    curves[words["threshold"]] = ((0, cfg.steps), (cfg.threshold, cfg.threshold))
    loss = line_chart(curves, words["loss_title"], words["step"], words["loss"], lang, log_y=True,
                      dashed=(words["threshold"],), colors=color)
    learned = {words[f"f_{k}"]: (res.x_grid, r.f_grid) for k, r in runs.items()}
    learned |= {"H(x)": (res.x_grid, res.h_grid), "H(x) − x": (res.x_grid, res.residual_grid)}  # dashed, on top
    color |= {words[f"f_{k}"]: color[names[k]] for k in runs}
    f = line_chart(learned, words["f_title"], "x", words["f_axis"], lang, dashed=("H(x)", "H(x) − x"), colors=color)
    return loss, f


def contexts_dot(words: dict[str, str]) -> str:
    """Graphviz DOT of lesson 1's two contexts: what the forward pass computes, and the target H it is compared with.

    ``words``: forward, target, branch, skip, loss, residual (translated labels).
    """
    w = {k: v.replace('"', "'").replace("\n", "\\n") for k, v in words.items()}  # DOT line breaks
    return "\n".join([
        "digraph contexts {",
        '  rankdir=TB; newrank=true; bgcolor="transparent"; nodesep=0.5; ranksep=0.45;',
        '  node [shape=box, style="rounded,filled", fillcolor="#f8fafc", color="#475569", fontname="Helvetica", fontsize=15];',
        '  edge [color="#475569", fontname="Helvetica", fontsize=14];',
        f'  subgraph cluster_a {{ label="{w["forward"]}"; color="#475569"; fontname="Helvetica"; fontsize=14; style="rounded";',
        '    x [label="x", shape=ellipse, fillcolor="#f1f5f9", color="#334155"];',
        f'    f [label="{w["branch"]}"];',
        '    add [label="+", shape=circle, fillcolor="#fde68a", color="#b45309", fontsize=20];',
        '    y [label="y = f(x) + x", shape=ellipse, fillcolor="#f1f5f9", color="#334155"];',
        "    x -> f -> add -> y;",
        f'    x -> add [color="{RESIDUAL}", penwidth=2.4, label=" {w["skip"]}", fontcolor="{RESIDUAL}"];',
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
