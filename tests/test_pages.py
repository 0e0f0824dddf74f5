"""Every page in both languages through AppTest, driven as a user would; no English on a Vietnamese page."""

from __future__ import annotations

import re

import pytest

from core.models.blocks import Bottleneck
from core.models.diagram import SKIP_COLOUR
from tests.apptest import open_page, shown_text
from ui import i18n
from ui.path import LESSONS

PAGES = ["home"] + [l.slug for l in LESSONS]


def title(slug, lang):
    if slug == "home":
        return i18n.text(lang, "home.heading")
    return f"{next(l.number for l in LESSONS if l.slug == slug)}. " + i18n.text(lang, f"{slug}.title")


def phrases(lang: str, other: str) -> list[str]:
    """Sentences of ``lang``'s UI catalog and lesson prose that ``other`` does not share."""
    out = []
    cat, cat_o = i18n.catalog(lang), i18n.catalog(other)
    for key, value in cat.items():
        for s, so in zip(value if isinstance(value, list) else [value], cat_o[key] if isinstance(value, list) else [cat_o[key]]):
            if isinstance(s, str) and s != so:
                out += [f.strip() for f in re.split(r"\{\w+\}", s) if len(f.split()) >= 3]
    for f in (i18n.ASSETS / "lessons" / lang).glob("*.md"):
        for body in i18n.sections(lang, f.stem).values():
            for line in body.splitlines():
                if "\\" in line:  # a formula: the same in both languages
                    continue
                line = re.sub(r"\$[^$]*\$", "", line)  # inline math
                words = re.sub(r"[*`#]|\{\{\w+\}\}", "", line).split()
                if len(words) >= 6:
                    out.append(" ".join(words[:6]))
    return out


@pytest.mark.parametrize("lang", i18n.LANGS)
@pytest.mark.parametrize("slug", PAGES)
def test_page_renders_in_language(slug, lang):
    at = open_page(slug, lang)
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error
    assert at.title[0].value == title(slug, lang)
    text = shown_text(at)
    other = "en" if lang == "vi" else "vi"
    leaked = [p for p in phrases(other, lang) if p in text]
    assert not leaked, f"{other} text on the {lang} page: {leaked[:5]}"


def test_default_language_is_vietnamese_and_written_to_the_url():
    at = open_page("home", lang=None)
    assert at.title[0].value == title("home", "vi")
    assert at.query_params["lang"] == ["vi"] or at.query_params["lang"] == "vi"


def test_language_persists_across_pages():
    at = open_page("anatomy", "en")
    at.switch_page("pages/family.py").run()
    assert at.title[0].value == title("family", "en")
    assert at.session_state["_lang"] == "en"


def test_invalid_lang_param_falls_back_to_vietnamese():
    at = open_page("family", "xx")
    assert at.title[0].value == title("family", "vi")


def test_anatomy_controls_change_the_real_numbers():
    at = open_page("anatomy", "en")
    at.radio(key="an_kind").set_value("bottleneck")
    at.radio(key="an_stride").set_value(2)
    at.number_input(key="an_in").set_value(128).run()
    expected = sum(p.numel() for p in Bottleneck(128, 64, 2).parameters())
    metrics = {m.label: m.value for m in at.metric}
    assert metrics[i18n.text("en", "anatomy.m_params")] == f"{expected:,}"
    assert metrics[i18n.text("en", "anatomy.m_shortcut")] == f"{128 * 256 + 2 * 256:,}"
    assert metrics[i18n.text("en", "anatomy.m_out")] == "256×28×28"
    spec = at.get("graphviz_chart")[0].proto.spec
    assert "downsample_0" in spec and SKIP_COLOUR in spec
    # Skip off: no addition, no skip edge, no shortcut parameters.
    at.toggle(key="an_skip").set_value(False).run()
    spec = at.get("graphviz_chart")[0].proto.spec
    assert SKIP_COLOUR not in spec and '"+"' not in spec
    assert {m.label: m.value for m in at.metric}[i18n.text("en", "anatomy.m_shortcut")] == "0"
    assert "class Bottleneck" in at.code[0].value


def test_family_too_small_input_shows_a_message_not_a_traceback():
    at = open_page("family", "vi")
    at.number_input(key="fa_sz_fashion").set_value(8).run()
    assert not at.exception
    assert at.error and "17×17" in at.error[0].value
    assert at.error[0].value.startswith("ResNet-50 cần đầu vào tối thiểu")  # the menu's name for it


def test_family_numbers_are_formatted_per_language():
    def cells(at):
        return {str(v) for df in at.dataframe for v in df.value.to_numpy().ravel()}

    assert "25.557.032" in cells(open_page("family", "vi"))  # ResNet-50, Vietnamese separators
    assert "25,557,032" in cells(open_page("family", "en"))
    assert "4,089" in cells(open_page("family", "vi"))  # GMACs with a decimal comma


def test_quiz_gives_instant_feedback():
    at = open_page("anatomy", "vi")
    at.radio(key="quiz_anatomy_1").set_value(1).run()
    assert at.success and at.success[0].value.startswith(i18n.text("vi", "quiz.right"))
    at.radio(key="quiz_anatomy_2").set_value(2).run()
    assert at.warning and at.warning[0].value.startswith(i18n.text("vi", "quiz.wrong"))
