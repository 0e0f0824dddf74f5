"""Lesson 1's worked example y = σ(F(x) + x) against the same expression in PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from core.errors import CoreError
from core.lessons.cells import parse_cell, parse_table
from core.lessons.worked import DEFAULT_NUMBERS, worked_example


def _torch_steps(x, W1, b1, W2, b2, final_relu: bool) -> dict[str, torch.Tensor]:
    """The block as nn.Linear layers in float64, every intermediate kept."""
    d, m = len(x), len(b1)
    fc1, fc2 = torch.nn.Linear(d, m).double(), torch.nn.Linear(m, d).double()
    with torch.no_grad():
        for layer, w, b in ((fc1, W1, b1), (fc2, W2, b2)):
            layer.weight.copy_(torch.tensor(w, dtype=torch.float64))
            layer.bias.copy_(torch.tensor(b, dtype=torch.float64))

    def block(v: torch.Tensor) -> torch.Tensor:
        out = fc2(torch.relu(fc1(v))) + v
        return torch.relu(out) if final_relu else out

    xt = torch.tensor(x, dtype=torch.float64)
    z1 = fc1(xt)
    h = torch.relu(z1)
    F = fc2(h)
    return dict(
        z1=z1, h=h, F=F, pre=F + xt, y=block(xt),
        jacobian=torch.autograd.functional.jacobian(block, xt),
        jacobian_F=torch.autograd.functional.jacobian(lambda v: fc2(torch.relu(fc1(v))), xt),
    )


def _random_numbers(seed: int, d: int, m: int) -> dict:
    rng = np.random.default_rng(seed)
    return dict(
        x=rng.normal(size=d), W1=rng.normal(size=(m, d)), b1=rng.normal(size=m),
        W2=rng.normal(size=(d, m)), b2=rng.normal(size=d),
    )


@pytest.mark.parametrize("final_relu", [True, False])
@pytest.mark.parametrize("numbers", [DEFAULT_NUMBERS, _random_numbers(0, 3, 4), _random_numbers(1, 5, 2)])
def test_every_step_matches_pytorch(numbers, final_relu):
    ex = worked_example(**numbers, final_relu=final_relu)
    ref = _torch_steps(**numbers, final_relu=final_relu)
    for name, value in ref.items():
        np.testing.assert_allclose(getattr(ex, name), value.detach().numpy(), rtol=1e-12, atol=1e-12, err_msg=name)


def test_default_numbers_show_both_relus_at_work():
    ex = worked_example()
    np.testing.assert_array_equal(ex.z1, [-0.5, 1.5, 0.5])
    np.testing.assert_array_equal(ex.y, [0.0, 2.25])
    assert (ex.z1 < 0).any() and (ex.h == 0).any()  # a hidden unit is switched off
    assert (ex.pre < 0).any() and (ex.y == 0).any()  # and an output by the last ReLU
    # Where the last ReLU passes, ∂y/∂x is ∂F/∂x + I (seed 004).
    live = ex.pre > 0
    np.testing.assert_allclose(ex.jacobian[live], (ex.jacobian_F + np.eye(2))[live])
    np.testing.assert_array_equal(ex.y_plain, np.maximum(ex.F, 0))


def test_without_final_relu_the_jacobian_is_identity_plus_branch():
    ex = worked_example(**_random_numbers(2, 4, 3), final_relu=False)
    np.testing.assert_allclose(ex.jacobian - ex.jacobian_F, np.eye(4), atol=1e-12)
    np.testing.assert_array_equal(ex.y, ex.F + ex.x)


def _error(**changes) -> CoreError:
    numbers = {**DEFAULT_NUMBERS, **changes}
    with pytest.raises(CoreError) as err:
        worked_example(**numbers)
    return err.value


def test_shape_errors_name_the_input_and_the_shape_it_needs():
    e = _error(W1=[[1.0, 2.0, 3.0]] * 3)  # 3 columns for a 2-vector
    assert e.code == "bad_shape" and e.params == {"name": "W1", "got": (3, 3), "expected": (3, 2)}
    e = _error(W2=[[1.0, 2.0]] * 2)  # must be d × m = 2 × 3
    assert e.code == "bad_shape" and e.params["name"] == "W2" and e.params["expected"] == (2, 3)
    e = _error(b2=[1.0, 2.0, 3.0])
    assert e.code == "bad_shape" and e.params["name"] == "b2"
    e = _error(x=[[1.0, 2.0]])
    assert e.code == "bad_shape" and e.params["name"] == "x"


def test_values_that_are_not_numbers():
    assert _error(x=["one", 2.0]).code == "not_a_number"
    assert _error(b1=[0.5, float("nan"), 0.5]).code == "not_a_number"
    assert _error(x=[None, 2.0]).code == "not_a_number"
    ragged = _error(W1=[[1.0, -1.0], [0.5], [-1.0, 0.5]])
    assert ragged.code == "bad_shape" and ragged.params["got"] == (3, "ragged")
    assert _error(x=[1.0] * 9, W1=[[1.0] * 9] * 3, W2=[[1.0] * 3] * 9, b2=[0.0] * 9).code == "out_of_range"



# ---- Cells typed by the student (issue 13, item 6: "1e309" became 1309 and "x1" became 1) ------------

@pytest.mark.parametrize("text, comma, value", [
    ("-0.5", False, -0.5), ("−2", False, -2.0), (" 3 ", False, 3.0), ("1.5e3", False, 1500.0), (".5", False, 0.5),
    ("0,5", True, 0.5), ("0,5", False, 0.5), ("1,000", True, 1.0), ("1e6", False, 1e6), (2, False, 2.0),
])
def test_a_typed_cell_reads_as_the_number_it_says(text, comma, value):
    assert parse_cell(text, comma) == value


@pytest.mark.parametrize("text", ["1e309", "x1", "1x", "", None, "nan", "inf", "-inf", "1e7", "1,000", "1.2.3",
                                  "1,5.2", "0x10", "1_000", "--1", float("nan")])
def test_a_cell_that_is_not_a_usable_number_is_refused(text):
    with pytest.raises(ValueError):
        parse_cell(text)


def test_a_table_names_the_first_bad_cell_by_row_and_column():
    np.testing.assert_array_equal(parse_table("W₁", [["1", "-1"], ["0,5", "2e0"]]), [[1.0, -1.0], [0.5, 2.0]])
    with pytest.raises(CoreError) as e:
        parse_table("W₁", [["1", "-1"], ["1e309", "x1"], ["0", "0"]])
    assert e.value.code == "bad_cell"
    assert e.value.params == {"name": "W₁", "row": 2, "column": 1, "text": "1e309", "limit": 1_000_000}
    with pytest.raises(CoreError) as e:
        parse_table("x", [["1"], [None]])
    assert (e.value.params["row"], e.value.params["column"], e.value.params["text"]) == (2, 1, "")


@pytest.mark.parametrize("lang, expected", [
    ("en", "W₁, row 2, column 1: “1e309” is not a number the example can use. Type a number between −1,000,000 and 1,000,000"),
    ("vi", "W₁, hàng 2, cột 1: “1e309” không phải là số mà ví dụ dùng được. Hãy gõ một số trong khoảng −1.000.000 đến 1.000.000"),
])
def test_the_bad_cell_message_names_the_cell_in_each_language(lang, expected):
    from core.errors import BadCell
    from ui import i18n, runs

    err = BadCell("W₁", 2, 1, "1e309", 1_000_000)
    assert i18n.text(lang, "error.bad_cell", **runs.error_params(err.params, lang)).startswith(expected)
    typed = runs.error_params(BadCell("x", 1, 1, "*$x$*", 10).params, lang)["text"]
    assert typed == r"\*\$x\$\*"  # shown as typed, not as Markdown or LaTeX
