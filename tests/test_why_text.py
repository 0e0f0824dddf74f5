"""Lesson 8's sentences against the computations they quote: the quiz answers derived with core/,
every branching sentence's helper driven on both sides, and the claims that must hold for every
value a control allows (path depth 8…110, lesion depth 8…56, epochs 1–20)."""

from __future__ import annotations

import copy
import itertools
import math

import numpy as np
import pytest
import torch

from core.lessons.landscape import basin_extent, next_try, parameter_count, roughness_verdict
from core.lessons.lesion import (LESION_DEFAULT_DEPTH, LESION_MAX_EPOCHS, UNTRAINED_MARGIN, LesionResult, NetLesion,
                                 blocks, closest_share, learned_little, summarize, untrained_advice)
from core.lessons.paths import (cifar_residual_blocks, enumerate_path_lengths, enumerate_paths_avoiding, path_lengths,
                                paths_avoiding)
from core.lessons.lesion import carried_similarity
from core.lessons.reuse import reuse_verdict, summarize_reuse
from core.models.blocks import PreActBlock
from core.models.resnet import cifar_resnet
from core.reference import reference
from core.training.data import load_dataset
from core.training.engine import TrainConfig, build_model
from ui import i18n
from ui.links import WHY_DEPTHS

PATH_DEPTHS = (8, 14, 20, 32, 44, 56, 110)  # the options of pages/why.py's path slider


def quiz(lang: str, q: int) -> dict:
    cat = i18n.catalog(lang)
    base = f"why.quiz.q{q}"
    return {k: cat[f"{base}.{k}"] for k in ("question", "options", "answer", "explain")}


# ---- quiz answers, derived ----


@pytest.mark.parametrize("lang", i18n.LANGS)
def test_quiz_q1_paths_and_most_common_length_are_computed(lang):
    stats = path_lengths(10)
    assert list(stats.counts) == enumerate_path_lengths(10)
    assert stats.most_common() == (5,)
    share5 = stats.counts[5] / stats.total
    assert stats.counts[5] == 252 and share5 < 0.5  # the mode, but not "most" of the paths
    q = quiz(lang, 1)
    total = i18n.fmt_int(stats.total, lang)
    right = [i for i, o in enumerate(q["options"]) if total in o and o.rstrip().endswith(str(stats.most_common()[0]))]
    assert right == [q["answer"]]
    assert "most of length" not in q["options"][q["answer"]] and "phần lớn dài" not in q["options"][q["answer"]]
    assert f"{stats.counts[5]} " in q["explain"] and f"{round(100 * share5)} %" in q["explain"]
    assert total in q["explain"]


def _preact_chain(seed: int = 0) -> list[PreActBlock]:
    torch.manual_seed(seed)
    chain = [PreActBlock(4, 4, skip=True, shortcut="A").eval() for _ in range(3)]
    for block in chain:  # BN statistics away from (0, 1), so that every branch is a real function
        block.bn1.running_mean.uniform_(-1, 1), block.bn2.running_var.uniform_(0.5, 2)
    return chain


def _branch(block: PreActBlock) -> PreActBlock:
    """The same block without its shortcut: F(x) alone, the same weights."""
    plain = PreActBlock(4, 4, skip=False, shortcut="A").eval()
    plain.load_state_dict(block.state_dict())
    return plain


@pytest.mark.parametrize("lang", i18n.LANGS)
def test_quiz_q4_block_4_receives_the_sum_of_all_earlier_features(lang):
    chain = _preact_chain()
    x0 = torch.randn(2, 4, 5, 5)
    with torch.no_grad():
        xs = [x0]
        for block in chain:
            xs.append(block(xs[-1]))
        f = [_branch(b)(x) for b, x in zip(chain, xs)]  # F₁(x₀), F₂(x₁), F₃(x₂)
    x3 = xs[3]
    candidates = [f[2], x0 + f[0] + f[1] + f[2], torch.cat([x0, *f], dim=1)]  # the options, in the catalog's order
    matches = [i for i, c in enumerate(candidates) if c.shape == x3.shape and torch.allclose(c, x3, atol=1e-5)]
    assert matches == [quiz(lang, 4)["answer"]] == [1]
    assert candidates[2].shape[1] == 4 * x0.shape[1]  # the concatenation option's "four times the channels"


