"""torchvision's models as recorded data (tests/data/torchvision.json, written by
scripts/record_torchvision.py in an environment that has torchvision; the app never imports it):
each model's state_dict keys in order with their shapes, and its output on a fixed input with the
deterministic weights ``weights`` makes for that layout."""

from __future__ import annotations

import json
import zlib
from pathlib import Path

import numpy as np
import torch

DATA = Path(__file__).resolve().parent / "data" / "torchvision.json"
MODELS = {"resnet18": "resnet18", "resnet50": "resnet50", "densenet121": "densenet121"}  # name → torchvision builder
INPUT_SHAPE = (2, 3, 64, 64)


def weights(layout: list[tuple[str, list[int]]]) -> dict[str, torch.Tensor]:
    """A state_dict for ``layout`` ((key, shape) in order) with values that depend only on the key
    (NumPy's generator, the same in every torch version): weights ~ N(0, 0.05²), BN variances in
    [0.5, 1.5), batch counters 0."""
    out = {}
    for key, shape in layout:
        rng = np.random.default_rng(zlib.crc32(key.encode()))
        if key.endswith("num_batches_tracked"):
            out[key] = torch.zeros(shape, dtype=torch.long)
        elif key.endswith("running_var"):
            out[key] = torch.from_numpy(rng.uniform(0.5, 1.5, shape).astype(np.float32))
        else:
            out[key] = torch.from_numpy((0.05 * rng.standard_normal(shape)).astype(np.float32))
    return out


def example_input() -> torch.Tensor:
    return torch.from_numpy(np.random.default_rng(0).standard_normal(INPUT_SHAPE).astype(np.float32))


def recorded() -> dict:
    return json.loads(DATA.read_text(encoding="utf-8"))
