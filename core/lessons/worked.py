"""Lesson 1's worked example: y = σ(F(x) + x) with F(x) = W2·σ(W1·x + b1) + b2 and σ = ReLU.

Small numbers the student can edit; every intermediate value is returned so the page can show the
computation line by line. Computed in float64 with NumPy; the tests run the same expression in
PyTorch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.errors import BadShape, NotANumber, OutOfRange

MAX_DIM = 8  # largest input / hidden size an editable table stays readable at

# Chosen so that one hidden unit is switched off by the first ReLU (z1[0] < 0) and one output by
# the last (F + x)[0] < 0, and every value is an exact binary fraction (no rounding on screen).
# Tuples, so the defaults of worked_example cannot be changed by a caller.
DEFAULT_NUMBERS = {
    "x": (1.0, 2.0),
    "W1": ((1.0, -1.0), (0.5, 1.0), (-1.0, 0.5)),
    "b1": (0.5, -1.0, 0.5),
    "W2": ((1.0, -1.0, 0.5), (-0.5, 0.5, -2.0)),
    "b2": (0.0, 0.5),
}


@dataclass(frozen=True)
class WorkedExample:
    x: np.ndarray  # (d,) input
    W1: np.ndarray  # (m, d)
    b1: np.ndarray  # (m,)
    W2: np.ndarray  # (d, m): brings the m hidden units back to d, so F(x) can be added to x
    b2: np.ndarray  # (d,)
    z1: np.ndarray  # (m,) W1·x + b1
    h: np.ndarray  # (m,) σ(z1)
    F: np.ndarray  # (d,) W2·h + b2, the residual branch
    pre: np.ndarray  # (d,) F(x) + x, the addition of the skip
    y: np.ndarray  # (d,) σ(F(x) + x), or F(x) + x when final_relu is False
    y_plain: np.ndarray  # (d,) the same layers without the skip: σ(F(x)) (or F(x))
    jacobian: np.ndarray  # (d, d) ∂y/∂x = diag(σ'(F + x)) · (∂F/∂x + I)
    jacobian_F: np.ndarray  # (d, d) ∂F/∂x = W2 · diag(σ'(z1)) · W1
    final_relu: bool  # True: y = σ(F + x) (original ResNet); False: y = F + x (pre-activation)


def _array(name: str, value, ndim: int) -> np.ndarray:
    """``value`` as a float64 array of ``ndim`` dimensions, or a CoreError naming ``name``."""
    expected = ("d",) if ndim == 1 else ("rows", "columns")
    if ndim == 2 and isinstance(value, (list, tuple)):
        lengths = {len(row) if isinstance(row, (list, tuple, np.ndarray)) else -1 for row in value}
        if len(lengths) > 1:  # rows of different lengths: not a matrix
            raise BadShape(name, (len(value), "ragged"), expected)
    try:
        arr = np.array(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise NotANumber(name) from None  # text, None, …
    if arr.ndim != ndim:
        raise BadShape(name, arr.shape, expected)
    if not np.all(np.isfinite(arr)):
        raise NotANumber(name)
    return arr


def validate(x, W1, b1, W2, b2) -> tuple[np.ndarray, ...]:
    """Check the shapes fit together (x: d, W1: m×d, b1: m, W2: d×m, b2: d) and return float arrays."""
    x = _array("x", x, 1)
    W1 = _array("W1", W1, 2)
    b1 = _array("b1", b1, 1)
    W2 = _array("W2", W2, 2)
    b2 = _array("b2", b2, 1)
    d, m = x.shape[0], W1.shape[0]
    if not (1 <= d <= MAX_DIM):
        raise OutOfRange("len(x)", d, 1, MAX_DIM)
    if not (1 <= m <= MAX_DIM):
        raise OutOfRange("hidden units", m, 1, MAX_DIM)
    for name, arr, shape in (("W1", W1, (m, d)), ("b1", b1, (m,)), ("W2", W2, (d, m)), ("b2", b2, (d,))):
        if arr.shape != shape:
            raise BadShape(name, arr.shape, shape)
    return x, W1, b1, W2, b2


def relu(v: np.ndarray) -> np.ndarray:
    """σ(v) = max(v, 0), elementwise."""
    return np.maximum(v, 0.0)


def worked_example(
    x=DEFAULT_NUMBERS["x"],
    W1=DEFAULT_NUMBERS["W1"],
    b1=DEFAULT_NUMBERS["b1"],
    W2=DEFAULT_NUMBERS["W2"],
    b2=DEFAULT_NUMBERS["b2"],
    final_relu: bool = True,
) -> WorkedExample:
    """Evaluate y = σ(F(x) + x) step by step. Raises a CoreError for shapes that do not fit."""
    x, W1, b1, W2, b2 = validate(x, W1, b1, W2, b2)
    z1 = W1 @ x + b1  # (m,)
    h = relu(z1)  # (m,)
    F = W2 @ h + b2  # (d,)
    pre = F + x  # (d,) y = F(x) + x
    y = relu(pre) if final_relu else pre
    y_plain = relu(F) if final_relu else F

    # Chain rule; σ'(v) = 1 where v > 0, else 0 (PyTorch also takes 0 at the kink v = 0).
    jac_F = W2 @ np.diag((z1 > 0).astype(np.float64)) @ W1  # (d, d)
    outer = np.diag((pre > 0).astype(np.float64)) if final_relu else np.eye(len(x))
    jac = outer @ (jac_F + np.eye(len(x)))  # (d, d)
    return WorkedExample(x, W1, b1, W2, b2, z1, h, F, pre, y, y_plain, jac, jac_F, final_relu)

