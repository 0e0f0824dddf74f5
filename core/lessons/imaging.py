"""Lesson 1's image analogy: a blurred image x already holds most of the sharp image H(x).

x = blur(H) with a Gaussian of width σ; the residual H(x) − x is the missing fine detail, which is
all a block with a skip connection has to produce. How much of H the input already holds is
measured, not asserted:

    share = 1 − ‖H − x‖² / ‖H − mean(H)‖²

the fraction of H's variation (its contrast around its mean brightness) that x reproduces, i.e.
the R² of predicting H by x. It is 1 for σ = 0 and falls towards 0 as the blur washes the image
out to its mean. ``energy_share`` = 1 − ‖H − x‖² / ‖H‖² also counts the mean brightness, so it is
always larger; the page can show both.
"""

from __future__ import annotations

import io
import math
import struct
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from core.errors import BadChoice, BadShape, FileTooLarge, ImageFormat, ImageTooLarge, ImageTooSmall, NotAnImage, OutOfRange

ALLOWED_FORMATS = ("PNG", "JPEG")
MAX_BYTES = 5 * 1024 * 1024  # uploads larger than 5 MiB are refused before decoding
MIN_SIDE = 8  # pixels; smaller images have no detail to blur away
MAX_SIDE = 4096  # pixels per side; also keeps PIL far from its decompression-bomb limit
WORK_SIDE = 96  # photos are resized so their longer side has this many pixels before blurring
DIGIT_SIDE = 32  # digits are 8×8 and smooth once upscaled: at 32 px, σ = 2–3 already removes ~10–25 %
PHOTOS = ("china.jpg", "flower.jpg")  # the two photos bundled with scikit-learn
MAX_SIGMA = 10.0  # blur widths in pixels the lesson offers
TRUNCATE = 4.0  # the kernel reaches TRUNCATE·σ pixels each way, as scipy.ndimage.gaussian_filter


@dataclass(frozen=True)
class Analogy:
    sigma: float  # blur width in pixels of the working image
    x: np.ndarray  # (H, W) the blurred input, values in [0, 1]
    h: np.ndarray  # (H, W) the sharp target H(x), values in [0, 1]
    residual: np.ndarray  # (H, W) H(x) − x, values in [−1, 1]: what F has to learn
    share: float  # 1 − ‖H − x‖² / ‖H − mean(H)‖²: share of H's variation that x already holds
    energy_share: float  # 1 − ‖H − x‖² / ‖H‖²: the same, counting mean brightness too
    residual_rms: float  # root mean square of the residual
    psnr_db: float  # peak signal-to-noise ratio of x against H in dB (inf for σ = 0)


def _fit(img: Image.Image, side: int) -> np.ndarray:
    """Grey, resized so the longer side has ``side`` pixels, as floats in [0, 1]."""
    grey = img.convert("L")
    scale = side / max(img.size)
    size = (max(1, round(img.size[0] * scale)), max(1, round(img.size[1] * scale)))
    return np.asarray(grey.resize(size, Image.Resampling.LANCZOS), dtype=np.float64) / 255.0


def photo_image(name: str = PHOTOS[0], side: int = WORK_SIDE) -> np.ndarray:
    """One of scikit-learn's bundled photos (640×427), in grey, longer side ``side`` pixels, in [0, 1]."""
    from sklearn.datasets import load_sample_image  # reads a JPEG shipped with scikit-learn

    if name not in PHOTOS:
        raise BadChoice("photo", name, PHOTOS)
    if not (MIN_SIDE <= side <= 640):
        raise OutOfRange("side", side, MIN_SIDE, 640)
    return _fit(Image.fromarray(load_sample_image(name)), side)


@lru_cache(maxsize=1)
def _digits() -> np.ndarray:
    """scikit-learn's 1,797 handwritten digits (bundled with it, no download), read-only."""
    from sklearn.datasets import load_digits

    images = load_digits().images
    images.setflags(write=False)
    return images


def digit_image(index: int = 0, side: int = DIGIT_SIDE) -> np.ndarray:
    """A handwritten digit of scikit-learn's ``load_digits`` (8×8, 0…16), upscaled to side×side in [0, 1]."""
    images = _digits()  # (1797, 8, 8), values 0…16
    if not (0 <= index < len(images)):
        raise OutOfRange("index", index, 0, len(images) - 1)
    if not (MIN_SIDE <= side <= 512):
        raise OutOfRange("side", side, MIN_SIDE, 512)
    small = Image.fromarray((images[index] * (255 / 16)).round().astype(np.uint8), mode="L")
    # Bicubic upscaling gives smooth strokes: an 8×8 grid of blocks would be all "detail".
    big = small.resize((side, side), Image.Resampling.BICUBIC)
    return np.asarray(big, dtype=np.float64) / 255.0


