"""Predict, then watch (core/lessons/predictions.py, ui/predict.py): the answer a run supports comes
from its own numbers, on both sides of every threshold; every question and reason exists in both
languages and fills with the numbers it is given; a page shows the verdict its finished runs call for
(the pages' own trained runs: tests/test_page_*.py call ``check_reveal``)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from core.lessons import predictions as P
from core.lessons.kinds import DenoiseResult
from core.lessons.lesion import LesionResult, NetLesion
from core.training.engine import TrainConfig
from core.training.jobs import JobSnapshot
from core.training.tasks import EpochRecord, StepRecord
from tests.apptest import live_snapshots, prediction_box
from ui import i18n
from ui import predict as UP


def snap(task, status="done", train_error=None, grad_norms=None, n=0) -> JobSnapshot:
    epochs = () if train_error is None else (EpochRecord(1, 10, 0.5, train_error, 0.5, 0.5, 1.0),)
    steps = () if grad_norms is None else (StepRecord(10, 1, 0.5, 0.5, 1.0, tuple(grad_norms)),)
    return JobSnapshot(f"job-{n}", task, status, 0, None, steps, epochs, None, None, 1, 1.0)


def pair(depth: int, plain: float, res: float, status="done", **kw):
    base = TrainConfig(depth=depth, **kw)
    return [snap(base.replace(skip=False), status, plain, n=2 * depth), snap(base.replace(skip=True), status, res, n=2 * depth + 1)]


@pytest.mark.parametrize("a, b, want", [(0.10, 0.30, "plain"), (0.30, 0.10, "residual"), (0.20, 0.209, "same"),
                                        (0.20, 0.19, "same"), (0.20, 0.2101, "plain"), (0.2101, 0.20, "residual")])
def test_lower_reads_one_point_as_the_same(a, b, want):
    assert P.lower(a, b, ("plain", "residual")) == want


def test_degradation_reads_the_deepest_pair_only():
    snaps = pair(8, 0.01, 0.30) + pair(56, 0.60, 0.02)  # the shallow pair would say "plain"
    v = P.judge_degradation(snaps)
    assert v.answer == "residual" and v.numbers == {"depth": 56, "plain": 0.60, "residual": 0.02}
    assert P.judge_degradation(pair(8, 0.10, 0.40) + pair(20, 0.05, 0.30)).answer == "plain"
    assert P.judge_degradation(pair(20, 0.100, 0.105)).answer == "same"
    assert P.judge_degradation(pair(20, 0.1, 0.2, status="running")) is None  # not yet: nothing to reveal
    assert P.judge_degradation(pair(8, 0.1, 0.2) + pair(20, 0.1, 0.2, status="failed")) is None


def test_the_lab_pair_is_the_newest_plain_and_residual_with_equal_settings():
    other = snap(TrainConfig(depth=8, skip=True, seed=5), train_error=0.0, n=9)  # no plain twin
    lone_plain = snap(TrainConfig(depth=14, skip=False), train_error=0.9, n=8)
    snaps = pair(20, 0.40, 0.05, seed=3) + [other, lone_plain]
    assert P.lab_pair(snaps) == (snaps[0], snaps[1])
    assert P.judge_lab_pair(snaps).answer == "residual"
    assert P.judge_lab_pair(pair(20, 0.05, 0.40)).answer == "plain"
    assert P.judge_lab_pair(pair(20, 0.05, 0.055)).answer == "same"
    assert P.judge_lab_pair([other, lone_plain]) is None
    assert P.judge_lab_pair(pair(20, 0.4, 0.05, status="diverged")) is None


@pytest.mark.parametrize("first, want", [(0.099, "vanishes"), (0.101, "kept"), (9.9, "kept"), (10.1, "explodes"),
                                         (float("nan"), "explodes")])
def test_gradients_read_the_plain_nets_first_over_top_layer_at_the_last_step(first, want):
    base = TrainConfig(depth=20)
    snaps = [snap(base.replace(skip=False), grad_norms=(first, 5.0, 1.0)),
             snap(base.replace(skip=True), grad_norms=(2.0, 1.0, 4.0), n=1)]
    v = P.judge_gradients(snaps)
    assert v.answer == want and v.numbers["residual"] == 0.5 and v.numbers["depth"] == 20


def denoise(mse: float) -> DenoiseResult:
    z = np.zeros((1, 8, 8))
    return DenoiseResult(z, z, z, mse, mse / 2, mse / 2)


@pytest.mark.parametrize("without, want", [(1.06, "up"), (1.04, "same"), (0.96, "same"), (0.94, "down")])
def test_long_skips_read_the_mse_ratio_with_a_five_percent_band(without, want):
    v = P.judge_long_skips({True: denoise(1.0), False: denoise(without)})
    assert v.answer == want and v.numbers["ratio"] == pytest.approx(without)
    assert P.judge_long_skips({True: denoise(1.0)}) is None


def lesion(plain_intact, plain_single, res_intact, res_single) -> LesionResult:
    n = len(plain_single)
    net = lambda intact, single: NetLesion("net", 0.0, intact, np.array(single), np.zeros((n, 1)),  # noqa: E731
                                           np.eye(n))
    return LesionResult(depth=8, epochs=1, blocks=("b1", "b2", "b3"), downsampling=(False, False, False),
                        plain=net(plain_intact, plain_single), residual=net(res_intact, res_single), chance=0.1,
                        n_test=360)


def test_lesion_names_the_net_whose_median_deletion_costs_more():
    v = P.judge_lesion(lesion(0.9, [0.1, 0.2, 0.8], 0.95, [0.90, 0.93, 0.5]))
    assert v.answer == "plain" and v.numbers["plain"] == pytest.approx(0.7) and v.numbers["residual"] == pytest.approx(0.05)
    assert P.judge_lesion(lesion(0.3, [0.29, 0.3, 0.3], 0.95, [0.5, 0.5, 0.9])).answer == "residual"
    assert P.judge_lesion(lesion(0.9, [0.895, 0.9, 0.9], 0.95, [0.94, 0.95, 0.95])).answer == "same"
    assert P.judge_lesion(None) is None


@pytest.mark.parametrize("lang", i18n.LANGS)
@pytest.mark.parametrize("pid", list(P.PREDICTIONS))
def test_every_question_answer_and_reason_is_in_both_languages_and_fills(pid, lang):
    cat = i18n.catalog(lang)
    base = f"predict.{pid}"
    question = cat[f"{base}.question"]
    assert set(re.findall(r"{(\w+)}", question)) <= {"depth", "threshold"}
    numbers = {"depth": 20, "plain": 0.25, "residual": 0.05, "with": 0.02, "without": 0.03, "ratio": 1.5,
               "plain_intact": 0.9, "residual_intact": 0.95, "plain_after": 0.65, "residual_after": 0.9}
    if pid == "toy":  # step counts, the threshold and the lowest losses
        numbers |= {"plain": 120, "skip": 54, "steps": 300, "threshold": 1e-3, "plain_min": 2.5e-3, "skip_min": 4e-4}
    cases = {k.split(".why_")[1] for k in cat if k.startswith(base + ".why_")}
    for answer in P.PREDICTIONS[pid].answers:
        assert cat[f"{base}.a_{answer}"].strip() and answer in cases
    for key in cases:  # every reason, the sub-cases too (why_<answer>_<case>)
        answer = next(a for a in sorted(P.PREDICTIONS[pid].answers, key=len, reverse=True) if key.startswith(a))
        case = key[len(answer) + 1:]
        wanted = set(re.findall(r"{(\w+)}", cat[f"{base}.why_{key}"]))
        assert wanted <= set(numbers), (pid, key, wanted)
        text = UP.why(pid, P.Verdict(answer, {k: numbers[k] for k in wanted}, case), lang)
        assert "{" not in text and ("20" in text if "depth" in wanted else True)
    # No answer key the code does not know, none it lacks.
    keys = {k.split(".")[-1] for k in cat if k.startswith(base + ".a_")}
    assert keys == {f"a_{a}" for a in P.PREDICTIONS[pid].answers}


def check_reveal(at, lang: str, pid: str, key: str, judge, guess: str) -> str:
    """After a page's runs finished: the alert ui.predict shows is the one ``judge`` derives from the
    session's own snapshots, compared with ``guess``, the answer the test picked before Train.
    Returns the answer the run supports."""
    verdict = judge(live_snapshots(at, key))
    assert verdict is not None and verdict.answer in P.PREDICTIONS[pid].answers
    assert prediction_box(at, lang) == UP.verdict_text(pid, verdict, guess, lang)
    return verdict.answer


@pytest.mark.parametrize("lang", i18n.LANGS)
def test_the_alert_says_the_supported_answer_and_compares_the_guess(lang):
    v = P.Verdict("residual", {"depth": 56, "plain": 0.9037, "residual": 0.007})
    kind, text = UP.verdict_text("degradation", v, None, lang)
    pct = i18n.fmt_float(90.4, lang, 1)
    assert kind == "info" and f"{pct} %" in text and "56" in text and text.endswith(i18n.text(lang, "predict.no_guess"))
    assert UP.verdict_text("degradation", v, "residual", lang)[0] == "success"
    kind, text = UP.verdict_text("degradation", v, "plain", lang)
    assert kind == "warning" and i18n.text(lang, "predict.degradation.a_plain") in text


@pytest.mark.parametrize("lang", i18n.LANGS)
def test_lesion_reason_reads_true_when_a_deletion_raises_accuracy(lang):
    # Residual net 0.95 -> median 0.97 after one deletion: the reason names both accuracies, never a
    # negative "loss".
    v = P.judge_lesion(lesion(0.9, [0.1, 0.2, 0.8], 0.95, [0.97, 0.97, 0.9]))
    assert v.answer == "plain"
    text = UP.why("lesion", v, lang)
    assert "-" not in text and "−" not in text
    for x in (0.9, 0.2, 0.95, 0.97):
        assert UP._pct(x, lang) in text


def toy_result(plain_steps, skip_steps, plain_div=None, skip_div=None):
    from types import SimpleNamespace

    from core.lessons.toy import ToyConfig

    run = lambda steps, div: SimpleNamespace(steps_to_threshold=steps, diverged_at=div,  # noqa: E731
                                             losses=np.array([1.0, 0.02, 0.004, np.nan if div else 0.003]))
    return SimpleNamespace(config=ToyConfig(), plain=run(plain_steps, plain_div), skip=run(skip_steps, skip_div))


@pytest.mark.parametrize("plain, skip, plain_div, skip_div, answer, case", [
    (97, 54, None, None, "skip", ""), (54, 97, None, None, "plain", ""),
    (100, 91, None, None, "same", ""), (100, 89, None, None, "skip", ""), (91, 100, None, None, "same", ""),
    (None, 54, None, None, "skip", "plain_missed"), (12, 54, 40, None, "skip", "plain_diverged"),
    (54, None, None, 3, "plain", "skip_diverged"), (54, None, None, None, "plain", "skip_missed"),
    (None, None, None, None, "neither", ""), (None, None, None, 5, "neither", "diverged")])
def test_toy_reads_steps_to_the_threshold_with_a_tenth_as_the_same(plain, skip, plain_div, skip_div, answer, case):
    v = P.judge_toy(toy_result(plain, skip, plain_div, skip_div))
    assert (v.answer, v.case) == (answer, case)
    assert v.numbers["threshold"] == 1e-3 and v.numbers["steps"] == 300
    assert v.numbers["plain_min"] == 0.003 or plain_div  # the lowest finite loss, quoted when a run missed


def test_toy_verdict_for_the_default_settings_is_the_skip_over_seeds():
    """What the page's verdict says for the default 2x over seeds 0-19 (the lesson's "usually"): when
    measured, the skip 15 times, the plain net 3 times (seeds 1, 6, 13), about the same twice."""
    from core.lessons.toy import ToyConfig, run_toy

    answers = [P.judge_toy(run_toy(ToyConfig(seed=s))).answer for s in range(20)]
    assert answers.count("skip") >= 13 and answers.count("skip") > 3 * answers.count("plain"), answers
