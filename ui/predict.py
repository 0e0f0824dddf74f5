"""Predict, then watch: the question a live experiment asks before it runs, the class poll on it,
and, after the run, the answer its own numbers support (core.lessons.predictions) next to the guess.

``ask`` draws the question above a lesson's Train button; ``reveal`` goes where the page draws its
finished runs. Alone, a student's guess is a choice in the box, committed when Train is clicked and
locked while the runs train. In class, the presenter (ui.shell.presenter_login) opens a poll on the
question from the same box: every student's box turns into one-tap answers, the presenter's shows the
live tally, and the presenter's Train click closes the poll and starts the run every voter's page
then joins. The rules (one vote per voter, none in a closed poll, only the presenter opens, closes
or resets) are the board's (core.classroom.polls); this module only draws what a session may do.
"""

from __future__ import annotations

import time
from typing import Callable, Sequence

import streamlit as st

from core.classroom import current
from core.classroom.polls import VOTER_COOKIE, PollView
from core.errors import CoreError
from core.lessons.predictions import PREDICTIONS, Verdict
from core.training.tasks import Task

from . import i18n, training
from .figures.poll import tally_bars
from .text import error_text, lang, presenter_key, t
from .widgets import chart

POLL_SECONDS = 1.0  # the presenter's tally redraws this often while a poll is open
STUDENT_SECONDS = 2.0  # a student's box looks for a poll this often while a presenter is on the server
IDLE_SECONDS = 15.0  # … and this often when no presenter has drawn a page for PRESENTER_GONE seconds
PRESENTER_GONE = 3 * 3600.0
_MADE = "_predict_made_"  # session state: the guess as it was when Train was clicked (or the vote)
_JOINED = "_poll_joined_"  # session state: the poll whose run this session joined


def _key(pid: str) -> str:
    return f"predict_{pid}"


def voter() -> str:
    """Who votes: the browser's voter cookie (server/classroom.py; it survives a reload), or else
    this session (a client without cookies votes once per session)."""
    return (st.context.cookies or {}).get(VOTER_COOKIE) or training.session_id()


def guess(pid: str) -> str | None:
    """The guess the session made before its latest run (committed at the Train click, or its vote
    in the class poll), or, before any run, the answer it has chosen now; None without one."""
    state = st.session_state
    return state[_MADE + pid] if _MADE + pid in state else state.get(_key(pid))


def ask(pid: str, *, key: str, starts: dict[str, Callable[[], Sequence[Task]] | None],
        join: Callable[[str, Sequence[Task]], object] = training.start, locks: bool = True, **params) -> None:
    """The prediction box above a lesson's Train button(s), under the page's live ``key``.

    ``starts``: the keys of the buttons that start runs, each with the tasks it submits (None: a
    button that only locks the guess, like the Lab's single run). In the run a click causes (the
    button's state is already True here, above the button) the guess is committed; a presenter's
    click also closes the open poll and hands its tasks to every voter's page, which ``join`` s them
    (``training.start``, or the Lab's ``add``). ``locks``: the guess is locked while the runs train
    (False where the page computes the run itself, done before it is drawn: lesson 1's toy).
    ``params`` fill the question (e.g. the depth).
    """
    state, board = st.session_state, current.board()
    clicked = next((k for k in starts if state.get(k)), None)
    if clicked:
        state[_MADE + pid] = state.get(_key(pid))
        poll = board.current(pid)
        if presenter_key() and starts[clicked] and poll is not None and not poll.run:
            board.attach_run(presenter_key(), poll.id, list(starts[clicked]()))
            state[_JOINED + pid] = poll.id  # the presenter's own click runs it
    question = t(f"predict.{pid}.question", **params)
    _box(pid, key, join, question, locked=locks and (bool(clicked) or training.busy(key)))


_SETTINGS = "_poll_settings_"  # session state: the presenter's settings a voter's page takes (join_settings)


def join_settings(pid: str) -> Callable[[str, Sequence], None]:
    """``ask``'s ``join`` for an experiment the page computes itself (lesson 1's toy; no job to join):
    the poll's run is the presenter's settings, ``tasks[0]``, which the voter's page takes on its next
    run, before its widgets are drawn (``joined_settings``)."""
    def join(key: str, tasks: Sequence) -> None:
        st.session_state[_SETTINGS + pid] = tasks[0]
    return join


def joined_settings(pid: str):
    """The presenter's settings a class poll's run handed to this page (once), or None."""
    return st.session_state.pop(_SETTINGS + pid, None)


def _every(pid: str) -> float | None:
    """How often this session's box looks at the board: the presenter's while a poll is open, a
    student's always (faster while a presenter is on the server)."""
    board = current.board()
    if presenter_key():
        poll = board.current(pid)
        return POLL_SECONDS if poll is not None and poll.status == "open" else None
    return STUDENT_SECONDS if time.time() - board.presenter_seen < PRESENTER_GONE else IDLE_SECONDS


