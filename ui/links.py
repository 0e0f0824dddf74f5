"""Links that restore a lesson: its controls in the URL under short keys (only values that differ from
the defaults), and lesson 2's and the Lab's runs in a link (they attach to the server's live or cached
jobs, never start new ones).

What a control may hold, its key and its default come from its declaration (ui.controls). ``restore``
runs before the page's widgets exist:

* a URL value that did not come from us (a link just opened) is parsed and put into the widget's
  session state, so the widget shows it; an invalid, out-of-range or unknown value is dropped and
  named in a short notice, and the control keeps its default;
* then every control whose value differs from its default is written back into ``st.query_params``
  (and defaults are removed), so the address bar is always a link to what the page shows.

A URL key is never read from a link twice: what we wrote last is remembered per session, and only a
value that differs from it counts as "incoming". A missing key is never an instruction (Streamlit
clears the query on a page change; the widget state, not the URL, is the truth then).
"""

from __future__ import annotations

import math
from typing import Sequence
from urllib.parse import urlencode

import streamlit as st

from core.training.tasks import Task

from . import training
from .controls import lab_run, lab_run_text, panel
from .text import t

SHELL_KEYS = ("lang", "present", "embed", "embed_options")  # owned by the shell or by Streamlit
_WRITTEN = "_url_written"  # session state: page → {url key: the text we last wrote (None: absent)}
_RUN = "_url_run"  # session state: this run's page, what was restored, the notices shown
_CARRY = "_url_carry"  # session state: notices to show again after ``rerun``


def _get_all(name: str) -> list[str]:
    return list(st.query_params.get_all(name))


def _same(a, b) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        try:
            return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
        except (TypeError, ValueError):
            return False
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        return list(a or ()) == list(b or ())
    return a == b


def restore(slug: str, notices: Sequence[str] = ()) -> None:
    """Restore the page's controls from a link, then write them into the URL, and show one short
    notice naming what could not be used (``notices``: the shell's own, e.g. ``lang=xx``)."""
    state = st.session_state
    controls = panel(slug)
    written: dict = state.setdefault(_WRITTEN, {}).setdefault(slug, {})
    rejected, restored = [], []
    for c in controls.controls:
        key = c.widget_key(state)
        values = _get_all(c.url)
        raw = values[-1] if values else None
        if raw is None or raw == written.get(c.url):
            continue
        try:
            if len(values) > 1:
                raise ValueError(raw)
            value = c.parse(raw)
        except (ValueError, TypeError):
            rejected.append(f"{c.url}={raw}")
            written[c.url] = None
            continue
        state[key] = value
        restored.append(c.url)
    known = {c.url for c in controls.controls} | set(controls.extras) | set(SHELL_KEYS)
    for name in list(st.query_params.keys()):
        if name not in known:
            rejected += [f"{name}={v}" for v in _get_all(name)] or [name]
            del st.query_params[name]
    for c in controls.controls:
        key = c.widget_key(state)
        value = state[key] if key in state else c.default_for(state)
        out = None if _same(value, c.default_for(state)) else c.fmt(value)
        _write(c.url, out)
        written[c.url] = out
    carried = state.pop(_CARRY, {}) if state.get(_CARRY, {}).get("page") == slug else {}
    state[_RUN] = {"page": slug, "restored": restored,
                   "notices": list(notices) + carried.get("notices", []) + rejected,
                   "missing": carried.get("missing", 0)}
    _show(state[_RUN]["notices"], state[_RUN]["missing"])


def _show(items: Sequence[str], missing: int = 0) -> None:
    if items:
        st.warning(t("link.invalid", items=", ".join(f"`{i}`" for i in items)), icon=":material/link_off:")
    if missing:
        st.info(t("link.runs_missing", n=missing), icon=":material/history:")


def notice(items: Sequence[str] = (), missing: int = 0) -> None:
    """A page's own notice about its link (a run that is not valid, runs no longer on the server),
    shown now and remembered, so a ``rerun`` shows it again."""
    run = st.session_state.setdefault(_RUN, {"page": "", "notices": [], "missing": 0})
    run["notices"] = run.get("notices", []) + list(items)
    run["missing"] = run.get("missing", 0) + missing
    _show(items, missing)


