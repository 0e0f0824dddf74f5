"""Translations: UI string catalogs, lesson prose by section, and number formatting per language.

Pure functions of the language; nothing here imports streamlit, so tests can check the catalogs
without a browser. Pages get the current language from ``ui.text.lang()``.
"""

from __future__ import annotations

import math
import re
import tomllib
from functools import lru_cache
from pathlib import Path

ASSETS = Path(__file__).resolve().parent.parent / "assets"
LANGS = ("vi", "en")  # Vietnamese first: the default
LANG_NAMES = {"vi": "Tiếng Việt", "en": "English"}

_SECTION = re.compile(r"^<!--\s*section:\s*([a-z0-9_]+)\s*-->\s*$", re.M)
_PLACEHOLDER = re.compile(r"\{\{\s*([a-z0-9_]+)\s*\}\}")


def _flatten(d: dict, prefix: str = "") -> dict[str, object]:
    out: dict[str, object] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(_flatten(v, key + "."))
        else:
            out[key] = v
    return out


@lru_cache(maxsize=None)
def catalog(lang: str) -> dict[str, object]:
    """All UI strings of a language, keyed by dotted path ("anatomy.block_label")."""
    with open(ASSETS / "i18n" / f"{lang}.toml", "rb") as f:
        return _flatten(tomllib.load(f))


def text(lang: str, key: str, **params) -> str:
    """The string ``key`` in ``lang``, with ``{name}`` fields filled from ``params``."""
    s = catalog(lang)[key]
    return s.format(**params) if params else s


@lru_cache(maxsize=None)
def sections(lang: str, lesson: str) -> dict[str, str]:
    """A lesson's Markdown split at ``<!-- section: id -->`` markers, in file order."""
    src = (ASSETS / "lessons" / lang / f"{lesson}.md").read_text(encoding="utf-8")
    parts = _SECTION.split(src)
    # parts = [preamble, id1, body1, id2, body2, …]; the preamble (comments only) is dropped.
    return {parts[i]: parts[i + 1].strip() for i in range(1, len(parts), 2)}


def fill(md: str, values: dict[str, object]) -> str:
    """Replace ``{{name}}`` placeholders (safe next to LaTeX braces) with computed values."""
    return _PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), md)


def placeholders(md: str) -> set[str]:
    return set(_PLACEHOLDER.findall(md))


def fmt_int(n: int, lang: str) -> str:
    """11,689,512 in English; 11.689.512 in Vietnamese."""
    s = f"{int(n):,}"
    return s.replace(",", ".") if lang == "vi" else s


def fmt_float(x: float, lang: str, digits: int = 2) -> str:
    """1,234.57 in English; 1.234,57 in Vietnamese."""
    s = f"{x:,.{digits}f}"
    if lang == "vi":
        s = s.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return s


def fmt_big(n: float, lang: str) -> str:
    """Large counts in short form: 4.09 G, 25.56 M, 70.4 K (decimal comma in Vietnamese)."""
    for scale, unit in ((1e9, "G"), (1e6, "M"), (1e3, "K")):
        if abs(n) >= scale:
            return f"{fmt_float(n / scale, lang, 2)} {unit}"
    return fmt_int(n, lang)


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def fmt_sci(x: float, lang: str, digits: int = 1) -> str:
    """Small differences in scientific form: 2.9 × 10⁻⁷ in English, 2,9 × 10⁻⁷ in Vietnamese."""
    if x == 0 or x != x or abs(x) == float("inf"):
        return fmt_float(x, lang, 0) if x == 0 else str(x)
    if 0.01 <= abs(x) < 1000:  # an ordinary number reads better without a power of ten
        return fmt_float(x, lang, max(0, digits - int(math.floor(math.log10(abs(x))))))
    mantissa, exponent = f"{x:.{digits}e}".split("e")
    return f"{fmt_float(float(mantissa), lang, digits)} × 10{str(int(exponent)).translate(_SUPERSCRIPT)}"


def shape_str(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(d) for d in shape) + ")"


def plotly_separators(lang: str) -> str:
    """Plotly's ``layout.separators``: decimal mark then thousands mark."""
    return ",." if lang == "vi" else ".,"


_TEX = {"\\times": "×", "\\cdot": "·", "\\sigma": "σ", "\\mu": "μ", "\\gamma": "γ", "\\beta": "β",
        "\\epsilon": "ε", "\\varepsilon": "ε", "\\partial": "∂", "\\phi": "φ", "\\alpha": "α", "\\hat": ""}


def summary(md: str, limit: int = 90) -> str:
    """A section's first paragraph as plain text, for the label of its folded form in presenter view:
    headings, emphasis, links and math marks removed, cut at a word near ``limit``."""
    lines = []
    for line in md.splitlines():
        line = line.strip()
        if not line:
            if lines:
                break
            continue
        if line.startswith(("$$", "|", "<", "```")):
            if lines:
                break
            continue
        lines.append(line)
    text = re.sub(r"^[#>\s]+|^[-*]\s+|^\d+\.\s+", "", " ".join(lines))
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    for tex, plain in _TEX.items():
        text = text.replace(tex, plain)
    text = re.sub(r"\\[a-zA-Z]+\s*|[{}]", "", text)
    text = re.sub(r"[*_`$]", "", text).strip()
    if len(text) > limit:
        text = text[:limit].rsplit(" ", 1)[0].rstrip(" ,;:.(") + " …"
    return text


@lru_cache(maxsize=None)
def _plotly_locales() -> dict[str, dict]:
    with open(ASSETS / "i18n" / "plotly.toml", "rb") as f:
        return tomllib.load(f)


def plotly_config(lang: str, filename: str) -> dict:
    """``st.plotly_chart(config=…)``: the toolbar's PNG button with a file name, its tooltips in
    ``lang`` (Plotly's locale mechanism, from assets/i18n/plotly.toml: works offline), no logo."""
    # Zoom, pan, reset and the PNG button stay; zoom-in/out, autoscale and the selection tools go: the
    # row is shorter on a phone, and reset does what autoscale does for these charts.
    config = {"displaylogo": False, "locale": lang,
              "modeBarButtonsToRemove": ["zoomIn2d", "zoomOut2d", "autoScale2d", "lasso2d", "select2d"],
              "toImageButtonOptions": {"format": "png", "filename": filename, "scale": 2}}
    if lang in _plotly_locales():
        config["locales"] = {lang: {"dictionary": dict(_plotly_locales()[lang])}}
    return config
