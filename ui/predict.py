"""Predict, then watch: the question a live experiment asks before it runs, and, after the run, the
answer its own numbers support (core.lessons.predictions) next to the session's guess.

``ask`` draws the question above a lesson's Train button; ``reveal`` goes where the page draws its
finished runs. The guess is this session's (widget state); it is locked while the runs train, so it
is made before the curves appear.
"""

from __future__ import annotations

import streamlit as st

from core.lessons.predictions import PREDICTIONS, Verdict

from . import i18n
from .text import lang, t


def _key(pid: str) -> str:
    return f"predict_{pid}"


def guess(pid: str) -> str | None:
    """The guess the session made before its latest run (committed at the Train click), or, before
    any run, the answer it has chosen now; None without one."""
    state = st.session_state
    return state[_MADE + pid] if _MADE + pid in state else state.get(_key(pid))


_MADE = "_predict_made_"  # session state: the guess as it was when Train was clicked


def ask(pid: str, *, starts: tuple[str, ...], busy: bool, **params) -> None:
    """The prediction box above a lesson's Train button(s): the question (``params`` fill it, e.g. the
    depth) and its answers, none chosen at first. ``starts``: the keys of the buttons that start the
    runs; in the run a click causes (the button's state is already True here, above the button), the
    choice is committed as the guess that run is judged against. While the runs train (``busy``) the
    choice is shown locked."""
    state = st.session_state
    clicked = any(state.get(k) for k in starts)
    if clicked:
        state[_MADE + pid] = state.get(_key(pid))
    pred, lang_ = PREDICTIONS[pid], lang()  # bound now: Streamlit may format options outside the script run
    with st.container(border=True, key=f"predict_box_{pid}"):
        st.markdown(f"**:material/psychology_alt: {t('predict.heading')}.** {t(f'predict.{pid}.question', **params)}")
        st.radio(t("predict.label"), pred.answers, index=None, key=_key(pid), horizontal=True,
                 disabled=busy or clicked, format_func=lambda a: i18n.text(lang_, f"predict.{pid}.a_{a}"),
                 help=t("predict.help"), label_visibility="collapsed")
        if busy or clicked:
            st.caption(t("predict.locked"))


def _pct(x: float, lang_: str) -> str:
    return f"{i18n.fmt_float(100 * x, lang_, 1)} %"


def _points(x: float, lang_: str) -> str:
    return i18n.fmt_float(100 * x, lang_, 1)


def _ratio(x: float, lang_: str) -> str:
    return i18n.fmt_float(x, lang_, 2)


def _mse(x: float, lang_: str) -> str:
    return i18n.fmt_float(x, lang_, 4)


# How each prediction's numbers read in its sentence (core gives plain numbers).
FORMATS = {
    "degradation": {"plain": _pct, "residual": _pct},
    "lab_pair": {"plain": _pct, "residual": _pct},
    "gradients": {"plain": i18n.fmt_sci, "residual": i18n.fmt_sci},
    "long_skips": {"with": _mse, "without": _mse, "ratio": _ratio},
    "lesion": {"plain": _points, "residual": _points, "plain_intact": _pct, "residual_intact": _pct},
}


def why(pid: str, verdict: Verdict, lang_: str) -> str:
    """The one or two sentences that say why the run supports ``verdict.answer``, its numbers filled
    in (a depth as a whole number)."""
    fmt = FORMATS[pid]
    values = {k: fmt[k](v, lang_) if k in fmt else i18n.fmt_int(int(v), lang_) for k, v in verdict.numbers.items()}
    return i18n.text(lang_, f"predict.{pid}.why_{verdict.answer}", **values)


def verdict_text(pid: str, verdict: Verdict, mine: str | None, lang_: str) -> tuple[str, str]:
    """(kind, text) of the alert after a run: "success" when the guess matches, "warning" when it
    does not, "info" without a guess."""
    def say(key: str, **kw) -> str:
        return i18n.text(lang_, key, **kw)

    text = say("predict.supports", answer=say(f"predict.{pid}.a_{verdict.answer}"), why=why(pid, verdict, lang_))
    if mine is None:
        return "info", f"{text}\n\n{say('predict.no_guess')}"
    if mine == verdict.answer:
        return "success", f"{text}\n\n{say('predict.match')}"
    return "warning", f"{text}\n\n{say('predict.differ', guess=say(f'predict.{pid}.a_{mine}'))}"


def reveal(pid: str, verdict: Verdict | None) -> None:
    """After the run: the answer it supports and why, and how the session's guess compares. Nothing
    while the runs cannot answer (``verdict`` None: still training, stopped, failed)."""
    if verdict is None:
        return
    kind, text = verdict_text(pid, verdict, guess(pid), lang())
    icon = {"success": ":material/check_circle:", "warning": ":material/psychology_alt:", "info": ":material/psychology_alt:"}
    getattr(st, kind)(text, icon=icon[kind])
