"""Colours that colour-blind readers can tell apart. Each colour is run through Machado, Oliveira and
Fernandes's (2009) simulation of protanopia, deuteranopia and tritanopia (severity 1, on linear RGB),
and pairs are compared by CIEDE2000 (Sharma, Wu and Dalal 2005; checked here on their test data)."""

from __future__ import annotations

import itertools
import math
import re
from pathlib import Path

import numpy as np
import pytest

from core.models.diagram import SKIP_COLOUR
from ui.figures import PALETTE, PLAIN, RESIDUAL

ROOT = Path(__file__).resolve().parent.parent

MACHADO = {
    "protanopia": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]],
    "deuteranopia": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]],
    "tritanopia": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.303900]],
}
VISION = ["typical", *MACHADO]


def linear_rgb(hex_colour: str) -> np.ndarray:
    c = np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)]) / 255
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def lab(rgb: np.ndarray) -> tuple[float, float, float]:
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ rgb
    t = xyz / np.array([0.95047, 1.0, 1.08883])  # D65 white
    f = np.where(t > (6 / 29) ** 3, np.cbrt(t), t / (3 * (6 / 29) ** 2) + 4 / 29)
    return 116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])


def ciede2000(lab1, lab2) -> float:
    (L1, a1, b1), (L2, a2, b2) = lab1, lab2
    c_bar = (math.hypot(a1, b1) + math.hypot(a2, b2)) / 2
    g = 0.5 * (1 - math.sqrt(c_bar ** 7 / (c_bar ** 7 + 25 ** 7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = math.hypot(a1p, b1), math.hypot(a2p, b2)
    h1p, h2p = math.degrees(math.atan2(b1, a1p)) % 360, math.degrees(math.atan2(b2, a2p)) % 360
    if c1p * c2p == 0:
        dh = 0.0
    elif abs(h2p - h1p) <= 180:
        dh = h2p - h1p
    else:
        dh = h2p - h1p - 360 if h2p > h1p else h2p - h1p + 360
    d_l, d_c = L2 - L1, c2p - c1p
    d_h = 2 * math.sqrt(c1p * c2p) * math.sin(math.radians(dh / 2))
    l_bar, cp_bar = (L1 + L2) / 2, (c1p + c2p) / 2
    if c1p * c2p == 0:
        h_bar = h1p + h2p
    elif abs(h1p - h2p) <= 180:
        h_bar = (h1p + h2p) / 2
    else:
        h_bar = (h1p + h2p + 360) / 2 if h1p + h2p < 360 else (h1p + h2p - 360) / 2
    t = (1 - 0.17 * math.cos(math.radians(h_bar - 30)) + 0.24 * math.cos(math.radians(2 * h_bar))
         + 0.32 * math.cos(math.radians(3 * h_bar + 6)) - 0.20 * math.cos(math.radians(4 * h_bar - 63)))
    s_l = 1 + 0.015 * (l_bar - 50) ** 2 / math.sqrt(20 + (l_bar - 50) ** 2)
    s_c, s_h = 1 + 0.045 * cp_bar, 1 + 0.015 * cp_bar * t
    r_t = (-2 * math.sqrt(cp_bar ** 7 / (cp_bar ** 7 + 25 ** 7))
           * math.sin(math.radians(60 * math.exp(-(((h_bar - 275) / 25) ** 2)))))
    return math.sqrt((d_l / s_l) ** 2 + (d_c / s_c) ** 2 + (d_h / s_h) ** 2 + r_t * (d_c / s_c) * (d_h / s_h))


def seen(hex_colour: str, vision: str) -> tuple[float, float, float]:
    rgb = linear_rgb(hex_colour)
    if vision != "typical":
        rgb = np.clip(np.array(MACHADO[vision]) @ rgb, 0, 1)
    return lab(rgb)


def difference(a: str, b: str, vision: str) -> float:
    return ciede2000(seen(a, vision), seen(b, vision))


def test_ciede2000_matches_sharmas_test_data():
    assert ciede2000((50, 2.6772, -79.7751), (50, 0, -82.7485)) == pytest.approx(2.0425, abs=1e-4)
    assert ciede2000((50, -1.3802, -84.2814), (50, 0, -82.7485)) == pytest.approx(1.0000, abs=1e-4)
    assert ciede2000((50, 2.5, 0), (73, 25, -18)) == pytest.approx(27.1492, abs=1e-4)
    assert ciede2000((2.0776, 0.0795, -1.1350), (0.9033, -0.0636, -0.5514)) == pytest.approx(0.9082, abs=1e-4)


def test_the_simulation_loses_red_against_green_for_a_deuteranope():
    """The check can fail: a red and a green far apart for typical vision are close for a deuteranope."""
    red, green = "#dc2626", "#16a34a"
    assert difference(red, green, "typical") > 60 and difference(red, green, "deuteranopia") < 10


@pytest.mark.parametrize("vision", VISION)
def test_plain_and_residual_stay_far_apart(vision):
    assert difference(PLAIN, RESIDUAL, vision) >= 40
    assert SKIP_COLOUR == RESIDUAL  # diagrams draw the skip path in the residual nets' colour


@pytest.mark.parametrize("vision", VISION)
def test_every_pair_of_palette_colours_stays_apart(vision):
    closest = min(difference(a, b, vision) for a, b in itertools.combinations(PALETTE, 2))
    assert closest >= 10, closest


def test_pages_take_colours_from_the_figures_not_hex_codes():
    """One palette: a page names PLAIN, RESIDUAL or PALETTE; a hex code in a page escapes the checks above."""
    for path in sorted((ROOT / "pages").glob("*.py")):
        assert not re.search(r"#[0-9a-fA-F]{6}\b", path.read_text(encoding="utf-8")), path.name