def _box(pid: str, key: str, join, question: str, locked: bool) -> None:
    every = _every(pid)

    @st.fragment(run_every=every)
    def box():
        board, state = current.board(), st.session_state
        poll = board.current(pid)
        if poll is not None and poll.status == "open" and every == IDLE_SECONDS:
            st.rerun()  # a poll opened while this page looked seldom: the whole page, to look every 2 s
        with st.container(border=True, key=f"predict_box_{pid}"):
            st.markdown(f"**:material/psychology_alt: {t('predict.heading')}.** {question}")
            if presenter_key():
                _presenter_controls(pid, poll)
            if poll is not None and poll.status == "open" and not presenter_key():
                _vote_buttons(pid, poll)
            elif not (presenter_key() and poll is not None):  # the presenter running a poll asks, not guesses
                _choice(pid, locked)
            if poll is not None and (presenter_key() or poll.status == "closed"):
                _tally(pid, poll)
        if (poll is not None and poll.run and state.get(_JOINED + pid) != poll.id
                and board.vote_of(poll.id, voter()) is not None):
            state[_JOINED + pid] = poll.id  # a voter watches the run the presenter started, once
            try:
                join(key, poll.run)
            except CoreError as err:
                state["_poll_error"] = error_text(err)
            st.rerun()  # the whole page: its live section draws the run

    box()


def _choice(pid: str, locked: bool) -> None:
    pred, lang_ = PREDICTIONS[pid], lang()  # bound now: Streamlit may format options outside the script run
    st.radio(t("predict.label"), pred.answers, index=None, key=_key(pid), horizontal=True, disabled=locked,
             format_func=lambda a: i18n.text(lang_, f"predict.{pid}.a_{a}"), help=t("predict.help"),
             label_visibility="collapsed")
    if locked:
        st.caption(t("predict.locked"))


def _on_vote(pid: str, poll_id: int, answer: str, who: str) -> None:
    try:
        current.board().vote(poll_id, who, answer)
        st.session_state[_MADE + pid] = answer
    except CoreError as err:
        st.session_state["_poll_error"] = error_text(err)


def _vote_buttons(pid: str, poll: PollView) -> None:
    """One tap per answer; after the vote, the answer this browser gave (also after a reload)."""
    who = voter()
    mine = current.board().vote_of(poll.id, who)
    if "_poll_error" in st.session_state:
        st.error(st.session_state.pop("_poll_error"), icon=":material/error:")
    if mine is not None:
        st.session_state[_MADE + pid] = mine
        st.success(t("poll.voted", answer=t(f"predict.{pid}.a_{mine}")), icon=":material/how_to_vote:")
        return
    st.caption(t("poll.open_student"))
    cols = st.columns(len(poll.answers))
    for col, answer in zip(cols, poll.answers):
        col.button(t(f"predict.{pid}.a_{answer}"), key=f"vote_{pid}_{poll.id}_{answer}", width="stretch",
                   on_click=_on_vote, args=(pid, poll.id, answer, who), icon=":material/how_to_vote:")


def _presenter_controls(pid: str, poll: PollView | None) -> None:
    """Open, close, reset; the tally as CSV. Every action goes through the board with the key."""
    board, pkey = current.board(), presenter_key()
    c1, c2, c3 = st.columns(3)
    try:
        if poll is None or poll.status == "closed":
            if c1.button(t("poll.open"), key=f"poll_open_{pid}", type="primary", icon=":material/how_to_vote:"):
                board.open(pkey, pid)
                st.rerun()
        elif c1.button(t("poll.close"), key=f"poll_close_{pid}", icon=":material/lock:"):
            board.close(pkey, poll.id)
            st.rerun()
        if poll is not None and c2.button(t("poll.reset"), key=f"poll_reset_{pid}", icon=":material/restart_alt:"):
            board.reset(pkey, poll.id)
            st.session_state.pop(_JOINED + pid, None)
            st.rerun()
    except CoreError as err:
        st.error(error_text(err), icon=":material/error:")
    if poll is not None:
        c3.download_button(t("poll.csv"), lambda: board.tally_csv(poll.id), file_name=f"residual-lab-poll-{pid}-{poll.id}.csv",
                           mime="text/csv", on_click="ignore", key=f"poll_csv_{pid}", icon=":material/download:")
        st.caption(t("poll.open_presenter" if poll.status == "open" else "poll.closed_presenter", votes=poll.total))


def _tally(pid: str, poll: PollView) -> None:
    lang_ = lang()
    labels = [i18n.text(lang_, f"predict.{pid}.a_{a}") for a in poll.answers]
    fig = training.shared(("poll", poll.id, poll.version, lang_), lambda: tally_bars(
        labels, [poll.counts[a] for a in poll.answers], t("poll.tally_title", votes=poll.total), t("poll.votes_axis"),
        lang_))
    chart(st, fig, key=f"poll_tally_{pid}")


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
    "toy": {"threshold": lambda x, lang_: i18n.fmt_float(x, lang_, 3), "plain_min": i18n.fmt_sci, "skip_min": i18n.fmt_sci},
    "degradation": {"plain": _pct, "residual": _pct},
    "lab_pair": {"plain": _pct, "residual": _pct},
    "gradients": {"plain": i18n.fmt_sci, "residual": i18n.fmt_sci},
    "long_skips": {"with": _mse, "without": _mse, "ratio": _ratio},
    "lesion": {"plain": _points, "residual": _points, "plain_intact": _pct, "residual_intact": _pct,
               "plain_after": _pct, "residual_after": _pct},
}


def why(pid: str, verdict: Verdict, lang_: str) -> str:
    """The one or two sentences that say why the run supports ``verdict.answer``, its numbers filled
    in (a depth as a whole number)."""
    fmt = FORMATS[pid]
    values = {k: fmt[k](v, lang_) if k in fmt else i18n.fmt_int(int(v), lang_) for k, v in verdict.numbers.items()}
    case = f"_{verdict.case}" if verdict.case else ""
    return i18n.text(lang_, f"predict.{pid}.why_{verdict.answer}{case}", **values)


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
