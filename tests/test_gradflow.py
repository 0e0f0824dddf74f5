"""Lesson 3: ∂y/∂x = ∂F/∂x + I by autograd, Jacobian products through depth, plain vs residual nets."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from core.errors import CoreError
from core.lessons.gradflow import (
    StackConfig,
    _block_for,
    compare_grad_norms,
    jacobian_check,
    jacobian_products,
    stack_forward,
    stack_weights,
)
from core.models.resnet import cifar_resnet
from core.models.units import block_units, layer_grad_norms


@pytest.mark.parametrize("kind, width", [("mlp", 6), ("preact", 2)])
@pytest.mark.parametrize("seed", [0, 1])
def test_jacobian_of_residual_block_is_branch_plus_identity(kind, width, seed):
    r = jacobian_check(kind, width=width, side=3, seed=seed)
    n = width if kind == "mlp" else width * 9
    assert r.jac_y.shape == r.jac_F.shape == (n, n)
    assert r.max_deviation <= 1e-6  # float32 rounding only
    np.testing.assert_allclose(r.difference, np.eye(n), atol=1e-6)
    assert r.jac_F_norm > 0.1  # the branch is not negligible: I is not hiding in the noise


def test_mlp_branch_jacobian_matches_the_chain_rule():
    r = jacobian_check("mlp", width=5, seed=3)
    block, x = _block_for("mlp", 5, 3, 3)
    W1, b1, W2 = block.fc1.weight.detach(), block.fc1.bias.detach(), block.fc2.weight.detach()
    mask = ((W1 @ x + b1) > 0).float()
    np.testing.assert_allclose(r.jac_F, (W2 * mask) @ W1, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_stack_end_to_end_jacobian_and_gradients_match_autograd(activation):
    cfg = StackConfig(depth=12, width=8, activation=activation, gain=1.3, seed=2)
    r = jacobian_products(cfg)
    weights, x0, u = stack_weights(cfg)
    for alpha, end, grads in ((None, r.plain_end_to_end, r.plain_grad), (r.alpha, r.residual_end_to_end, r.residual_grad)):
        auto = torch.autograd.functional.jacobian(lambda v: stack_forward(v, weights, activation, alpha), x0)
        np.testing.assert_allclose(end, auto.numpy(), rtol=1e-10, atol=1e-12)
        # The gradient of u·x_L at the input, and at x_6 (the top half of the stack only).
        x = x0.clone().requires_grad_(True)
        (u @ stack_forward(x, weights, activation, alpha)).backward()
        assert grads[0] == pytest.approx(float(x.grad.norm()), rel=1e-10)
        x6 = stack_forward(x0, weights[:6], activation, alpha).requires_grad_(True)
        (u @ stack_forward(x6, weights[6:], activation, alpha)).backward()
        assert grads[6] == pytest.approx(float(x6.grad.norm()), rel=1e-10)
        assert grads[-1] == 1.0


def test_products_of_norms_bound_the_real_gradient():
    r = jacobian_products(StackConfig(depth=30))
    assert r.plain_bound[0] == pytest.approx(np.prod(r.plain_layer_norms), rel=1e-10)
    assert r.residual_bound[0] == pytest.approx(np.prod(r.residual_layer_norms), rel=1e-10)
    assert np.all(r.plain_grad <= r.plain_bound * (1 + 1e-9))
    assert np.all(r.residual_grad <= r.residual_bound * (1 + 1e-9))


def test_plain_gradient_vanishes_or_explodes_residual_stays_order_one():
    vanish = jacobian_products(StackConfig(depth=50, gain=1.0))
    assert vanish.plain_grad[0] < 1e-6
    assert 0.1 < vanish.residual_grad[0] < 10
    assert vanish.plain_singular[0] < 1e-6 < 0.1 < vanish.residual_singular[0]
    explode = jacobian_products(StackConfig(depth=50, gain=2.0))
    assert explode.plain_grad[0] > 1e4
    assert explode.residual_grad[0] < 1e-2 * explode.plain_grad[0]
    # Each residual block's Jacobian I + α·J is close to 1 in norm; a plain layer's is not.
    assert np.all(np.abs(vanish.residual_layer_norms - 1) < 0.6)


def test_stack_is_deterministic_and_seeded():
    a, b = jacobian_products(StackConfig(depth=10, seed=4)), jacobian_products(StackConfig(depth=10, seed=4))
    np.testing.assert_array_equal(a.plain_grad, b.plain_grad)
    np.testing.assert_array_equal(a.residual_end_to_end, b.residual_end_to_end)
    assert jacobian_products(StackConfig(depth=10, seed=5)).plain_grad[0] != a.plain_grad[0]
    assert a.alpha == pytest.approx(1 / math.sqrt(10))


@pytest.fixture(scope="module")
def batch():
    g = torch.Generator().manual_seed(0)
    return torch.randn(8, 3, 8, 8, generator=g), torch.randint(0, 10, (8,), generator=g)


def test_grad_norms_are_layer_grad_norms_of_the_two_nets(batch):
    x, y = batch
    r = compare_grad_norms(14, x, y, seed=1)
    for skip, values, loss in ((False, r.plain, r.plain_loss), (True, r.residual, r.residual_loss)):
        torch.manual_seed(1)
        model = cifar_resnet(14, skip=skip).train()
        out = F.cross_entropy(model(x), y)
        out.backward()
        ref = layer_grad_norms(model)
        assert r.names == tuple(n for n, _ in block_units(model))
        np.testing.assert_allclose(values, [v for _, v in ref], rtol=1e-5)
        assert loss == pytest.approx(out.item(), rel=1e-6)


def test_plain_and_residual_nets_start_from_the_same_weights():
    torch.manual_seed(0)
    plain = cifar_resnet(14, skip=False).state_dict()
    torch.manual_seed(0)
    res = cifar_resnet(14, skip=True).state_dict()
    assert plain.keys() == res.keys()
    assert all(torch.equal(plain[k], res[k]) for k in plain)


def test_deep_plain_net_with_bn_explodes_towards_the_input(batch):
    """At init with BN, a deep plain net's early gradients are far larger than its late ones;
    the residual net of the same depth keeps them within a small factor."""
    x, y = batch
    r = compare_grad_norms(56, x, y)
    assert r.plain_early_late > 100
    assert r.residual_early_late < 30
    assert r.plain_early_late > 10 * r.residual_early_late
    again = compare_grad_norms(56, x, y)
    np.testing.assert_array_equal(r.plain, again.plain)


@pytest.mark.parametrize(
    "x_shape, y, code",
    [
        ((8, 3, 8, 8), torch.zeros(7, dtype=torch.long), "bad_shape"),
        ((8, 3, 8, 8), torch.full((8,), 10), "out_of_range"),
        ((8, 3, 8, 8), torch.zeros(8), "bad_choice"),
        ((1, 3, 3, 3), torch.zeros(1, dtype=torch.long), "bn_one_value"),
        ((3, 8, 8), torch.zeros(3, dtype=torch.long), "bad_shape"),
        ((2, 3, 2, 2), torch.zeros(2, dtype=torch.long), "input_too_small"),
    ],
)
def test_bad_batches_are_core_errors(x_shape, y, code):
    with pytest.raises(CoreError) as err:
        compare_grad_norms(8, torch.randn(x_shape), y)
    assert err.value.code == code


def test_bn_one_value_mirrors_pytorch():
    """The case refused up front is the one PyTorch itself refuses in train mode."""
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        cifar_resnet(8).train()(torch.randn(1, 3, 3, 3))
    with pytest.raises(CoreError) as err:
        compare_grad_norms(8, torch.randn(1, 3, 3, 3), torch.zeros(1, dtype=torch.long))
    assert err.value.params == {"n": 1, "height": 1, "width": 1}
    r = compare_grad_norms(8, torch.randn(1, 3, 3, 3), torch.zeros(1, dtype=torch.long), batchnorm=False)
    assert np.all(np.isfinite(r.plain))


def test_bad_depth_and_settings():
    with pytest.raises(CoreError) as err:
        compare_grad_norms(10, torch.randn(2, 3, 8, 8), torch.zeros(2, dtype=torch.long))
    assert err.value.code == "bad_depth"
    with pytest.raises(CoreError) as err:
        jacobian_products(StackConfig(activation="gelu"))
    assert err.value.code == "bad_choice"
    with pytest.raises(CoreError) as err:
        jacobian_products(StackConfig(depth=500))
    assert err.value.code == "out_of_range"
    with pytest.raises(CoreError) as err:
        jacobian_check("conv")
    assert err.value.code == "bad_choice"
