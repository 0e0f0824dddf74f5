"""The over-seed line under lessons 2, 7 and 8's live results, read from assets/claims.json.

``python -m core claims`` (core.lessons.claims) trains each claim's default config over seeds and
stores what held; this module only reads that file and words it. ``line(name)`` shows one claim's
line, ``gate_seeds()`` lesson 7's gate_seeds section with its numbers filled from the file. The
``*_text``/``*_values`` functions are pure (language and stored document in, strings out) for tests.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import streamlit as st

from core.lessons.claims import CLAIMS, GATE_BIASES, PATH
from core.lessons.kinds import GATE_DEPTH, GATE_LR, gate_start
from ui import i18n
from ui.text import lang, md

FAIL = 0.20  # He et al. 2016's Table 1 marks "fail" above 20 % error (assets/reference.toml)


@lru_cache(maxsize=2)
def _read(path: str, mtime: float) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def stored(path: Path = PATH) -> dict:
    """The stored claims ({name: entry}), re-read when the file changes; {} when there is none."""
    try:
        return _read(str(path), path.stat().st_mtime).get("claims", {})
    except FileNotFoundError:
        return {}


def count_key(k: int, n: int) -> str:
    """Which wording a count takes: "all", "some" or "none"."""
    return "all" if k == n else "none" if k == 0 else "some"


def seeds_text(seeds: list[int]) -> str:
    """[0, …, 9] → "0–9"; other lists comma-separated."""
    if len(seeds) > 1 and seeds == list(range(seeds[0], seeds[-1] + 1)):
        return f"{seeds[0]}–{seeds[-1]}"
    return ", ".join(str(s) for s in seeds)


def count_text(lang: str, k: int, n: int) -> str:
    return i18n.text(lang, f"claims.count_{count_key(k, n)}", k=k, n=n)


def line_text(lang: str, name: str, claims: dict) -> str:
    """One claim's line: on how many of which seeds it held with the page's defaults, and the command."""
    entry = claims.get(name)
    if entry is None:
        return i18n.text(lang, "claims.missing", command=f"python -m core claims --claim {name}")
    return i18n.text(lang, f"claims.line_{count_key(entry['held'], entry['n'])}", claim=i18n.text(lang, f"claims.{name}"),
                     k=entry["held"], n=entry["n"], seeds=seeds_text(entry["seeds"]), command=entry["command"])


def _span(lang: str, values: list[float]) -> str:
    """Lowest–highest of fractions, as percentages with one decimal in the page's language."""
    lo, hi = (i18n.fmt_float(100 * v, lang, 1) for v in (min(values), max(values)))
    return lo if lo == hi else f"{lo}–{hi}"


def gate_values(lang: str, entry: dict) -> dict[str, str]:
    """The placeholders of kinds.md's gate_seeds section, from the stored "gates" claim."""
    rows = [r["numbers"] for r in entry["per_seed"]]
    n = len(rows)
    tags = [f"b{b:g}" for b in GATE_BIASES]  # default b_T, 0, −6 (core.lessons.claims.GATE_BIASES)
    d, z, s = tags
    col = lambda tag, key: [r[f"{tag}_{key}"] for r in rows]  # noqa: E731
    best = lambda tag: sum(r["verdicts"][f"{tag}_identity_best"] for r in entry["per_seed"])  # noqa: E731
    order = sum(r[f"{d}_identity_error"] < r[f"{d}_gated_error"] < r[f"{d}_scaled_error"] for r in rows)
    fails = lambda tag: sum(e > FAIL for e in col(tag, "gated_error"))  # noqa: E731
    alpha_span = lambda values: "–".join(dict.fromkeys(i18n.fmt_float(v, lang, 3) for v in (min(values), max(values))))  # noqa: E731
    all_best = sum(best(tag) for tag in tags)
    agree_key = "gate_agree" if all_best == n * len(tags) else "gate_agree_not"
    agree = i18n.fill(i18n.sections(lang, "kinds")[agree_key], {"k": all_best, "runs": n * len(tags)})
    return {
        "seeds": seeds_text(entry["seeds"]), "command": entry["command"], "depth": GATE_DEPTH,
        "b_default": f"{GATE_BIASES[0]:g}", "b_zero": f"{GATE_BIASES[1]:g}", "b_paper": f"{GATE_BIASES[2]:g}",
        "d_identity": _span(lang, col(d, "identity_error")), "d_gated": _span(lang, col(d, "gated_error")),
        "d_scaled": _span(lang, col(d, "scaled_error")), "d_best": count_text(lang, best(d), n),
        "d_order": count_text(lang, order, n),
        "z_identity": _span(lang, col(z, "identity_error")), "z_gated": _span(lang, col(z, "gated_error")),
        "z_best": count_text(lang, best(z), n), "z_fail": count_text(lang, fails(z), n),
        "s_gated": _span(lang, col(s, "gated_error")), "s_fail": count_text(lang, fails(s), n),
        "s_best": count_text(lang, best(s), n),
        "s_alpha": i18n.fmt_float(gate_start(GATE_BIASES[2]), lang, 4), "s_alpha_end": alpha_span(col(s, "gated_alpha_end")),
        "scaled_alpha_end": alpha_span(col(d, "scaled_abs_alpha_end")), "lr": i18n.fmt_sci(GATE_LR, lang, 0),
        "fail": i18n.fmt_int(round(100 * FAIL), lang),
        "agree": agree,
    }


def line(name: str) -> None:
    """Show claim ``name``'s over-seed line (a caption) in the session's language."""
    if name not in CLAIMS:
        raise KeyError(name)
    st.caption(line_text(lang(), name, stored()))


def gate_seeds() -> None:
    """Lesson 7's gate_seeds section, filled from the stored "gates" claim (or the missing line)."""
    entry = stored().get("gates")
    if entry is None:
        st.caption(line_text(lang(), "gates", {}))
        return
    md("kinds", "gate_seeds", **gate_values(lang(), entry))
