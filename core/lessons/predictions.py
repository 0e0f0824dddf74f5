"""Predict, then watch: the question each live experiment asks before it runs, and which answer the
run's own numbers support (no streamlit).

A student commits to a guess before Train (predict–observe–explain); after the run the page names
the answer the run supports. That answer is never a fixed key: ``judge`` reads it from the finished
runs, with the same thresholds the lesson's sentences use, so a run that came out the other way
says so. The questions aim at known misconceptions:

* lesson 1: "skips only fix vanishing gradients" (a net of a few layers, no vanishing gradient, and
  the skip still changes how fast it learns: what the layers must learn is H(x) − x, not H(x));
* lesson 2 and the Lab: "deeper plain nets only overfit" (their *training* error is the one that rises);
* lesson 3: "skips only fix vanishing gradients" (with BatchNorm a deep plain net's gradients can
  explode instead: Yang et al. 2019);
* lesson 7: long skips carry the encoder's detail to the decoder;
* lesson 8: "a ResNet is one deep path" (deleting one block barely hurts it: Veit et al. 2016).

The question and answer texts are the catalog's ``predict.<id>`` sections (ui.predict draws them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from core.lessons.kinds import long_reading
from core.lessons.lesion import summarize
from core.lessons.readings import change
from core.training.jobs import JobSnapshot

SAME_POINTS = 0.01  # two errors (or two accuracy losses) within one percentage point read "about the same"


@dataclass(frozen=True)
class Verdict:
    """The answer a run supports, and the numbers the page's one-sentence reason quotes."""

    answer: str
    numbers: dict[str, float]
    case: str = ""  # which of the answer's reasons applies (catalog key why_<answer>_<case>); "" the usual one


@dataclass(frozen=True)
class Prediction:
    """A question's answers; its judge_* function below reads which one a finished run supports
    (a page calls it with what it has drawn: snapshots, a lesion result, a denoising pair)."""

    id: str  # catalog section predict.<id>, and the poll's question
    answers: tuple[str, ...]  # answer ids, in the order shown; catalog keys a_<id> and why_<id>


def lower(a: float, b: float, names: tuple[str, str], tol: float = SAME_POINTS) -> str:
    """Which of two errors is lower: names[0] for a, names[1] for b, "same" within ``tol``."""
    if abs(a - b) <= tol + 1e-12:  # 0.20 − 0.19 is 0.0100000000000000009 in floats
        return "same"
    return names[0] if a < b else names[1]


def _done(snaps: Sequence[JobSnapshot]) -> bool:
    return bool(snaps) and all(s.status == "done" for s in snaps)


# ---- Lesson 1: the toy, with and without the skip ------------------------------------------------

SAME_STEPS = 0.1  # step counts within a tenth of the larger one read "about the same"


def judge_toy(result) -> Verdict:
    """A ToyResult (core.lessons.toy): which run reached the threshold in fewer steps. A run that
    diverged, or never got below the threshold within its steps, did not reach it."""
    def reached(run) -> int | None:
        return None if run.diverged_at is not None else run.steps_to_threshold

    def lowest(run) -> float:
        finite = [float(x) for x in run.losses if x == x and abs(x) != float("inf")]
        return min(finite) if finite else float("nan")

    plain, skip = result.plain, result.skip
    p, s = reached(plain), reached(skip)
    numbers = {"threshold": result.config.threshold, "steps": result.config.steps, "depth": result.config.depth,
               "plain": p or 0, "skip": s or 0,
               "plain_min": lowest(plain), "skip_min": lowest(skip)}

    def missed(run) -> str:  # why the other run did not reach it
        return "diverged" if run.diverged_at is not None else "missed"

    if p is None and s is None:
        return Verdict("neither", numbers, "diverged" if plain.diverged_at is not None or skip.diverged_at is not None else "")
    if p is None:
        return Verdict("skip", numbers, "plain_" + missed(plain))
    if s is None:
        return Verdict("plain", numbers, "skip_" + missed(skip))
    if abs(p - s) <= SAME_STEPS * max(p, s):
        return Verdict("same", numbers)
    return Verdict("skip" if s < p else "plain", numbers)


# ---- Lesson 2: at the deepest depth, plain or residual? --------------------------------------------

