"""Quiz answers of lessons 2 and 9 that rest on what training does, derived by training with core/.

The nets are lesson 2's own configurations (real digits, option A shortcuts), shortened to one epoch so
the test stays affordable on a CPU; the gaps they show are wide (measured: Plain-56 ≈ 90 % training
error, chance level, against ResNet-56 ≈ 57 % after one epoch).
"""

from __future__ import annotations

import pytest
import torch

from core.training.data import load_dataset
from core.lessons.degradation import degradation_configs
from core.training.engine import TrainConfig, build_model, train
from core.training.tasks import EpochRecord
from ui import i18n

CAT = i18n.catalog("en")


def final_train_error(cfg: TrainConfig) -> float:
    records = []
    outcome = train(cfg, emit=records.append)
    assert outcome.status == "done", outcome
    return [r for r in records if isinstance(r, EpochRecord)][-1].train_error


@pytest.fixture(scope="module")
def one_epoch():
    """Training error after one epoch of Plain-20, Plain-56 and ResNet-56, seed 0, lesson 2's recipe."""
    configs = {(c.depth, c.skip): c for c in degradation_configs(0, (20, 56), 1)}
    return {key: final_train_error(configs[key]) for key in ((20, False), (56, False), (56, True))}


def test_lab_q1_the_residual_56_trains_lower_than_the_plain_56(one_epoch):
    options = CAT["lab.quiz.q1.options"]
    lower = "ResNet-56" if one_epoch[(56, True)] < one_epoch[(56, False)] else "Plain-56"
    assert options.index(lower) == CAT["lab.quiz.q1.answer"], one_epoch


def test_degradation_q3_plain_56_trains_worse_than_plain_20(one_epoch):
    assert one_epoch[(56, False)] > one_epoch[(20, False)], one_epoch
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
