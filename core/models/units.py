"""A model's depth-ordered units (stem, every block of every stage, classifier) and the L2 norm of
each unit's weight gradients: what the engine logs at every step and lesson 3 draws."""

from __future__ import annotations

import torch
from torch import nn


def block_units(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """The model's depth-ordered units: stem conv, every block of every stage, the classifier."""
    units: list[tuple[str, nn.Module]] = []
    if hasattr(model, "conv1"):
        units.append(("conv1", model.conv1))
    for stage in ("layer1", "layer2", "layer3", "layer4"):
        layer = getattr(model, stage, None)
        if layer is not None:
            units += [(f"{stage}.{i}", b) for i, b in enumerate(layer)]
    if hasattr(model, "fc"):
        units.append(("fc", model.fc))
    return units


def layer_grad_norms(model: nn.Module) -> list[tuple[str, float]]:
    """L2 norm of the weight gradients of each unit (after ``loss.backward()``), input side first.

    Only weights of convolutions and linear layers count (not BN's γ, β), so plain and residual
    nets are compared on the same tensors.
    """
    out = []
    for name, unit in block_units(model):
        sq = torch.zeros(())
        for m in unit.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)) and m.weight.grad is not None:
                sq = sq + m.weight.grad.detach().float().pow(2).sum().cpu()
        out.append((name, float(sq.sqrt())))
    return out
