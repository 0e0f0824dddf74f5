"""Helpers to drive the app with Streamlit's AppTest, as a user would, and read what it shows."""

from __future__ import annotations

from pathlib import Path

from google.protobuf.json_format import MessageToDict
from streamlit.testing.v1 import AppTest

from ui import i18n

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def open_page(slug: str, lang: str | None = "vi", timeout: float = 60) -> AppTest:
    """A fresh session opened on ``/slug?lang=…`` (lang None: no query parameter)."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    if lang:
        at.query_params["lang"] = lang
    at.run()
    if slug != "home":
        at.switch_page(f"pages/{slug}.py")
        at.run()
    return at


def _strings(obj) -> list[str]:
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, dict):
        return [s for v in obj.values() for s in _strings(v)]
    if isinstance(obj, list):
        return [s for v in obj for s in _strings(v)]
    return []


def _walk(node):
    yield node
    for child in getattr(node, "children", {}).values():
        yield from _walk(child)


def shown_text(at: AppTest) -> str:
    """Every string the page sends to the browser: markdown, labels, help, options, chart specs."""
    parts: list[str] = []
    for node in _walk(at._tree):
        proto = getattr(node, "proto", None)
        if proto is not None and hasattr(proto, "DESCRIPTOR"):
            parts += _strings(MessageToDict(proto))
    return "\n".join(parts)


def live_snapshots(at: AppTest, key: str) -> list:
    """The snapshots of the session's runs under ``key`` (ui.training's session state), as the page sees them."""
    state = at.session_state[f"_live_{key}"] if f"_live_{key}" in at.session_state else {"jobs": [], "frozen": {}}
    return [state["frozen"].get(j.id) or j.snapshot() for j in state["jobs"]]


def prediction_box(at: AppTest, lang: str) -> tuple[str, str] | None:
    """The shown "the run supports …" alert of ui.predict.reveal: (its kind, its text), or None."""
    head = i18n.text(lang, "predict.supports", answer="", why="").split(":")[0]
    for kind in ("success", "warning", "info"):
        for el in at.get(kind):
            if el.proto.body.startswith(head):
                return kind, el.proto.body
    return None


def chart_words(at: AppTest) -> dict[str, str]:
    """Each chart's text alternative (ui.widgets.chart) as a screen reader hears it, by chart key."""
    import html
    import re

    found = {}
    for el in at.get("html"):
        m = re.fullmatch(r'<p class="chart-words" data-chart="([^"]*)">(.*)</p>', el.proto.body, re.S)
        if m:
            found[html.unescape(m.group(1))] = html.unescape(m.group(2))
    return found
