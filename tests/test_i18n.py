"""Both languages have the same strings, sections and placeholders; formatting follows the language."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ui import i18n
from ui.path import LESSONS

LESSON_FILES = sorted(p.stem for p in (i18n.ASSETS / "lessons" / "en").glob("*.md"))
FIELD = re.compile(r"\{(\w+)\}")


def test_catalogs_have_the_same_keys_and_types():
    en, vi = i18n.catalog("en"), i18n.catalog("vi")
    assert set(en) == set(vi)
    for key in en:
        assert type(en[key]) is type(vi[key]), key
        if isinstance(en[key], list):
            assert len(en[key]) == len(vi[key]), key


def test_format_fields_match():
    en, vi = i18n.catalog("en"), i18n.catalog("vi")
    for key, value in en.items():
        if isinstance(value, str):
            assert set(FIELD.findall(value)) == set(FIELD.findall(vi[key])), key


def test_quiz_answers_are_the_same_in_both_languages():
    en, vi = i18n.catalog("en"), i18n.catalog("vi")
    answers = [k for k in en if k.endswith(".answer")]
    assert len(answers) >= 2 * len(LESSONS)  # every lesson has a self-check of 2-4 questions
    for k in answers:
        assert en[k] == vi[k] and 0 <= en[k] < len(en[k.replace(".answer", ".options")])


def test_every_lesson_has_title_blurb_quiz_page_and_prose():
    for lesson in LESSONS:
        for lang in i18n.LANGS:
            assert i18n.text(lang, f"{lesson.slug}.title")
            assert i18n.text(lang, f"{lesson.slug}.blurb")
            assert i18n.sections(lang, lesson.slug)
        assert Path(i18n.ASSETS.parent / "pages" / f"{lesson.slug}.py").exists()
        n = sum(1 for k in i18n.catalog("en") if k.startswith(f"{lesson.slug}.quiz.") and k.endswith(".question"))
        assert 2 <= n <= 4


@pytest.mark.parametrize("lesson", LESSON_FILES)
def test_lesson_sections_and_placeholders_match(lesson):
    en, vi = i18n.sections("en", lesson), i18n.sections("vi", lesson)
    assert list(en) == list(vi) and en
    for sec in en:
        assert i18n.placeholders(en[sec]) == i18n.placeholders(vi[sec]), sec
        assert en[sec] != vi[sec], f"section {sec} of {lesson} is not translated"


def test_vietnamese_uses_the_glossary_not_machine_translation():
    # GLOSSARY.md: "weights and biases" is "trọng số và độ chệch", never "trọng lượng và thành kiến".
    vi_text = "\n".join(str(v) for v in i18n.catalog("vi").values())
    vi_text += "\n".join(s for f in LESSON_FILES for s in i18n.sections("vi", f).values())
    for wrong in ("trọng lượng", "thành kiến", "kết nối bỏ qua", "lớp chập"):
        assert wrong not in vi_text.lower()
    for term in ("kết nối tắt", "khối phần dư", "tham số", "phép nhân-cộng", "khối nút cổ chai"):
        assert term in vi_text


def test_number_formatting_follows_the_language():
    assert i18n.fmt_int(11_689_512, "en") == "11,689,512"
    assert i18n.fmt_int(11_689_512, "vi") == "11.689.512"
    assert i18n.fmt_float(4089.18, "en", 1) == "4,089.2"
    assert i18n.fmt_float(4089.18, "vi", 1) == "4.089,2"
    assert i18n.fmt_big(4.089184256e9, "vi") == "4,09 G"
    assert i18n.fmt_big(25_557_032, "en") == "25.56 M"


def test_fill_leaves_latex_braces_alone():
    md = r"$\frac{a}{b}$ has {{n}} parts"
    assert i18n.fill(md, {"n": 2}) == r"$\frac{a}{b}$ has 2 parts"


def test_device_badge_has_a_string_for_every_device_kind():
    for lang in i18n.LANGS:
        assert "2" in i18n.text(lang, "device.cpu", name="CPU", threads=2)
        assert "H100" in i18n.text(lang, "device.cuda", name="NVIDIA H100", threads=2)
        assert "MPS" in i18n.text(lang, "device.mps", name="Apple MPS", threads=2)


def test_every_choice_has_words_outside_math():
    """A radio or select option is named for a screen reader by its text; KaTeX's MathML gives axe-core
    (and some readers) no name, so an option that is only ``$...$`` is an unlabelled control."""
    for lang in i18n.LANGS:
        for key, value in i18n.catalog(lang).items():
            if isinstance(value, list) and all(isinstance(v, str) for v in value):
                for option in value:
                    assert re.sub(r"\$[^$]*\$", "", option).strip(), (lang, key, option)
