"""The app shell: language control, navigation, device badge, and helpers every page uses."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import streamlit as st

from core.errors import CoreError, NotWhole, OutOfRange
from core.lessons.cells import parse_table
from core.training.device import pick_device

from . import i18n, runs
from .path import GROUPS, LESSONS, page_file

LANG_KEY = "_lang"


def _initial_lang() -> str:
    """``?lang=`` first, then the browser's language, then Vietnamese."""
    q = st.query_params.get("lang")
    if q in i18n.LANGS:
        return q
    locale = (st.context.locale or "").lower()
    for lang in i18n.LANGS:
        if locale.startswith(lang):
            return lang
    return "vi"


def _on_language_switch() -> None:
    """Runs before the rerun the click causes, so that whole run is already in the new language."""
    choice = st.session_state.get("lang_switch")
    if choice in i18n.LANGS:
        st.session_state[LANG_KEY] = choice


def language_control() -> str:
    """The one language switch, in the sidebar; kept in session state and mirrored into the URL."""
    # The language lives under its own key, not the widget's: widget state is dropped whenever a
    # run does not report it, and the language must survive every page change.
    if LANG_KEY not in st.session_state:
        st.session_state[LANG_KEY] = _initial_lang()
    st.sidebar.segmented_control(
        "🌐 Ngôn ngữ · Language",
        options=i18n.LANGS,
        default=st.session_state[LANG_KEY],
        format_func=i18n.LANG_NAMES.__getitem__,
        key="lang_switch",
        on_change=_on_language_switch,
        required=True,  # clicking the selected language must not deselect it
        label_visibility="collapsed",
    )
    lang = st.session_state[LANG_KEY]
    # Query params are dropped on page change: write ?lang= back on every run, so links keep it.
    if st.query_params.get("lang") != lang:
        st.query_params["lang"] = lang
    return lang


def require_shell() -> None:
    """Make sure the page runs inside app.py's navigation; every page calls this first.

    Streamlit 1.67 decides per server whether an app is a legacy ``pages/`` app: until some run has
    called ``st.navigation``, a deep link (``/anatomy``) as the very first request runs the page
    file alone, without app.py (no language control, legacy menu). We then switch the server to
    ``st.navigation`` mode and rerun, which runs app.py with the requested page.
    """
    if LANG_KEY not in st.session_state:
        from streamlit.runtime.pages_manager import PagesManager

        PagesManager.uses_pages_directory = False
        st.rerun()
    # The page's controls from a link, before its widgets exist (here, not in app.py: AppTest's
    # switch_page runs the page file alone).
    import inspect
    from pathlib import Path

    caller = inspect.stack()[1].frame.f_globals.get("__file__", "")
    restore_links(Path(caller).stem if caller else "home")


def lang() -> str:
    return st.session_state.get(LANG_KEY, "vi")


def t(key: str, **params) -> str:
    """The UI string ``key`` in the session's language."""
    return i18n.text(lang(), key, **params)


def labeler(prefix: str):
    """A ``format_func`` for options: ``option`` → the string ``prefix + option``.

    The language is bound now, not when the function is called: Streamlit (and AppTest) may call
    format functions outside the script run, where session state is not available.
    """
    lang_ = lang()
    return lambda option: i18n.text(lang_, f"{prefix}{option}")


def lesson_title(slug: str, lang_: str | None = None) -> str:
    number = next(l.number for l in LESSONS if l.slug == slug)
    return f"{number}. " + i18n.text(lang_ or lang(), f"{slug}.title")


def navigation(lang_: str) -> st.navigation:
    """Pages grouped as the learning path; titles translated, URL slugs fixed."""
    groups: dict[str, list] = {g: [] for g in GROUPS}
    groups["start"].append(
        st.Page("pages/home.py", title=i18n.text(lang_, "home.title"), icon=":material/home:",
                url_path="home", default=True)
    )
    for lesson in sorted(LESSONS, key=lambda l: l.number):
        groups[lesson.group].append(
            st.Page(page_file(lesson.slug), title=lesson_title(lesson.slug, lang_), icon=lesson.icon,
                    url_path=lesson.slug)
        )
    return st.navigation({i18n.text(lang_, f"group.{g}"): p for g, p in groups.items() if p})


