"""Lesson 1's image analogy: the blur against scipy, the share formula, upload validation."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from scipy.ndimage import gaussian_filter

from core.lessons import imaging
from core.errors import CoreError
from core.lessons.imaging import blur_analogy, digit_image, gaussian_blur, load_upload, photo_image


def _encode(img: Image.Image, fmt: str) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt)
    return buf.getvalue()


@pytest.mark.parametrize("sigma", [0.5, 1.0, 2.5, 6.0])
@pytest.mark.parametrize("shape", [(32, 32), (9, 20)])
def test_blur_matches_scipy_gaussian_filter(sigma, shape):
    img = np.random.default_rng(0).random(shape)
    ours = gaussian_blur(img, sigma)
    ref = gaussian_filter(img, sigma, mode="reflect", truncate=imaging.TRUNCATE)
    np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-12)


def test_blur_keeps_the_mean_and_sigma_zero_is_the_image():
    img = digit_image(3)
    assert gaussian_blur(img, 3.0).mean() == pytest.approx(img.mean(), abs=1e-12)
    np.testing.assert_array_equal(gaussian_blur(img, 0.0), img)


def test_analogy_values_follow_their_definitions():
    h = digit_image(0)
    a = blur_analogy(h, 2.5)
    np.testing.assert_allclose(a.x, gaussian_filter(h, 2.5, mode="reflect", truncate=4.0), atol=1e-12)
    np.testing.assert_array_equal(a.residual, a.h - a.x)
    err = np.sum((h - a.x) ** 2)
    assert a.share == pytest.approx(1 - err / np.sum((h - h.mean()) ** 2), rel=1e-12)
    assert a.energy_share == pytest.approx(1 - err / np.sum(h**2), rel=1e-12)
    assert a.residual_rms == pytest.approx(np.sqrt(np.mean((h - a.x) ** 2)), rel=1e-12)
    assert a.psnr_db == pytest.approx(10 * np.log10(1 / np.mean((h - a.x) ** 2)), rel=1e-12)
    assert a.energy_share > a.share  # the mean brightness adds to the energy, never to the error


def test_more_blur_leaves_less_of_h_in_x():
    h = photo_image("flower.jpg")
    shares = [blur_analogy(h, s).share for s in (0.0, 0.5, 1.0, 2.0, 4.0, 8.0)]
    assert shares[0] == 1.0
    assert all(a > b for a, b in zip(shares, shares[1:]))
    assert 0.0 <= shares[-1] < 1.0


def test_sample_images_are_greyscale_in_unit_range():
    d = digit_image(5, side=32)
    p = photo_image("china.jpg", side=96)
    assert d.shape == (32, 32) and p.shape == (64, 96)  # the photo is 640×427
    for img in (d, p):
        assert img.min() >= 0.0 and img.max() <= 1.0 and img.std() > 0.05


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_upload_round_trip(fmt):
    src = Image.fromarray((digit_image(7, side=64) * 255).astype(np.uint8), mode="L").convert("RGB")
    img = load_upload(_encode(src, fmt), side=64)
    assert img.shape == (64, 64)
    ref = np.asarray(src.convert("L"), dtype=np.float64) / 255
    assert np.abs(img - ref).mean() < 0.02  # JPEG is lossy; PNG is exact up to the resize


def test_transparent_png_is_composited_on_white():
    rgba = Image.new("RGBA", (20, 10), (0, 0, 0, 0))  # fully transparent black
    img = load_upload(_encode(rgba, "PNG"), side=20)
    assert img.shape == (10, 20)
    np.testing.assert_allclose(img, 1.0)


def _code(data: bytes) -> CoreError:
    with pytest.raises(CoreError) as err:
        load_upload(data)
    return err.value


def test_upload_errors_carry_codes_and_params():
    assert _code(b"").code == "not_an_image"
    assert _code(b"definitely not a picture" * 10).code == "not_an_image"

    gif = _code(_encode(Image.new("L", (32, 32)), "GIF"))
    assert gif.code == "image_format" and gif.params["format"] == "GIF"

    small = _code(_encode(Image.new("L", (4, 30)), "PNG"))
    assert small.code == "image_too_small"
    assert small.params == {"width": 4, "height": 30, "minimum": imaging.MIN_SIDE}

    wide = _code(_encode(Image.new("L", (imaging.MAX_SIDE + 1, 16)), "PNG"))
    assert wide.code == "image_too_large" and wide.params["width"] == imaging.MAX_SIDE + 1

    big = _code(b"\x89PNG" + bytes(imaging.MAX_BYTES))
    assert big.code == "file_too_large" and big.params["limit"] == imaging.MAX_BYTES

    png = _encode(Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64), dtype=np.uint8)), "PNG")
    assert _code(png[: len(png) // 2]).code == "not_an_image"  # truncated pixel data


def test_bad_arguments_are_core_errors():
    with pytest.raises(CoreError) as err:
        gaussian_blur(np.zeros((16, 16)), 50.0)
    assert err.value.code == "out_of_range" and err.value.params["name"] == "sigma"
    with pytest.raises(CoreError) as err:
        blur_analogy(np.zeros((16, 16, 3)), 1.0)
    assert err.value.code == "bad_shape"
    with pytest.raises(CoreError) as err:
        digit_image(5000)
    assert err.value.code == "out_of_range"
    with pytest.raises(CoreError) as err:
        photo_image("cat.jpg")
    assert err.value.code == "bad_choice"
