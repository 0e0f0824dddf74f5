"""Lesson 1's diagram as a pure function: Graphviz DOT of the two contexts (no streamlit)."""

from __future__ import annotations

from . import RESIDUAL


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
