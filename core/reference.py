"""Reference figures quoted from the papers (assets/reference.toml), for "the paper says" panels."""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path

PATH = Path(__file__).resolve().parent.parent / "assets" / "reference.toml"


@lru_cache(maxsize=1)
def reference() -> dict:
    with open(PATH, "rb") as f:
        return tomllib.load(f)