@st.cache_resource
def _device():
    return pick_device()


def device_badge() -> None:
    d = _device()
    label = t(f"device.{d.kind}", name=d.name, threads=d.threads)
    st.sidebar.caption(f"{t('device.label')}: {label}")


def error_text(err: CoreError) -> str:
    """A CoreError as a sentence in the session's language: field names translated, numbers in the
    language's format (6.291.464 in Vietnamese, 6,291,464 in English), reason codes spelled out."""
    return t(f"error.{err.code}", **runs.error_params(err.params, lang()))


def show_error(err: CoreError) -> None:
    """A user-input error as a translated message, never a traceback."""
    st.error(error_text(err), icon=":material/error:")


def md(lesson: str, section: str, **values) -> None:
    """Render one section of a lesson's prose, with ``{{name}}`` placeholders filled.

    In presenter view the section folds into an expander labelled with its first line, so controls
    and charts come first and the full text is one click away.
    """
    text = i18n.fill(i18n.sections(lang(), lesson)[section], values)
    if presenting():
        with st.expander(i18n.summary(text) or t("present.more"), icon=":material/menu_book:"):
            st.markdown(text)
    else:
        st.markdown(text)


def num(n: int) -> str:
    return i18n.fmt_int(n, lang())


def dec(x: float, digits: int = 2) -> str:
    return i18n.fmt_float(x, lang(), digits)


def big(n: float) -> str:
    return i18n.fmt_big(n, lang())


def sci(x: float, digits: int = 1) -> str:
    return i18n.fmt_sci(x, lang(), digits)


def decimal_slider(container, label: str, low: float, high: float, step: float, value: float, key: str,
                   digits: int = 1, **kwargs) -> float:
    """A slider over ``low, low + step, …, high`` whose labels carry the language's decimal mark.

    ``st.slider`` formats with printf (always a decimal point); a select slider with our own labels
    shows 0,5 in Vietnamese.
    """
    options = [round(low + i * step, 10) for i in range(round((high - low) / step) + 1)]
    labels = {o: i18n.fmt_float(o, lang(), digits) for o in options}
    start = min(options, key=lambda o: abs(o - value))
    return container.select_slider(label, options, value=start, key=key, format_func=labels.__getitem__, **kwargs)


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


NUMBER_BOUNDS: dict[str, tuple[int, int, str]] = {}  # widget key → (low, high, name in messages), for the tests


def whole_number(container, label: str, low: int, high: int, value: int, key: str, *, name: str | None = None,
                 step: int = 1, **kwargs) -> int | None:
    """A number box for a whole number in [low, high] that never silently ignores what was typed.

    Streamlit checks ``min_value``/``max_value`` in the browser: a value out of range is refused
    there with an English tooltip while the box keeps the typed text and the script keeps running
    the old value, and an integer box reads "1e9" as 1. So the box is a float box without bounds
    (shown with ``%g``): every number typed reaches the script, which checks it here. A whole
    number in range comes back as an int; anything else shows a translated message under the box
    (naming ``name``, or the label) and comes back as None: the page then runs nothing with it
    (disables its Train button, or stops before the part that needs the number).
    """
    name = name or label
    NUMBER_BOUNDS[key] = (low, high, name)
    typed = container.number_input(label, value=float(value), step=float(step), format="%g", key=key, **kwargs)
    if typed is None:
        problem: CoreError | None = NotWhole(name, "–")
    elif not math.isfinite(typed) or typed != math.floor(typed):
        problem = NotWhole(name, float(typed))
    elif not low <= typed <= high:
        problem = OutOfRange(name, int(typed) if abs(typed) < 1e15 else float(typed), low, high)
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


