"""Page setup: the language control, presenter view, navigation, device badge, and the link a page is
restored from and copied as. app.py calls it around every page; every page calls ``require_shell()``
first. The top layer of ui/: it builds on ui.links, which builds on live training, widgets and text."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from core.classroom import current
from core.classroom.polls import PRESENTER_COOKIE
from core.training.device import pick_device

from . import i18n, links
from .path import LESSONS, page_file
from .text import LANG_KEY, PAGE_KEY, PRESENT_KEY, PRESENTER_KEY, lesson_title, presenter_key, presenting, t


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
        PagesManager.uses_pages_directory = False
        st.rerun()
    # The page's controls from a link, before its widgets exist (here, not in app.py: AppTest's
    # switch_page runs the page file alone).
    # The caller's frame only: inspect.stack() reads every frame's source lines, a sixth of a full
    # Lab run under 100 students (py-spy).
    caller = sys._getframe(1).f_globals.get("__file__", "")
    slug = Path(caller).stem if caller else "home"
    st.session_state[PAGE_KEY] = slug
    links.restore(slug, _shell_notices())


def navigation(lang_: str) -> st.navigation:
    """The pages in the learning path's order; titles translated, URL slugs fixed.

    One flat menu, not grouped: Streamlit 1.67's grouped sidebar menu puts each group's ``li`` items
    in a ``div`` under the ``ul`` (not a list a screen reader can announce; axe-core's serious "list"
    and "listitem" on every page). The flat menu is a valid list that marks the current page, and on
    a phone it closes after a tap (a menu of page links would stay open). The lessons are numbered,
    and the home page shows the groups."""
    pages = [st.Page("pages/home.py", title=i18n.text(lang_, "home.title"), icon=":material/home:",
                     url_path="home", default=True)]
    for lesson in sorted(LESSONS, key=lambda l: l.number):
        pages.append(st.Page(page_file(lesson.slug), title=lesson_title(lesson.slug, lang_), icon=lesson.icon,
                             url_path=lesson.slug))
    return st.navigation(pages, expanded=True)


@st.cache_resource
def _device():
    return pick_device()


def device_badge() -> None:
    d = _device()
    label = t(f"device.{d.kind}", name=d.name, threads=d.threads)
    st.sidebar.caption(f"{t('device.label')}: {label}")


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
    st.html(f"<style>{i18n.ASSETS.joinpath('app.css').read_text(encoding='utf-8')}</style>")
    if on:
        st.html(f"<style>{i18n.ASSETS.joinpath('presenter.css').read_text(encoding='utf-8')}</style>")
    return on


def presenter_login() -> bool:
    """Is this session the class's presenter? It is when its presenter cookie (set by the presenter
    link, server/classroom.py) or a ``?presenter=`` value holds the server's key. The query value is
    taken out of the URL at once, so the key never stays in an address bar or a copied link; a wrong
    one is refused without being shown. The presenter's sidebar shows the private link."""
    state, board = st.session_state, current.board()
    raw = st.query_params.get("presenter")
    if raw is not None:
        del st.query_params["presenter"]
        if board.is_presenter(raw):
            state[PRESENTER_KEY] = raw
        else:
            state["_presenter_refused"] = True
    if PRESENTER_KEY not in state:
        held = (st.context.cookies or {}).get(PRESENTER_COOKIE)
        if board.is_presenter(held):
            state[PRESENTER_KEY] = held
    if not presenter_key():
        return False
    board.presenter_seen = time.time()  # students' pages look for a poll more often while a presenter is on
    url = urlsplit(st.context.url or "")
    link = f"{url.scheme}://{url.netloc}/presenter?key={board.key}" if url.netloc else f"/presenter?key={board.key}"
    st.sidebar.caption(f":material/co_present: {t('poll.presenter_badge')}")
    with st.sidebar.popover(t("poll.presenter_link"), icon=":material/key:", width="stretch"):
        st.caption(t("poll.presenter_link_help"))
        st.code(link, language=None, wrap_lines=True)
    return True


def _shell_notices() -> list[str]:
    """``?lang=`` / ``?present=`` values that cannot be used (checked once, on the session's first run)."""
    if st.session_state.get("_shell_checked"):
        return []
    st.session_state["_shell_checked"] = True
    bad = ["presenter=…"] if st.session_state.pop("_presenter_refused", False) else []
    if "lang" in st.query_params and st.query_params.get("lang") not in i18n.LANGS:
        bad.append(f"lang={st.query_params.get('lang')}")
    if "present" in st.query_params and st.query_params.get("present") not in ("0", "1"):
        bad.append(f"present={st.query_params.get('present')}")
        del st.query_params["present"]
    return bad


def link_control() -> None:
    """"Link to this view": the page's URL with its controls (not presenter view), with a copy button."""
    query = links.query_string()
    base = st.context.url or ""
    with st.sidebar.popover(t("link.copy"), icon=":material/link:", width="stretch"):
        st.caption(t("link.copy_help"))
        st.code(f"{base}?{query}" if query else base, language=None, wrap_lines=True)