def load_upload(data: bytes, side: int = WORK_SIDE) -> np.ndarray:
    """Validate an uploaded PNG/JPEG and return it in grey, longer side ``side`` pixels, in [0, 1].

    ``side`` must lie in [MIN_SIDE, 512]: the working copy stays small so blurring takes milliseconds.

    Raises a CoreError for an empty, oversized or unreadable file, another format, or an image with
    a side below MIN_SIDE or above MAX_SIDE pixels. Sizes are checked before the pixels are decoded.
    """
    if not (MIN_SIDE <= side <= 512):
        raise OutOfRange("side", side, MIN_SIDE, 512)
    if len(data) > MAX_BYTES:
        raise FileTooLarge(len(data), MAX_BYTES)
    try:
        img = Image.open(io.BytesIO(data))
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise NotAnImage() from None
    if img.format not in ALLOWED_FORMATS:
        raise ImageFormat(str(img.format), ALLOWED_FORMATS)
    width, height = img.size
    if min(width, height) < MIN_SIDE:
        raise ImageTooSmall(width, height, MIN_SIDE)
    if max(width, height) > MAX_SIDE:
        raise ImageTooLarge(width, height, MAX_SIDE)
    try:
        img = ImageOps.exif_transpose(img)  # phone photos: apply the stored rotation
        if img.mode in ("RGBA", "LA", "P"):
            # Transparent pixels over white, as a browser shows them, before dropping alpha.
            img = img.convert("RGBA")
            canvas = Image.new("RGBA", img.size, (255, 255, 255, 255))
            img = Image.alpha_composite(canvas, img)
        return _fit(img, side)
    except (OSError, ValueError, SyntaxError, EOFError, struct.error):
        raise NotAnImage() from None  # truncated or corrupt pixel data, broken EXIF


def gaussian_kernel(sigma: float) -> np.ndarray:
    """1-D Gaussian weights summing to 1, radius round(TRUNCATE·σ) (scipy's choice)."""
    radius = int(TRUNCATE * sigma + 0.5)
    t = np.arange(-radius, radius + 1, dtype=np.float64)
    k = np.exp(-0.5 * (t / sigma) ** 2)
    return k / k.sum()


def gaussian_blur(image: np.ndarray, sigma: float) -> np.ndarray:
    """Blur a (H, W) image with a Gaussian of ``sigma`` pixels; edges mirrored (d c b a | a b c d).

    Separable: one 1-D convolution along the rows, one along the columns. σ = 0 returns a copy.
    """
    if not (0 <= sigma <= MAX_SIGMA) or not math.isfinite(sigma):
        raise OutOfRange("sigma", sigma, 0, MAX_SIGMA)
    img = np.asarray(image, dtype=np.float64)
    if sigma == 0:
        return img.copy()
    k = gaussian_kernel(sigma)
    r = len(k) // 2
    out = img
    for axis in (0, 1):
        pad = [(0, 0), (0, 0)]
        pad[axis] = (r, r)
        # np.pad's "symmetric" repeats the edge pixel; it reflects again for kernels wider than the image.
        padded = np.pad(out, pad, mode="symmetric")
        n = out.shape[axis]
        acc = np.zeros_like(out)
        for i, w in enumerate(k):
            sl = [slice(None), slice(None)]
            sl[axis] = slice(i, i + n)
            acc += w * padded[tuple(sl)]
        out = acc
    return out


def blur_analogy(image: np.ndarray, sigma: float) -> Analogy:
    """x = blur(H), the residual H − x, and how much of H the blurred x already holds."""
    h = np.asarray(image, dtype=np.float64)
    if h.ndim != 2:
        raise BadShape("image", h.shape, ("H", "W"))
    if min(h.shape) < MIN_SIDE:
        raise ImageTooSmall(h.shape[1], h.shape[0], MIN_SIDE)
    x = gaussian_blur(h, sigma)
    residual = h - x
    err = float(np.sum(residual**2))
    spread = float(np.sum((h - h.mean()) ** 2))
    energy = float(np.sum(h**2))
    mse = err / h.size
    return Analogy(
        sigma=float(sigma),
        x=x,
        h=h,
        residual=residual,
        # A flat image has no variation to hold: x = H exactly, so x holds all of it.
        share=1.0 - err / spread if spread > 0 else 1.0,
        energy_share=1.0 - err / energy if energy > 0 else 1.0,
        residual_rms=math.sqrt(mse),
        psnr_db=10 * math.log10(1.0 / mse) if mse > 0 else math.inf,
    )
