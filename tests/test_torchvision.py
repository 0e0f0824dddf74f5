"""Our models against torchvision's, recorded as data (tests/torchvision_ref.py): a torchvision
checkpoint's keys, shapes and order load strictly, and with the same weights our nets compute what
torchvision's computed, output for output."""

from __future__ import annotations

import pytest
import torch

from core.models.densenet import densenet121
from core.models.resnet import resnet18, resnet50
from tests.torchvision_ref import example_input, recorded, weights

OURS = {"resnet18": resnet18, "resnet50": resnet50, "densenet121": densenet121}


@pytest.fixture(scope="module")
def data():
    return recorded()


@pytest.mark.parametrize("name", list(OURS))
def test_state_dict_is_torchvisions_key_for_key(name, data):
    want = [(k, tuple(shape)) for k, shape in data["models"][name]["state_dict"]]
    with torch.device("meta"):
        got = [(k, tuple(v.shape)) for k, v in OURS[name]().state_dict().items()]
    assert got == want  # the same keys, shapes and order


@pytest.mark.parametrize("name", list(OURS))
def test_a_torchvision_checkpoint_loads_strictly_and_computes_the_same(name, data):
    """The weights torchvision's model held when it produced the recorded output, loaded into ours."""
    layout = data["models"][name]["state_dict"]
    model = OURS[name]()
    model.load_state_dict(weights(layout), strict=True)
    with torch.no_grad():
        out = model.eval()(example_input())
    torch.testing.assert_close(out, torch.tensor(data["models"][name]["output"]), rtol=1e-4, atol=1e-5)
