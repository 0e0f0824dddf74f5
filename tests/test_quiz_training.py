"""Quiz answers of lessons 2 and 9 that rest on what training does, derived by training with core/.

Lesson 2's nets (real digits, option A shortcuts, the page's default recipe) come from the degradation
claim in assets/claims.json: ten seeds trained through worker processes by `python -m core claims`,
the file that tests/test_claims.py trains a seed of again and compares bit for bit. An answer holds only
if it holds on every stored seed. The Lab's divergence questions are trained here.
"""

from __future__ import annotations

import json

import pytest
import torch

from core.lessons import claims as C
from core.training.data import load_dataset
from core.training.engine import TrainConfig, build_model, train
from ui import i18n

CAT = i18n.catalog("en")


@pytest.fixture(scope="module")
def per_seed():
    """Final training error of every (depth, skip) run of lesson 2's default study, per stored seed."""
    entry = json.loads(C.PATH.read_text(encoding="utf-8"))["claims"]["degradation"]
    assert len(entry["per_seed"]) == 10
    return [r["numbers"] for r in entry["per_seed"]]


def test_lab_q1_the_residual_56_trains_lower_than_the_plain_56(per_seed):
    options = CAT["lab.quiz.q1.options"]
    lower = {"ResNet-56" if x["residual_56"] < x["plain_56"] else "Plain-56" for x in per_seed}
    assert len(lower) == 1, per_seed  # the same answer on every seed
    assert options.index(lower.pop()) == CAT["lab.quiz.q1.answer"], per_seed


def test_degradation_q3_plain_56_trains_worse_than_plain_20(per_seed):
    assert all(x["plain_56"] > x["plain_20"] for x in per_seed), per_seed
    assert CAT["degradation.quiz.q3.options"][CAT["degradation.quiz.q3.answer"]].startswith("Plain-56 vs Plain-20")


def test_lab_q2_a_smaller_learning_rate_or_batchnorm_stops_the_divergence():
    """The hint's run: SGD at learning rate 10 without BatchNorm diverges within a few steps; of the three
    fixes only the second one (learning rate 0.1, or BatchNorm on) trains through the epoch."""
    bad = TrainConfig(optimizer="sgd", lr=10.0, batchnorm=False, epochs=1)
    assert train(bad).status == "diverged"
    fixes = [bad.replace(epochs=2), bad.replace(lr=0.1), bad.replace(seed=1)]  # the options, in order
    fixed = [train(c).status == "done" for c in fixes]
    assert train(bad.replace(batchnorm=True)).status == "done"  # the option's other half
    assert fixed.index(True) == CAT["lab.quiz.q2.answer"] and fixed.count(True) == 1, fixed


def test_lab_try_list_learning_rate_5_without_batchnorm_diverges():
    """lab.md: "try learning rate 5 without BatchNorm and watch a run diverge" (SGD, depth 20)."""
    assert train(TrainConfig(optimizer="sgd", lr=5.0, batchnorm=False, epochs=1)).status == "diverged"


def test_lab_q3_one_seed_gives_plain_and_residual_nets_the_same_starting_weights():
    data = load_dataset("digits")
    base = TrainConfig(depth=20, seed=3)
    plain, residual = (build_model(base.replace(skip=s), data).state_dict() for s in (False, True))
    assert plain.keys() == residual.keys()
    assert all(torch.equal(plain[k], residual[k]) for k in plain)
    other = build_model(base.replace(seed=4), data).state_dict()
    assert not all(torch.equal(plain[k], other[k]) for k in plain)
    assert CAT["lab.quiz.q3.answer"] == 0 and "same starting weights" in CAT["lab.quiz.q3.options"][0]