@pytest.mark.parametrize("lang", i18n.LANGS)
def test_quiz_q2_deleting_one_block_removes_exactly_half_of_the_paths(lang):
    for n in range(1, 9):
        assert enumerate_paths_avoiding(n, {0}) * 2 == 2**n
    assert quiz(lang, 2)["answer"] == 1


# ---- paths ----


@pytest.mark.parametrize("n", range(1, 9))
def test_k_deletions_leave_two_to_the_minus_k_of_the_paths_whatever_n(n):
    for k in range(n + 1):
        for deleted in itertools.combinations(range(n), k):
            assert enumerate_paths_avoiding(n, set(deleted)) == paths_avoiding(n, k) == 2 ** (n - k)
        assert paths_avoiding(n, k) / 2**n == 2.0**-k


def test_the_middle_band_holds_most_paths_for_every_number_of_blocks():
    """The paths section says "most of the ensemble is of middle length" for any depth: the band
    within one standard deviation holds more than half of the paths for every n, not only the slider's."""
    for n in range(1, 301):
        low, high, share = path_lengths(n).middle_band()
        assert 0 <= low <= n / 2 <= high <= n and share > 0.6, n
    shares = {d: path_lengths(cifar_residual_blocks(d)).middle_band()[2] for d in PATH_DEPTHS}
    assert min(shares.values()) == pytest.approx(22880 / 32768)  # depth 32: lengths 6–9 of 15, 69.8 %
    assert max(shares.values()) == pytest.approx(420 / 512)  # depth 20: lengths 3–6 of 9, 82.0 %


# ---- the lesion sentences ----


