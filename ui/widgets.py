"""Widgets drawn from their declarations (ui.controls), editable number tables, charts, the quiz.

``control(container, declaration)`` is the one way a page draws a lesson's control: the label, help,
range or options, default, step and option labels all come from the declaration that links and
tests read too.
"""

from __future__ import annotations

import html
import math
import threading

import numpy as np
import pandas as pd
import streamlit as st

from core.errors import CoreError, NotWhole, OutOfRange
from core.lessons.cells import parse_table

from . import i18n
from .controls import Control
from .figures import for_projector
from .figures.words import describe
from .text import error_text, lang, page, presenting, t


def control(container, c: Control, *, help: str | None = None, disabled: bool = False,
            placeholder: str | None = None):
    """Draw ``c`` in ``container`` and return its value.

    A number box returns None while it holds something that cannot run (the box then shows why):
    the page runs nothing with it. ``help`` replaces the declared help (e.g. one that names a value).
    """
    state = st.session_state
    key, default = c.widget_key(state), c.default_for(state)
    label = c.symbol or t(c.label)
    lang_ = lang()  # bound now: Streamlit may format options outside the script run
    kw = dict(key=key, help=help if help is not None else (t(c.help) if c.help else None), disabled=disabled)
    if c.keep:
        kw["persist_state"] = "session"
    fmt = lambda option: c.option_label(option, lang_)  # noqa: E731
    if c.kind == "number":
        return _whole_number(container, c, label, key, default, kw)
    if c.kind == "slider":
        return container.slider(label, c.low, c.high, default, c.step, **kw)
    if c.kind == "select_slider":
        return container.select_slider(label, c.options, value=default, format_func=fmt, **kw)
    if c.kind == "radio":
        return container.radio(label, c.options, index=c.options.index(default), format_func=fmt,
                               horizontal=c.horizontal, **kw)
    if c.kind == "selectbox":
        return container.selectbox(label, c.options, index=c.options.index(default), format_func=fmt, **kw)
    if c.kind == "segmented":
        return container.segmented_control(label, c.options, default=default, format_func=fmt, required=True, **kw)
    if c.kind == "toggle":
        return container.toggle(label, value=default, **kw)
    if c.kind == "multiselect":
        return container.multiselect(label, c.options, default=list(default), format_func=fmt, **kw)
    return container.text_input(label, placeholder=placeholder, **kw).strip()


def _whole_number(container, c: Control, label: str, key: str, default: int, kw: dict) -> int | None:
    """A number box for a whole number in [low, high] that never silently ignores what was typed.

    Streamlit checks ``min_value``/``max_value`` in the browser: a value out of range is refused
    there with an English tooltip while the box keeps the typed text and the script keeps running
    the old value, and an integer box reads "1e9" as 1. So the box is a float box without bounds
    (shown with ``%g``): every number typed reaches the script, which checks it against the
    declaration. A whole number in range comes back as an int; anything else shows a translated
    message under the box (naming the field) and comes back as None.
    """
    name = t(c.name) if c.name else label
    typed = container.number_input(label, value=float(default), step=float(c.step), format="%g", **kw)
    if typed is None:
        problem: CoreError = NotWhole(name, "–")
    elif not math.isfinite(typed) or typed != math.floor(typed):
        problem = NotWhole(name, float(typed))
    elif not c.low <= typed <= c.high:
        problem = OutOfRange(name, int(typed) if abs(typed) < 1e15 else float(typed), c.low, c.high)
    else:
        return int(typed)
    container.error(error_text(problem), icon=":material/error:")
    return None


def number_table(container, values, columns: list[str], key: str, name: str, **kwargs):
    """An editable table of numbers that never reads a typed cell as another number.

    A number column of Streamlit's data editor turns "1e309" into 1309 and "x1" into 1 in the
    browser, without a word. Here the cells are text, shown with the page's decimal mark (0,5 in
    Vietnamese, whatever the browser's locale), and ``core.lessons.cells.parse_table`` reads them:
    a float array of the table's shape, or a CoreError naming the first cell it cannot use (as
    ``name``, row r, column c). Returns (array or None, error or None); the page shows the error
    where it fits and draws the rest without the table's result.
    """
    comma = lang() == "vi"
    shown = [[f"{float(v):g}".replace(".", "," if comma else ".") for v in row] for row in np.atleast_2d(values)]
    edited = container.data_editor(pd.DataFrame(shown, columns=columns), key=key, hide_index=True,
                                   column_config={c: st.column_config.TextColumn() for c in columns}, **kwargs)
    try:
        return parse_table(name, edited.to_numpy(dtype=object).tolist(), decimal_comma=comma), None
    except CoreError as err:
        return None, err


def chart(container, fig, key: str, **kwargs) -> None:
    """``container.plotly_chart`` with the toolbar's PNG button named and translated, larger type in
    presenter view, and the chart in words right after it for screen readers (``ui.figures.words``:
    visually hidden by ``assets/app.css``, read from the figure's own data)."""
    lang_ = lang()
    config = i18n.plotly_config(lang_, f"residual-lab-{page() or 'chart'}-{key}".replace("_", "-"))
    kwargs.setdefault("width", "stretch")
    container.plotly_chart(for_projector(fig) if presenting() else fig, key=key, config=config, **kwargs)
    container.html(f'<p class="chart-words" data-chart="{html.escape(key)}">{html.escape(_words(fig, lang_))}</p>')


_WORDS: dict[tuple[int, str], tuple[object, str]] = {}  # (id(fig), lang) → (fig, its words): one per figure
_WORDS_LOCK = threading.Lock()


def _words(fig, lang_: str) -> str:
    """``describe(fig)``, once per figure object and language: a live chart's figure is built once per
    job version for every watcher (ui.training.shared), and 100 students' reruns each describing it
    again cost a replica more CPU than drawing it (py-spy, bench/cluster_load.py). The entry holds
    the figure, so its id cannot be reused while cached."""
    k = (id(fig), lang_)
    with _WORDS_LOCK:
        hit = _WORDS.get(k)
        if hit is not None and hit[0] is fig:
            return hit[1]
    text = describe(fig, lang_)
    with _WORDS_LOCK:
        _WORDS[k] = (fig, text)
        while len(_WORDS) > 256:
            _WORDS.pop(next(iter(_WORDS)))
    return text


def quiz(lesson: str) -> None:
    """The lesson's self-check: questions with instant feedback, from the catalog."""
    st.subheader(t("quiz.title"))
    cat = i18n.catalog(lang())
    n = 1
    while f"{lesson}.quiz.q{n}.question" in cat:
        base = f"{lesson}.quiz.q{n}"
        options = cat[f"{base}.options"]
        pick = st.radio(cat[f"{base}.question"], options=range(len(options)), format_func=options.__getitem__,
                        index=None, key=f"quiz_{lesson}_{n}")
        if pick is not None:
            if pick == cat[f"{base}.answer"]:
                st.success(t("quiz.right") + " " + cat[f"{base}.explain"])
            else:
                st.warning(t("quiz.wrong") + " " + cat[f"{base}.hint"])
        n += 1
