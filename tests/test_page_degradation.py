"""Lesson 2 driven through AppTest: one click trains the comparison, the verdict is computed."""

from __future__ import annotations

import time

from core.lessons.degradation import DEGRADATION_TOLERANCE, degradation_holds
from core.lessons.predictions import judge_degradation
from core.reference import reference
from tests.apptest import open_page
from tests.test_predictions import check_reveal
from ui import i18n


def wait_done(at, seconds=120):
    deadline = time.time() + seconds
    while time.time() < deadline:
        at.run()
        bars = at.get("progress")
        if bars and bars[0].proto.value == 100:
            return True
        time.sleep(0.3)
    return False


def test_one_click_trains_plain_and_residual_pairs_and_states_the_result():
    at = open_page("degradation", "en")
    at.multiselect(key="dg_depths").set_value([8, 20])
    at.number_input(key="dg_epochs").set_value(1).run()
    assert any("Predict first" in m.value and "(20 layers)" in m.value for m in at.markdown)  # the deepest picked
    at.radio(key="predict_degradation").set_value("residual")
    at.button(key="dg_train").click().run()
    assert not at.exception and not at.error
    assert wait_done(at)
    check_reveal(at, "en", "degradation", "degradation", judge_degradation, "residual")  # Plain-20 against ResNet-20
    table = at.dataframe[0].value
    names = list(table[i18n.text("en", "degradation.col_net")])
    assert names == ["Plain-8", "ResNet-8", "Plain-20", "ResNet-20"]
    # The verdict paragraph is computed from the same runs the table shows.
    col = i18n.text("en", "degradation.col_train")
    err = {n: float(v.rstrip(" %")) / 100 for n, v in zip(names, table[col])}
    plain_worse, res_ok = degradation_holds({(8, False): err["Plain-8"], (20, False): err["Plain-20"],
                                             (8, True): err["ResNet-8"], (20, True): err["ResNet-20"]})
    verdict = next(m.value for m in at.markdown if m.value.startswith("**Result of this run.**"))
    word = lambda ok: i18n.text("en", "degradation.yes" if ok else "degradation.no")  # noqa: E731
    flat = " ".join(verdict.split())
    assert f"every deeper plain net trains worse than the next shallower one: **{word(plain_worse)}**" in flat
    tol = f"{100 * DEGRADATION_TOLERANCE:.1f}"
    assert f"by more than {tol} percentage points: **{word(res_ok)}**" in flat
    # Plain and residual nets of one depth have the same parameters (option A shortcuts).
    params = list(table[i18n.text("en", "degradation.col_params")])
    assert params[0] == params[1] and params[2] == params[3]


def test_fewer_than_two_depths_disables_training():
    at = open_page("degradation", "vi")
    at.multiselect(key="dg_depths").set_value([20]).run()
    assert at.button(key="dg_train").disabled
    assert at.info and at.info[0].value == i18n.text("vi", "degradation.pick_two")


def prose(at) -> str:
    return " ".join(" ".join(m.value.split()) for m in at.markdown)


def test_the_explanations_section_gives_the_papers_view_and_quotes_its_figure():
    """Vanishing gradients are one explanation; He et al. argue against it (section 4.1), and the later
    explanations are cited. Plain-110's error bound is the reference file's, not typed into the prose."""
    above = reference()["cifar_plain"]["plain110_error_above"]
    for lang, words in (("en", ("One explanation", "He et al. (2016, section 4.1)", "*unlikely*",
                                "exponentially low convergence rates", "Balduzzi et al. (2017)",
                                "Yang et al. (2019)", f"stays above {above} %", "at best")),
                        ("vi", ("Một cách giải thích", "He và cộng sự (2016, mục 4.1)", "*khó có thể*",
                                "tốc độ hội tụ thấp theo cấp số nhân", "Balduzzi và cộng sự (2017)",
                                "Yang và cộng sự (2019)", f"vẫn ở trên {above} %", "trong trường hợp tốt nhất"))):
        at = open_page("degradation", lang)
        assert not at.exception
        text = prose(at)
        for w in words:
            assert w in text, (lang, w)
        assert "root cause:" not in text and "can only get closer" not in text
