"""What a page says, in the session's language: UI strings, lesson prose, numbers, error messages.

The lowest Streamlit layer of ui/: it reads the session's language and presenter view (set by
ui.shell, the page setup) and never writes them; every other Streamlit module builds on it.
"""

from __future__ import annotations

import streamlit as st

from core.errors import CoreError

from . import i18n, runs
from .path import LESSONS

LANG_KEY = "_lang"  # session state: the language (ui.shell.language_control sets it)
PRESENT_KEY = "_present"  # session state: presenter view on (ui.shell.presenter_control)
PAGE_KEY = "_page"  # session state: the slug of the page this run draws (ui.shell.require_shell)
PRESENTER_KEY = "_presenter_key"  # session state: the class's presenter key, in the presenter's session only


def lang() -> str:
    return st.session_state.get(LANG_KEY, "vi")


def presenting() -> bool:
    return bool(st.session_state.get(PRESENT_KEY, False))


def presenter_key() -> str | None:
    """The presenter key this session proved it holds (ui.shell.presenter_login), or None: a student."""
    return st.session_state.get(PRESENTER_KEY)


def page() -> str:
    """The slug of the page being drawn ("" before the shell set it)."""
    return st.session_state.get(PAGE_KEY, "")


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


def section(lesson: str, part: str, /, **values) -> str:
    """One section of a lesson's prose as Markdown text, ``{{name}}`` placeholders filled (any
    placeholder name, ``name`` and ``lesson`` included: the first two are positional only)."""
    return i18n.fill(i18n.sections(lang(), lesson)[part], values)


def md(lesson: str, part: str, /, **values) -> None:
    """Render one section of a lesson's prose, with ``{{name}}`` placeholders filled.

    In presenter view the section folds into an expander labelled with its first line, so controls
    and charts come first and the full text is one click away.
    """
    text = section(lesson, part, **values)
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


def error_text(err: CoreError) -> str:
    """A CoreError as a sentence in the session's language: field names translated, numbers in the
    language's format (6.291.464 in Vietnamese, 6,291,464 in English), reason codes spelled out."""
    return t(f"error.{err.code}", **runs.error_params(err.params, lang()))


def show_error(err: CoreError, container=None) -> None:
    """A user-input error as a translated message, never a traceback."""
    (container or st).error(error_text(err), icon=":material/error:")
