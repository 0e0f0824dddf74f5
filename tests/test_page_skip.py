"""Lesson 1 through AppTest, driven as a user would: the numbers shown are core's for the same settings."""

from __future__ import annotations

import base64
import io
import json

import numpy as np
import pytest
from PIL import Image

from core.lessons import readings
from core.lessons.imaging import blur_analogy, digit_image, load_upload, photo_image
from core.lessons.toy import ToyConfig, run_toy
from core.lessons.worked import worked_example
from tests.apptest import open_page
from ui import i18n


def toy_page(lang: str):
    """Lesson 1 after one press of Train (it commits the guess; from then on the toy follows every setting)."""
    at = open_page("skip", lang)
    at.button(key="sk_train").click().run()
    return at


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def chart(at, key: str) -> dict:
    """The Plotly figure of the chart with ``key`` (AppTest shows charts as JSON specs)."""
    (el,) = [c for c in at.get("plotly_chart") if c.proto.id.endswith(f"-{key}")]
    return json.loads(el.proto.spec)


def array(data) -> np.ndarray:
    """A Plotly JSON array: a list, or a typed array {"dtype", "bdata", "shape"}."""
    if isinstance(data, dict):
        flat = np.frombuffer(base64.b64decode(data["bdata"]), dtype=data["dtype"])
        return flat.reshape([int(n) for n in str(data.get("shape", len(flat))).split(",")])
    return np.asarray(data, dtype=float)


def png(image: Image.Image, fmt: str = "PNG") -> bytes:
    buf = io.BytesIO()
    image.save(buf, format=fmt)
    return buf.getvalue()


