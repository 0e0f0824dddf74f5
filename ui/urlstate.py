"""A lesson's controls in the URL: short keys, only values that differ from the defaults.

A page's controls are described once as ``Param``s (see ui/links.py): a short URL key, the widget key,
the default, and how a URL value is read and written. ``apply`` runs in app.py before the page:

* a URL value that did not come from us (a link just opened) is parsed and put into the widget's
  session state, so the widget shows it; an invalid, out-of-range or unknown value is dropped and
  named in a short notice, and the control keeps its default;
* then every control whose value differs from its default is written back into ``st.query_params``
  (and defaults are removed), so the address bar is always a link to what the page shows.

A URL key never read from a link twice: what we wrote last is remembered per session, and only a
value that differs from it counts as "incoming". A missing key is never an instruction (Streamlit
clears the query on a page change; the widget state, not the URL, is the truth then).

The parsers are pure (``parse``/``fmt`` on each Param), so tests check them without a browser.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import streamlit as st

SHELL_KEYS = ("lang", "present", "embed", "embed_options")  # owned by the shell or by Streamlit
_WRITTEN = "_url_written"  # session state: page → {url key: the text we last wrote (None: absent)}
_RUN = "_url_run"  # session state: this run's page, what was restored, the notices shown
_CARRY = "_url_carry"  # session state: notices to show again after ``rerun``


@dataclass(frozen=True)
class Param:
    """One control: URL key ``url`` ↔ widget key ``key`` (``{other_key}`` fields are filled from
    session state, e.g. "fa_sz_{fa_preset}"), its ``default`` (or a function of session state)."""

    url: str
    key: str
    default: Any
    parse: Callable[[str], Any]  # URL text → value; raises ValueError when invalid or out of range
    fmt: Callable[[Any], str] = str  # value → URL text
    depends: tuple[tuple[str, Any], ...] = field(default=())  # (widget key, its default) the key reads
    examples: tuple = field(default=())  # some valid values (tests pick one that is not the default)

    def widget_key(self, state) -> str:
        return self.key.format(**{k: state.get(k, d) for k, d in self.depends}) if self.depends else self.key

    def default_for(self, state) -> Any:
        return self.default(state) if callable(self.default) else self.default


# ---- Parameter kinds ------------------------------------------------------------------------------


def _number_text(x) -> str:
    """1, 0.5, 0.0005, 1e-05: no trailing zeros, a decimal point (URLs are the same in every language)."""
    if isinstance(x, bool):
        return "1" if x else "0"
    if isinstance(x, float) and x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return f"{x:g}" if isinstance(x, float) else str(x)


def choice(url: str, key: str, options: Sequence, default, **kw) -> Param:
    """One of ``options`` (strings, ints or floats); the URL text is the option's own text."""
    options = tuple(options)

    def parse(text: str):
        for o in options:
            if _number_text(o) == text or (not isinstance(o, str) and _close(o, text)):
                return o
        raise ValueError(text)

    return Param(url, key, default, parse, _number_text, examples=options, **kw)


def _close(option, text: str) -> bool:
    try:
        x = float(text)
    except ValueError:
        return False
    return math.isfinite(x) and math.isclose(float(option), x, rel_tol=1e-9, abs_tol=1e-12)


def integer(url: str, key: str, low: int, high: int, default, step: int = 1, check=None, **kw) -> Param:
    """An integer in [low, high] on the grid low + k·step (and passing ``check`` if given)."""

    def parse(text: str) -> int:
        value = int(text, 10)  # "3.0", "1e3", " 3" are refused: links hold what we wrote
        if not low <= value <= high or (value - low) % step or (check and not check(value)):
            raise ValueError(text)
        return value

    return Param(url, key, default, parse, _number_text, examples=(low, low + step, low + 2 * step, high), **kw)


def flag(url: str, key: str, default: bool, **kw) -> Param:
    def parse(text: str) -> bool:
        if text not in ("0", "1"):
            raise ValueError(text)
        return text == "1"

    return Param(url, key, default, parse, lambda v: "1" if v else "0", examples=(False, True), **kw)


def many(url: str, key: str, options: Sequence, default: Sequence, **kw) -> Param:
    """Several of ``options`` in the order picked, "-"-separated: d=8-20-56."""
    one = choice(url, key, options, None)

    def parse(text: str) -> list:
        values = [one.parse(p) for p in text.split("-")] if text else []
        if len(set(values)) != len(values):
            raise ValueError(text)
        return values

    return Param(url, key, list(default), parse, lambda v: "-".join(map(_number_text, v)),
                 examples=(list(options[:2]), list(options[-2:])), **kw)