def rerun() -> None:
    """Rerun the page (e.g. after attaching a link's runs, so buttons that depend on them show),
    keeping this run's link notices for the next run to show."""
    run = st.session_state.get(_RUN, {})
    st.session_state[_CARRY] = {"page": run.get("page", ""), "notices": run.get("notices", []),
                                "missing": run.get("missing", 0)}
    st.rerun()


def _write(name: str, value: str | list[str] | None) -> None:
    current = _get_all(name)
    wanted = [] if value is None else [value] if isinstance(value, str) else list(value)
    if current == wanted:
        return
    if not wanted:
        del st.query_params[name]
    else:
        st.query_params[name] = wanted if len(wanted) > 1 else wanted[0]


def restored() -> list[str]:
    """The URL keys this run took from a link (empty on an ordinary rerun)."""
    return list(st.session_state.get(_RUN, {}).get("restored", ()))


def _written() -> dict:
    page = st.session_state.get(_RUN, {}).get("page", "")
    return st.session_state.setdefault(_WRITTEN, {}).setdefault(page, {})


def incoming(name: str) -> list[str] | None:
    """The values of URL key ``name`` when they came from a link (not written by this session),
    else None. Marks them as seen: a page acts on a link once."""
    written, values = _written(), _get_all(name)
    if not values or values == written.get(name):
        return None
    written[name] = values
    return values


def put(name: str, values: str | Sequence[str] | None) -> None:
    """Write a page's own URL key (``None`` or ``[]``: remove it)."""
    wanted = [] if values is None else [values] if isinstance(values, str) else list(values)
    _write(name, wanted or None)
    _written()[name] = wanted


def query_string(drop: Sequence[str] = ("present",)) -> str:
    """The current query as URL text, without ``drop`` (a student's copy of the instructor's link
    should not open in presenter view)."""
    return urlencode([(k, v) for k in st.query_params.keys() if k not in drop for v in _get_all(k)])


# ---- Runs in a link ------------------------------------------------------------------------------------

LIVE_OR_CACHED = ("queued", "running", "done", "diverged")


def available(tasks: Sequence[Task]) -> list[bool]:
    """For each task: does the server have its job queued, running or cached (so attaching to it
    costs no new computation)?"""
    status = {j.task: j.snapshot().status for j in training.registry().jobs()}
    return [status.get(task) in LIVE_OR_CACHED for task in tasks]


def lesson_runs(key: str, tasks: Sequence[Task]) -> None:
    """Lesson 2: ``run=1`` in the URL while the session shows exactly the runs of its controls.
    Opening such a link attaches to those runs when the server has every one of them, live or cached
    (``training.add``: the same job, no new computation); otherwise Train starts them as usual."""
    tasks = list(tasks)
    wanted = incoming("run")
    if wanted is not None and not training.jobs(key):
        if wanted != ["1"]:
            notice([f"run={v}" for v in wanted])
        elif all(available(tasks)):
            for task in tasks:
                training.add(key, task)
            rerun()  # so the page's Stop and CSV buttons, drawn above, show the runs
        else:
            notice([], missing=len(tasks) - sum(available(tasks)))
    put("run", "1" if [j.task for j in training.jobs(key)] == tasks else None)


def lab_runs(key: str, limit: int) -> None:
    """The Lab: every run of the session in the URL (``run=n.1~…&run=n.2~…``). Opening a link adds
    the runs the server still has, live or cached, under their numbers (``training.add``: the same
    jobs); it never starts one."""
    wanted = incoming("run")
    if wanted is not None and not training.jobs(key):
        bad, runs = [], []
        for value in wanted[:limit]:
            try:
                runs.append(lab_run(value))
            except ValueError:
                bad.append(f"run={value}")
        here = available([cfg for _, cfg in runs])
        notice(bad + [f"run={v}" for v in wanted[limit:]], missing=len(runs) - sum(here))
        for (number, cfg), ok in zip(runs, here):
            if ok and cfg not in [j.task for j in training.jobs(key)]:
                training.add(key, cfg, number)
        if any(here):
            rerun()  # so the page's Stop and CSV buttons, drawn above, show the runs
    put("run", [lab_run_text(training.number(key, j), j.task) for j in training.jobs(key)])