def test_toy_shows_run_toys_steps_to_threshold_and_curves():
    at = toy_page("en")
    at.radio(key="sk_target").set_value("sin")
    at.slider(key="sk_depth").set_value(3)
    at.select_slider(key="sk_hidden").set_value(16)
    at.slider(key="sk_steps").set_value(400)
    at.select_slider(key="sk_lr").set_value(0.05)
    at.number_input(key="sk_seed").set_value(7).run()
    assert not at.exception
    res = run_toy(ToyConfig(target="sin", depth=3, hidden=16, steps=400, lr=0.05, seed=7))
    shown = metrics(at)
    for run, label in ((res.plain, "skip.m_steps_plain"), (res.skip, "skip.m_steps_skip")):
        assert run.steps_to_threshold is not None
        assert shown[i18n.text("en", label)] == f"{run.steps_to_threshold:,}"
    # The loss chart carries both runs' curves, on a log axis. (Tolerances, not equality: float32 results may
    # differ in the last bits between threads with different torch thread counts.)
    fig = chart(at, "sk_loss")
    by_name = {d["name"]: d for d in fig["data"]}
    np.testing.assert_allclose(by_name[i18n.text("en", "skip.run_skip")]["y"], res.skip.losses, rtol=1e-5)
    np.testing.assert_allclose(by_name[i18n.text("en", "skip.run_plain")]["y"], res.plain.losses, rtol=1e-5)
    assert fig["layout"]["yaxis"]["type"] == "log"
    # The learned f with the skip approaches H(x) − x.
    f = {d["name"]: d for d in chart(at, "sk_f")["data"]}
    np.testing.assert_allclose(f[i18n.text("en", "skip.f_skip")]["y"], res.skip.f_grid, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(f["H(x) − x"]["y"], res.residual_grid, rtol=1e-6, atol=1e-7)


def test_identity_target_shows_the_branch_going_to_zero_in_vietnamese():
    at = toy_page("vi")
    at.radio(key="sk_target").set_value("x")
    at.select_slider(key="sk_wd").set_value(1e-2).run()
    res = run_toy(ToyConfig(target="x", weight_decay=1e-2))
    rms = metrics(at)[i18n.text("vi", "skip.m_rms")]
    assert rms == i18n.fmt_float(res.skip.f_rms, "vi", 4) and res.skip.f_rms < 0.01
    assert "," in rms  # decimal comma
    prose = "\n".join(m.value for m in at.markdown)
    assert "Mục tiêu là ánh xạ đồng nhất" in prose and rms in prose


def test_diverging_learning_rate_shows_a_message_not_a_traceback():
    at = toy_page("en")
    at.select_slider(key="sk_lr").set_value(2.0).run()
    assert not at.exception and not at.error
    res = run_toy(ToyConfig(lr=2.0))
    assert res.skip.diverged_at is not None and res.plain.diverged_at is not None
    warnings = [w.value for w in at.warning]
    expected = i18n.text("en", "skip.diverged", run=i18n.text("en", "skip.run_skip"), step=f"{res.skip.diverged_at:,}", lr="2")
    assert expected in warnings
    shown = metrics(at)
    assert shown[i18n.text("en", "skip.m_steps_skip")] == i18n.text("en", "skip.diverged_short")
    assert shown[i18n.text("en", "skip.m_rms")] == "—" and "nan" not in shown[i18n.text("en", "skip.m_norm")]


def test_image_share_is_core_blur_analogy():
    at = open_page("skip", "en")
    at.number_input(key="sk_digit").set_value(5)
    at.select_slider(key="sk_sigma").set_value(3.0).run()
    a = blur_analogy(digit_image(5), 3.0)
    shown = metrics(at)
    assert shown[i18n.text("en", "skip.m_share")] == f"{100 * a.share:.1f} %"
    assert shown[i18n.text("en", "skip.m_energy")] == f"{100 * a.energy_share:.1f} %"
    np.testing.assert_allclose(array(chart(at, "sk_pic_r")["data"][0]["z"]), a.residual, rtol=1e-12)
    at.radio(key="sk_source").set_value("photo").run()
    at.selectbox(key="sk_photo").set_value("flower.jpg").run()
    a = blur_analogy(photo_image("flower.jpg"), 3.0)
    assert metrics(at)[i18n.text("en", "skip.m_share")] == f"{100 * a.share:.1f} %"


def test_uploads_bad_files_get_translated_errors_and_a_good_one_works():
    at = open_page("skip", "vi")
    at.radio(key="sk_source").set_value("upload").run()
    assert i18n.text("vi", "skip.upload_prompt") in [i.value for i in at.info]
    at.file_uploader(key="sk_upload").set_value(("ghi-chu.png", b"not an image at all", "image/png")).run()
    assert not at.exception
    assert [e.value for e in at.error] == [i18n.text("vi", "error.not_an_image")]
    gif = png(Image.new("L", (40, 30), 128), "GIF")
    at.file_uploader(key="sk_upload").set_value(("anh.gif", gif, "image/gif")).run()
    assert [e.value for e in at.error] == [i18n.text("vi", "error.image_format", format="GIF")]
    tiny = png(Image.new("L", (5, 40)))
    at.file_uploader(key="sk_upload").set_value(("nho.png", tiny, "image/png")).run()
    assert [e.value for e in at.error] == [i18n.text("vi", "error.image_too_small", width=5, height=40, minimum=8)]
    rng = np.random.default_rng(0)
    good = png(Image.fromarray((rng.random((48, 64)) * 255).astype(np.uint8)))
    at.file_uploader(key="sk_upload").set_value(("anh.png", good, "image/png")).run()
    assert not at.error
    a = blur_analogy(load_upload(good), 2.0)
    assert metrics(at)[i18n.text("vi", "skip.m_share")] == f"{i18n.fmt_float(100 * a.share, 'vi', 1)} %"


def test_worked_example_shows_every_intermediate_value():
    for lang in i18n.LANGS:
        at = open_page("skip", lang)
        w = worked_example()
        tex = at.latex[0].value
        for v in np.concatenate([w.z1, w.h, w.F, w.pre, w.y, w.y_plain]):
            assert i18n.fmt_float(v, lang, 2).replace(",", "{,}") in tex
        assert i18n.text(lang, "skip.no_skip_tex") in tex


# ---- Sentences with live numbers: each reading on the page where core computes it so ----

def prose(at) -> str:
    return " ".join(" ".join(m.value.split()) for m in at.markdown)


@pytest.mark.parametrize("lang", ["en", "vi"])
@pytest.mark.parametrize("settings, reading, compare", [
    ({}, "zero", "more"),  # the page's defaults
    ({"sk_depth": 1, "sk_hidden": 4}, "zero", "less"),  # the plain f gets closer to the identity than the branch to 0
    ({"sk_hidden": 4, "sk_lr": 0.001, "sk_steps": 50}, "not", "more"),  # too little training for the branch
])
def test_identity_target_reads_the_runs_as_they_ended(lang, settings, reading, compare):
    at = toy_page(lang)
    at.radio(key="sk_target").set_value("x")
    for key, value in settings.items():
        (at.slider if key in ("sk_depth", "sk_steps") else at.select_slider)(key=key).set_value(value)
    at.run()
    assert not at.exception
    cfg = ToyConfig(target="x", depth=settings.get("sk_depth", 2), hidden=settings.get("sk_hidden", 32),
                    lr=settings.get("sk_lr", 0.02), steps=settings.get("sk_steps", 300))
    res = run_toy(cfg)
    rms, err = res.skip.f_rms, res.plain.f_target_rms_error
    assert (rms ** 2 <= cfg.threshold) == (reading == "zero")
    assert readings.order(err, rms, 4) == compare
    text = prose(at)
    threshold = i18n.fmt_float(cfg.threshold, lang, 3)
    assert i18n.text(lang, f"skip.rms_{reading}", threshold=threshold) in text
    assert i18n.text(lang, f"skip.cmp_{compare}") in text
    assert i18n.fmt_float(rms, lang, 4) in text and i18n.fmt_float(err, lang, 4) in text


def test_identity_target_with_a_diverged_run_says_so_instead_of_measuring():
    at = toy_page("en")
    at.radio(key="sk_target").set_value("x")
    at.select_slider(key="sk_lr").set_value(1.0).run()
    res = run_toy(ToyConfig(target="x", lr=1.0))
    assert res.plain.diverged_at is not None and res.skip.diverged_at is None  # one of the two diverged
    text = prose(at)
    assert "At this learning rate a run diverged" in text and "its size (root mean square" not in text


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_no_blur_means_no_residual_and_the_page_says_so(lang):
    at = open_page("skip", lang)
    at.select_slider(key="sk_sigma").set_value(0.0).run()
    a = blur_analogy(digit_image(0), 0.0)
    assert np.abs(a.residual).max() == 0 and a.share == 1.0
    sharp = {"en": "With no blur (σ = 0) the input *is* the sharp image", "vi": "Khi không làm mờ (σ = 0)"}[lang]
    result = {"en": "the residual carries the remaining", "vi": "còn phần dư mang"}[lang]
    text = prose(at)
    assert sharp in text and result not in text
    at.select_slider(key="sk_sigma").set_value(2.0).run()
    text = prose(at)
    assert sharp not in text and result in text


def test_the_skip_usually_reaches_the_threshold_first_for_2x():
    """toy_reading: "For H(x) = 2x the skip version usually reaches the threshold in fewer steps" (defaults)."""
    faster = 0
    for seed in range(10):
        r = run_toy(ToyConfig(seed=seed))
        a, b = r.plain.steps_to_threshold, r.skip.steps_to_threshold
        faster += b is not None and (a is None or b < a)
    assert faster >= 7


def test_quiz_answers_are_what_the_toy_learns():
    """q1: for H = 2x the branch must learn x; q2: for H = x it must learn 0 (and weight decay helps it there)."""
    cat = i18n.catalog("en")
    for target, q in (("2x", "q1"), ("x", "q2")):
        res = run_toy(ToyConfig(target=target, weight_decay=1e-2 if target == "x" else 0.0))
        x = res.x_grid
        candidates = [2 * x, x, 0 * x] if q == "q1" else [x, 0 * x, 2 * x]  # the options, in order
        err = [float(np.sqrt(np.mean((res.skip.f_grid - c) ** 2))) for c in candidates]
        assert int(np.argmin(err)) == cat[f"skip.quiz.{q}.answer"], (q, err)
        np.testing.assert_allclose(res.residual_grid, candidates[cat[f"skip.quiz.{q}.answer"]], atol=1e-6)


def test_quiz_q3_the_residual_is_the_detail_along_edges():
    """q3: the residual H − x is largest where H has edges, not the blurred image or the mean brightness."""
    cat = i18n.catalog("en")
    for image in (digit_image(0), photo_image("flower.jpg")):
        a = blur_analogy(image, 2.0)
        gy, gx = np.gradient(a.h)
        edges = np.hypot(gx, gy)
        strong, flat = edges >= np.quantile(edges, 0.8), edges <= np.quantile(edges, 0.2)
        assert np.abs(a.residual)[strong].mean() > 3 * np.abs(a.residual)[flat].mean()
        assert abs(a.residual.mean()) < 0.1 * np.abs(a.residual).mean() + 1e-3  # not the mean brightness
    assert cat["skip.quiz.q3.answer"] == 1


# ---- Predict, then watch: lesson 1's question ------------------------------------------------------

def test_before_train_the_toy_hides_its_result_and_after_it_the_verdict_is_the_runs():
    from core.lessons.predictions import judge_toy
    from tests.apptest import prediction_box
    from ui import predict as UP

    at = open_page("skip", "en")
    assert not at.exception and not metrics(at) or i18n.text("en", "skip.m_steps_plain") not in metrics(at)
    assert i18n.text("en", "skip.train_first") in [i.value for i in at.info]
    assert not [c for c in at.get("plotly_chart") if c.proto.id.endswith("-sk_loss")]  # nothing to peek at
    at.radio(key="predict_toy").set_value("plain")
    at.radio(key="sk_target").set_value("sin").run()
    at.button(key="sk_train").click().run()
    cfg = ToyConfig(target="sin")
    verdict = judge_toy(run_toy(cfg))
    assert prediction_box(at, "en") == UP.verdict_text("toy", verdict, "plain", "en")
    # Another setting after the run: the toy follows it live, and says nothing about a guess made for other settings.
    at.slider(key="sk_steps").set_value(500).run()
    assert i18n.text("en", "skip.m_steps_plain") in metrics(at) and prediction_box(at, "en") is None


def test_a_class_poll_on_lesson_1_gives_every_voter_the_presenters_toy():
    from core.classroom.polls import default_board
    from core.lessons.predictions import judge_toy
    from tests.apptest import APP, prediction_box
    from streamlit.testing.v1 import AppTest
    from ui import predict as UP

    board = default_board()

    def session(**query):
        at = AppTest.from_file(APP, default_timeout=60)
        at.query_params["lang"] = "vi"
        for k, v in query.items():
            at.query_params[k] = v
        at.run()
        at.switch_page("pages/skip.py")
        return at.run()

    teacher, student = session(presenter=board.key), session()
    teacher.slider(key="sk_depth").set_value(3)
    teacher.select_slider(key="sk_lr").set_value(0.05).run()
    teacher.button(key="poll_open_toy").click().run()
    poll = board.current("toy")
    student.run()  # the fragment's poll
    student.button(key=f"vote_toy_{poll.id}_skip").click().run()
    assert board.get(poll.id).counts["skip"] == 1
    teacher.button(key="sk_train").click().run()  # closes the poll; the voters take its settings
    cfg = ToyConfig(depth=3, lr=0.05)
    assert board.current("toy").status == "closed" and list(board.current("toy").run) == [cfg]
    student.run()
    student.run()
    assert student.slider(key="sk_depth").value == 3 and student.select_slider(key="sk_lr").value == 0.05
    verdict = judge_toy(run_toy(cfg))
    assert prediction_box(student, "vi") == UP.verdict_text("toy", verdict, "skip", "vi")
    assert not student.exception and not teacher.exception
