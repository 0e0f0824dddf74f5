"""The class poll's tally: one horizontal bar per answer, its votes and share written on it."""

from __future__ import annotations

import plotly.graph_objects as go

from . import PALETTE, layout


def tally_bars(answers: list[str], votes: list[int], title: str, x_title: str, lang: str) -> go.Figure:
    """Bars in the answers' order (top to bottom), each with its votes and share written on it."""
    total = sum(votes)
    text = [f"{v} ({round(100 * v / total)} %)" if total else "0" for v in votes]
    fig = go.Figure(go.Bar(x=votes, y=answers, orientation="h", text=text, textposition="auto", marker_color=PALETTE[0],
                           hovertemplate="%{y}: %{x}<extra></extra>"))
    fig.update_yaxes(autorange="reversed", automargin=True)
    fig.update_xaxes(title_text=x_title, rangemode="tozero", dtick=1 if max(votes, default=0) <= 10 else None)
    return layout(fig, title, lang, height=110 + 46 * len(answers))