def judge_degradation(snaps: Sequence[JobSnapshot]) -> Verdict | None:
    """The deepest plain and residual nets of the run: which ends with the lower training error."""
    if not _done(snaps) or not all(s.epochs for s in snaps):
        return None
    deep = max(s.task.depth for s in snaps)
    final = {s.task.skip: s.epochs[-1].train_error for s in snaps if s.task.depth == deep}
    if set(final) != {False, True}:
        return None
    return Verdict(lower(final[False], final[True], ("plain", "residual")),
                   {"depth": deep, "plain": final[False], "residual": final[True]})


# ---- The Lab: the plain-vs-residual pair -----------------------------------------------------------

def lab_pair(snaps: Sequence[JobSnapshot]) -> tuple[JobSnapshot, JobSnapshot] | None:
    """The newest plain/residual pair among the Lab's runs: two runs whose settings differ only in
    the skip (the pair button's runs, or two single runs that happen to match)."""
    for i in range(len(snaps) - 1, -1, -1):
        res = snaps[i]
        if not res.task.skip:
            continue
        for plain in reversed(snaps):
            if not plain.task.skip and plain.task.replace(skip=True) == res.task:
                return plain, res
    return None


def judge_lab_pair(snaps: Sequence[JobSnapshot]) -> Verdict | None:
    """The pair's final training errors: which net ends lower."""
    pair = lab_pair(snaps)
    if pair is None or not _done(pair) or not all(s.epochs for s in pair):
        return None
    plain, res = (s.epochs[-1].train_error for s in pair)
    return Verdict(lower(plain, res, ("plain", "residual")),
                   {"depth": pair[0].task.depth, "plain": plain, "residual": res})


# ---- Lesson 3: the plain net's first-layer gradient during training ---------------------------------

def judge_gradients(snaps: Sequence[JobSnapshot]) -> Verdict | None:
    """At the last logged step, the first unit's gradient norm over the top unit's, for the plain net:
    below a tenth "vanishes", above ten times "explodes", else "kept" (core.lessons.readings.change)."""
    if not _done(snaps) or not all(s.steps for s in snaps):
        return None
    ratios = {}
    for s in snaps:
        norms = s.steps[-1].grad_norms
        ratios[s.task.skip] = norms[0] / norms[-1] if norms[-1] > 0 else float("inf")
    if set(ratios) != {False, True}:
        return None
    return Verdict(change(ratios[False]), {"depth": snaps[0].task.depth, "plain": ratios[False],
                                           "residual": ratios[True]})


# ---- Lesson 7: the denoiser without its long skips ---------------------------------------------------

def judge_long_skips(results: dict[bool, object]) -> Verdict | None:
    """{long_skips: DenoiseResult}: does the test MSE go up or down without the long skips
    (core.lessons.kinds.trend's 5 % band reads "same")."""
    if set(results) != {False, True}:
        return None
    r = long_reading(results[True], results[False])
    return Verdict(r.overall, {"with": results[True].test_mse, "without": results[False].test_mse, "ratio": r.ratio})


# ---- Lesson 8: delete one block -------------------------------------------------------------------

def judge_lesion(result) -> Verdict | None:
    """A LesionResult: which net loses more test accuracy, intact minus the median over the single
    deletions the page quotes ("same" within one point)."""
    if result is None:
        return None
    sp, sr = summarize(result, result.plain), summarize(result, result.residual)
    lost_plain, lost_res = sp.intact - sp.median_single, sr.intact - sr.median_single
    # The net that loses more is the one whose remaining accuracy is lower: compare the negated losses.
    return Verdict(lower(-lost_plain, -lost_res, ("plain", "residual")),
                   {"plain": lost_plain, "residual": lost_res, "plain_intact": sp.intact, "residual_intact": sr.intact,
                    "plain_after": sp.median_single, "residual_after": sr.median_single})


PREDICTIONS: dict[str, Prediction] = {p.id: p for p in (
    Prediction("toy", ("skip", "plain", "same", "neither")),  # lesson 1: judge_toy
    Prediction("degradation", ("plain", "residual", "same")),  # lesson 2: judge_degradation
    Prediction("gradients", ("vanishes", "kept", "explodes")),  # lesson 3: judge_gradients
    Prediction("long_skips", ("up", "down", "same")),  # lesson 7: judge_long_skips
    Prediction("lesion", ("plain", "residual", "same")),  # lesson 8: judge_lesion
    Prediction("lab_pair", ("plain", "residual", "same")),  # the Lab: judge_lab_pair
)}