# ---- Classroom: presenter view, links that restore a lesson, charts that save as PNG ----------------

PRESENT_KEY = "_present"


def presenting() -> bool:
    return bool(st.session_state.get(PRESENT_KEY, False))


def _on_present_switch() -> None:
    st.session_state[PRESENT_KEY] = bool(st.session_state.get("present_switch"))


def presenter_control() -> bool:
    """The presenter-view switch in the sidebar, seeded from ``?present=1`` and kept in the URL on
    every page like the language. On: large type (one stylesheet), the sidebar collapsed, prose folded."""
    if PRESENT_KEY not in st.session_state:
        st.session_state[PRESENT_KEY] = st.query_params.get("present") == "1"
    st.sidebar.toggle(t("present.toggle"), value=presenting(), key="present_switch", on_change=_on_present_switch,
                      help=t("present.help"))
    on = presenting()
    if on and st.query_params.get("present") != "1":
        st.query_params["present"] = "1"
    elif not on and "present" in st.query_params:
        del st.query_params["present"]
    st.set_page_config(initial_sidebar_state="collapsed" if on else "auto")
    if on:
        st.html(f"<style>{i18n.ASSETS.joinpath('presenter.css').read_text(encoding='utf-8')}</style>")
    return on


def _shell_notices() -> list[str]:
    """``?lang=`` / ``?present=`` values that cannot be used (checked once, on the session's first run)."""
    if st.session_state.get("_shell_checked"):
        return []
    st.session_state["_shell_checked"] = True
    bad = []
    if "lang" in st.query_params and st.query_params.get("lang") not in i18n.LANGS:
        bad.append(f"lang={st.query_params.get('lang')}")
    if "present" in st.query_params and st.query_params.get("present") not in ("0", "1"):
        bad.append(f"present={st.query_params.get('present')}")
        del st.query_params["present"]
    return bad


def restore_links(slug: str) -> None:
    """Before the page runs: its controls from a link (ui/links.py), then back into the URL; a short
    notice names what a link held that could not be used (the defaults are shown instead)."""
    from . import links, urlstate

    shell_bad = _shell_notices()
    bad = urlstate.apply(slug, links.PARAMS.get(slug, ()), links.EXTRAS.get(slug, ()))
    urlstate.note(shell_bad)
    _show_notices(shell_bad + bad, urlstate.missing())


def _show_notices(items: list[str], missing: int = 0) -> None:
    if items:
        st.warning(t("link.invalid", items=", ".join(f"`{i}`" for i in items)), icon=":material/link_off:")
    if missing:
        st.info(t("link.runs_missing", n=missing), icon=":material/history:")


def link_notice(items: list[str], missing: int = 0) -> None:
    """A page's own notice about its link (e.g. a run that is not valid, runs no longer on the server)."""
    from . import urlstate

    urlstate.note(items, missing)
    _show_notices(items, missing)


def link_control() -> None:
    """"Link to this view": the page's URL with its controls (not presenter view), with a copy button."""
    from . import urlstate

    query = urlstate.query_string()
    base = st.context.url or ""
    with st.sidebar.popover(t("link.copy"), icon=":material/link:", width="stretch"):
        st.caption(t("link.copy_help"))
        st.code(f"{base}?{query}" if query else base, language=None, wrap_lines=True)


def chart(container, fig, key: str, **kwargs) -> None:
    """``container.plotly_chart`` with the toolbar's PNG button named and translated, and larger
    type in presenter view."""
    from .figures import for_projector
    from . import urlstate

    config = i18n.plotly_config(lang(), f"residual-lab-{urlstate.page() or 'chart'}-{key}".replace("_", "-"))
    kwargs.setdefault("width", "stretch")
    container.plotly_chart(for_projector(fig) if presenting() else fig, key=key, config=config, **kwargs)