def fake_lesion(plain_intact=0.9, res_intact=0.95, res_multi=None, chance=0.1, depth=14, epochs=8) -> LesionResult:
    n = cifar_residual_blocks(depth)
    res_multi = np.full((n, 2), 0.8) if res_multi is None else np.asarray(res_multi, dtype=float)
    carried = np.full((n, n), 0.5)
    net = lambda name, intact, multi: NetLesion(name, 0.0, intact, np.linspace(0.2, 0.6, n), multi, carried)  # noqa: E731
    down = tuple(i in (n // 3, 2 * n // 3) for i in range(n))
    return LesionResult(depth, epochs, tuple(f"b{i}" for i in range(n)), down,
                        net("Plain", plain_intact, np.full((n, 2), 0.1)), net("ResNet", res_intact, res_multi), chance, 364)


def test_half_sentence_both_sides():
    r = fake_lesion()  # mean 0.8 at every k, never below 0.95 / 2: the "never drops below half" sentence
    assert summarize(r, r.residual).half_k is None
    multi = np.full((6, 2), 0.8)
    multi[2:] = 0.3  # below half of 0.95 from k = 3 on
    r = fake_lesion(res_multi=multi)
    assert summarize(r, r.residual).half_k == 3


def test_learned_little_both_sides():
    assert learned_little(0.1 + UNTRAINED_MARGIN - 0.01, 0.1)
    assert not learned_little(0.1 + UNTRAINED_MARGIN + 0.01, 0.1)


def test_untrained_advice_every_branch():
    assert untrained_advice(True, 56, 1) == untrained_advice(False, 8, LESION_MAX_EPOCHS - 1) == "epochs"
    assert untrained_advice(True, 56, LESION_MAX_EPOCHS) == "depth"
    assert untrained_advice(True, LESION_DEFAULT_DEPTH, LESION_MAX_EPOCHS) == "seed"
    assert untrained_advice(False, 56, LESION_MAX_EPOCHS) == "seed"  # a deep residual net is not "too deep"


@pytest.mark.parametrize("depth", WHY_DEPTHS)
def test_closest_share_to_veits_ten_of_fifty_four(depth):
    veit = reference()["veit"]
    n = cifar_residual_blocks(depth)
    k = closest_share(n, veit["deleted_of_54"], veit["resnet110_blocks"])
    target = veit["deleted_of_54"] / veit["resnet110_blocks"]
    assert 1 <= k <= n and all(abs(k / n - target) <= abs(j / n - target) for j in range(1, n + 1))
    assert k == {8: 1, 14: 1, 20: 2, 32: 3, 44: 4, 56: 5}[depth]


def test_lesion_paper_quotes_are_the_reference_figures():
    veit, cifar = reference()["veit"], reference()["cifar"]
    assert (veit["deleted_of_54"], veit["error_after_10"]) == (10, 0.2)
    assert cifar["test_error"][cifar["depths"].index(110)] == 6.43
    # 10 deletions leave 1 path in 1,024 of ResNet-110's 2⁵⁴.
    assert 2 ** veit["resnet110_blocks"] // paths_avoiding(veit["resnet110_blocks"], veit["deleted_of_54"]) == 1024
    for lang in i18n.LANGS:
        paper = i18n.sections(lang, "why")["lesion_paper"]
        assert "{{error}} %" in paper and "{{intact}} %" in paper and "around {{error}}" not in paper


# ---- the landscape sentences ----


def test_roughness_verdict_both_sides_and_ties_at_the_shown_precision():
    assert roughness_verdict(0.30, 0.10) == "smoother"
    assert roughness_verdict(0.10, 0.30) == "rougher"
    assert roughness_verdict(0.1234, 0.1232) == "same"  # both print as 12.3 %
    assert roughness_verdict(0.0, 0.0) == "same"


def test_basin_extent_and_next_try_both_sides():
    assert basin_extent(1.0, 1.0) == "all"
    assert basin_extent(1.0, 0.99) == basin_extent(0.5, 1.0) == "part"
    assert next_try(20, max(WHY_DEPTHS)) == "deeper" and next_try(max(WHY_DEPTHS), max(WHY_DEPTHS)) == "seed"


@pytest.mark.parametrize("depth", [min(WHY_DEPTHS), max(WHY_DEPTHS)])
def test_parameter_counts_quoted_are_the_nets_trained(depth):
    cfg = TrainConfig(depth=depth)
    model = build_model(cfg, load_dataset("digits"))
    assert parameter_count(depth) == sum(p.numel() for p in model.parameters())


# ---- feature reuse ----


def test_a_residual_net_with_zero_branches_carries_every_earlier_output_unchanged():
    torch.manual_seed(0)
    model = cifar_resnet(14, 10, 1, True, "A", "basic", True, 8).eval()
    x = torch.randn(16, 1, 8, 8)
    sim = carried_similarity(model, x)
    n = len(blocks(model))
    later = np.triu(np.ones((n, n), dtype=bool), 1)  # column i > row j: not an earlier output
    assert sim.shape == (n, n) and np.isnan(sim[later]).all() and not np.isnan(sim[~later]).any()
    zeroed = copy.deepcopy(model)
    for _, block in blocks(zeroed):
        torch.nn.init.zeros_(block.bn2.weight), torch.nn.init.zeros_(block.bn2.bias)  # F(x) = 0
    ones = carried_similarity(zeroed, x)
    np.testing.assert_allclose(ones[~np.isnan(ones)], 1.0, atol=1e-5)
    assert summarize_reuse(ones).mean == pytest.approx(1.0, abs=1e-5)


def test_one_cell_by_hand():
    torch.manual_seed(1)
    model = cifar_resnet(8, 10, 1, False, "A", "basic", True, 8).eval()
    x = torch.randn(12, 1, 8, 8)
    sim = carried_similarity(model, x)
    with torch.no_grad():
        stem = torch.relu(model.bn1(model.conv1(x)))
        b1, b2 = model.layer1[0], model.layer2[0]
        out2 = b2(b1(stem))
        carried = torch.nn.functional.pad(stem[:, :, ::2, ::2], (0, 0, 0, 0, 0, 8))  # identity, then option A
        expected = torch.nn.functional.cosine_similarity(out2.flatten(1), torch.relu(carried).flatten(1), dim=1).mean()
    assert math.isclose(sim[1, 0], float(expected), rel_tol=1e-5)
    assert summarize_reuse(sim).far == sim[-1, 0]


def test_reuse_verdict_both_sides():
    assert reuse_verdict(0.25, 0.63) == "more"
    assert reuse_verdict(0.63, 0.25) == "less"
    assert reuse_verdict(0.251, 0.249) == "same"  # both print as 0.25