def text(url: str, key: str, default: str = "", max_len: int = 200, allowed: str = "/._-~", **kw) -> Param:
    """Short free text of letters, digits and ``allowed`` (e.g. a data folder)."""

    def parse(value: str) -> str:
        if len(value) > max_len or not all(c.isalnum() or c in allowed for c in value):
            raise ValueError(value)
        return value

    return Param(url, key, default, parse, str, examples=("data/x",), **kw)


# ---- The session side -----------------------------------------------------------------------------


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


def apply(page: str, params: Sequence[Param], extras: Sequence[str] = ()) -> list[str]:
    """Restore ``page``'s controls from a link, then write them into the URL; returns the
    "key=value" texts that could not be used (invalid, out of range or unknown), already removed.

    Call before the page's widgets exist (app.py, before ``page.run()``). ``extras`` are URL keys
    the page reads and writes itself (``incoming``/``put``), e.g. the Lab's runs.
    """
    state = st.session_state
    written: dict = state.setdefault(_WRITTEN, {}).setdefault(page, {})
    rejected, restored = [], []
    for p in params:
        key = p.widget_key(state)
        values = _get_all(p.url)
        raw = values[-1] if values else None
        if raw is None or raw == written.get(p.url):
            continue
        try:
            if len(values) > 1:
                raise ValueError(raw)
            value = p.parse(raw)
        except (ValueError, TypeError):
            rejected.append(f"{p.url}={raw}")
            written[p.url] = None
            continue
        state[key] = value
        restored.append(p.url)
    known = {p.url for p in params} | set(extras) | set(SHELL_KEYS)
    for name in list(st.query_params.keys()):
        if name not in known:
            rejected += [f"{name}={v}" for v in _get_all(name)] or [name]
            del st.query_params[name]
    for p in params:
        key = p.widget_key(state)
        value = state[key] if key in state else p.default_for(state)
        out = None if _same(value, p.default_for(state)) else p.fmt(value)
        _write(p.url, out)
        written[p.url] = out
    carried = state.pop(_CARRY, {}) if state.get(_CARRY, {}).get("page") == page else {}
    state[_RUN] = {"page": page, "restored": restored, "extras": tuple(extras),
                   "notices": carried.get("notices", []) + rejected, "missing": carried.get("missing", 0)}
    return state[_RUN]["notices"]


def note(items: Sequence[str] = (), missing: int = 0) -> None:
    """Record what this run told the user about its link (see ``rerun``)."""
    run = st.session_state.setdefault(_RUN, {"page": "", "notices": [], "missing": 0})
    run["notices"] = run.get("notices", []) + list(items)
    run["missing"] = run.get("missing", 0) + missing


def missing() -> int:
    """Runs of a link the server no longer had (carried over a ``rerun``)."""
    return st.session_state.get(_RUN, {}).get("missing", 0)


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


def page() -> str:
    """The page ``apply`` ran for in this run ("" before it ran)."""
    return st.session_state.get(_RUN, {}).get("page", "")


def restored() -> list[str]:
    """The URL keys this run took from a link (empty on an ordinary rerun)."""
    return list(st.session_state.get(_RUN, {}).get("restored", ()))


def incoming(name: str) -> list[str] | None:
    """The values of URL key ``name`` when they came from a link (not written by this session),
    else None. Marks them as seen: a page acts on a link once."""
    page = st.session_state.get(_RUN, {}).get("page", "")
    written = st.session_state.setdefault(_WRITTEN, {}).setdefault(page, {})
    values = _get_all(name)
    if not values or values == written.get(name):
        return None
    written[name] = values
    return values


def put(name: str, values: str | Sequence[str] | None) -> None:
    """Write a page's own URL key (``None`` or ``[]``: remove it)."""
    page = st.session_state.get(_RUN, {}).get("page", "")
    written = st.session_state.setdefault(_WRITTEN, {}).setdefault(page, {})
    wanted = [] if values is None else [values] if isinstance(values, str) else list(values)
    _write(name, wanted or None)
    written[name] = wanted


def query_string(drop: Sequence[str] = ("present",)) -> str:
    """The current query as URL text, without ``drop`` (a student's copy of the instructor's link
    should not open in presenter view)."""
    from urllib.parse import urlencode

    pairs = [(k, v) for k in st.query_params.keys() if k not in drop for v in _get_all(k)]
    return urlencode(pairs)
