"""Lesson 7's figures and tables as pure functions (no streamlit): feature-reuse heatmaps, digit grids,
He et al.'s identity-mappings table in the page's language."""

from __future__ import annotations

import textwrap

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .. import i18n
from . import layout


def reuse_heatmaps(maps, titles: list[str], x_title: str, y_title: str, source_label, target_label,
                   title: str, lang: str, height: int = 340) -> go.Figure:
    """One heatmap per dense block: row = target layer, column = source; each row scaled to its
    largest value (Huang et al.'s Figure 5 colours), the mean |w| itself in the hover and text."""
    fig = make_subplots(rows=1, cols=len(maps), subplot_titles=titles, horizontal_spacing=0.06)
    for i, m in enumerate(maps, start=1):
        m = np.asarray(m, dtype=float)
        scaled = m / np.nanmax(m, axis=1, keepdims=True)
        xs = [source_label(s) for s in range(m.shape[1])]
        ys = [target_label(r, m.shape[0]) for r in range(m.shape[0])]
        fig.add_trace(go.Heatmap(z=scaled, x=xs, y=ys, customdata=m, zmin=0, zmax=1, colorscale="Viridis",
                                 showscale=i == len(maps),
                                 text=np.where(np.isnan(m), "", np.round(scaled, 2)),
                                 texttemplate="%{text}", hovertemplate="%{y} ← %{x}: %{customdata:.4f}<extra></extra>",
                                 colorbar=dict(thickness=10)), row=1, col=i)
        fig.update_yaxes(autorange="reversed", row=1, col=i, title_text=y_title if i == 1 else None,
                         showticklabels=i == 1)  # the same rows in every block: label them once
        fig.update_xaxes(row=1, col=i, title_text=x_title)
    fig = layout(fig, title, lang, height)
    fig.update_layout(margin=dict(t=fig.layout.margin.t + 30))  # room for the title and the block names
    return fig


def digit_grid(columns: dict[str, np.ndarray], title: str, lang: str, cell: int = 130,
               errors: tuple[str, ...] = ()) -> go.Figure:
    """Images side by side: one column per entry (e.g. input, output, target), one row per digit;
    columns named in ``errors`` are error maps, drawn in red."""
    names = list(columns)
    rows = len(next(iter(columns.values())))
    titles = ["<br>".join(textwrap.wrap(n, 20)) for n in names]  # long labels (Vietnamese) wrap, never overlap
    fig = make_subplots(rows=rows, cols=len(names), column_titles=titles, horizontal_spacing=0.01,
                        vertical_spacing=0.01)
    for c, name in enumerate(names, start=1):
        for r in range(rows):
            fig.add_trace(go.Heatmap(z=np.clip(columns[name][r], 0, 1), zmin=0, zmax=1,
                                     colorscale="Reds" if name in errors else "gray_r",
                                     showscale=False, hovertemplate="%{z:.2f}<extra></extra>"), row=r + 1, col=c)
    fig.update_xaxes(visible=False, constrain="domain")
    fig.update_yaxes(visible=False, autorange="reversed", constrain="domain")
    for i in range(1, rows * len(names) + 1):  # square pixels in every cell
        fig.update_yaxes(scaleanchor=f"x{'' if i == 1 else i}", row=(i - 1) // len(names) + 1,
                         col=(i - 1) % len(names) + 1)
    lines = max(t.count("<br>") + 1 for t in titles)
    fig = layout(fig, title, lang, height=rows * cell + 70 + 18 * (lines - 1))
    fig.update_layout(margin=dict(t=fig.layout.margin.t + 30 + 18 * (lines - 1)))
    return fig


def identity_rows(im: dict, lang: str) -> list[dict[str, str]]:
    """He et al.'s Table 1 (reference.toml's language-free codes) as rows in ``lang``, written in the
    lesson's notation: their gate g(x) = σ(W_g x + b_g) is our α = σ(W_T x + b_T)."""
    t = lambda key, **kw: i18n.text(lang, f"kinds.{key}", **kw)  # noqa: E731
    words = {"g": "α", "1-g": "1 − α", "conv": t("im_on_conv"),
             "dropout": t("im_on_dropout", p=i18n.fmt_float(im["dropout_ratio"], lang, 1))}

    def factor(v: str) -> str:
        return words.get(v) or (v if v.isdigit() else i18n.fmt_float(float(v), lang, 1))

    def remark(bias: list, note: str) -> str:
        b = ["−" * (x < 0) + str(abs(x)) for x in bias]  # a minus sign, not a hyphen
        parts = [t("im_bias", b=b[0])] if len(b) == 1 else [t("im_bias_range", high=b[0], low=b[1])] if b else []
        return "; ".join(parts + ([t(f"im_note_{note}")] if note else []))

    return [{t("col_shortcut"): t(f"im_{c}"), t("col_on_shortcut"): factor(a), t("col_on_branch"): factor(b),
             t("col_error"): t("fail") if e == "fail" else f"{i18n.fmt_float(float(e), lang, 2)} %",
             t("col_remark"): remark(gb, n)}
            for c, a, b, e, gb, n in zip(im["shortcut"], im["on_shortcut"], im["on_branch"], im["error"],
                                         im["gate_bias"], im["note"])]

