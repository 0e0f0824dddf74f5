"""Model summaries: output shape, parameters and multiply-adds per layer, block and stage.

Multiply-adds come from ``torch.utils.flop_counter.FlopCounterMode`` (which counts 2 FLOPs per
multiply-add of convolutions and matrix products), run on the ``meta`` device: shapes and counts
without allocating a single weight, so even ResNet-152 at 224×224 is summarised in milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from core.models import resnet as R
from core.models.blocks import BLOCKS


@dataclass(frozen=True)
class Row:
    name: str  # module path, e.g. "layer2.0"
    stage: str  # "stem", "layer1" … "layer4", "head"
    kind: str  # class name, e.g. "Bottleneck"
    out_shape: tuple[int, ...]  # (N, C, H, W) or (N, classes)
    params: int
    macs: int


@dataclass(frozen=True)
class Summary:
    model: str
    input_shape: tuple[int, ...]
    rows: tuple[Row, ...]
    params: int  # all trainable parameters of the model
    macs: int  # all multiply-adds of one forward pass (conv + fc)

    def stages(self) -> list[dict]:
        """Per stage: blocks, output shape of its last unit, parameters and multiply-adds."""
        out: dict[str, dict] = {}
        for r in self.rows:
            s = out.setdefault(r.stage, dict(stage=r.stage, units=0, out_shape=r.out_shape, params=0, macs=0))
            s["units"] += 1
            s["out_shape"] = r.out_shape
            s["params"] += r.params
            s["macs"] += r.macs
        return list(out.values())


def count_params(module: nn.Module) -> int:
    """Trainable parameters (BN running statistics are buffers, not parameters)."""
    return sum(p.numel() for p in module.parameters())


def _units(model: nn.Module) -> list[tuple[str, str, nn.Module]]:
    """(name, stage, module) of the rows of a summary, in forward order."""
    units: list[tuple[str, str, nn.Module]] = []
    for name in ("conv1", "bn1", "maxpool"):
        if isinstance(getattr(model, name, None), (nn.Conv2d, nn.BatchNorm2d, nn.MaxPool2d)):
            units.append((name, "stem", getattr(model, name)))
    for stage in ("layer1", "layer2", "layer3", "layer4"):
        layer = getattr(model, stage, None)
        if layer is not None:
            units += [(f"{stage}.{i}", stage, block) for i, block in enumerate(layer)]
    if isinstance(getattr(model, "final", None), nn.Sequential):
        units.append(("final", "head", model.final))
    units += [("avgpool", "head", model.avgpool), ("fc", "head", model.fc)]
    return units


def summarize(model: nn.Module, input_shape: tuple[int, ...]) -> Summary:
    """Run one forward pass on ``meta`` tensors and record shape, parameters and MACs per unit.

    ``model`` should live on the meta device (see ``summarize_family``); a real model works too.
    Raises ``core.errors.CoreError`` for an input the model cannot take.
    """
    device = next(model.parameters()).device
    units = _units(model)
    shapes: dict[str, tuple[int, ...]] = {}
    hooks = [
        m.register_forward_hook(lambda _m, _i, out, name=name: shapes.__setitem__(name, tuple(out.shape)))
        for name, _, m in units
    ]
    counter = FlopCounterMode(display=False)
    was_training = model.training
    model.eval()  # batch statistics of one sample are undefined where the map is 1×1
    try:
        with counter, torch.no_grad():
            model(torch.zeros(input_shape, device=device))
    finally:
        model.train(was_training)
        for h in hooks:
            h.remove()
    flops = counter.get_flop_counts()
    prefix = type(model).__name__
    rows = tuple(
        Row(
            name=name,
            stage=stage,
            kind=type(m).__name__,
            out_shape=shapes[name],
            params=count_params(m),
            macs=sum(flops.get(f"{prefix}.{name}", {}).values()) // 2,
        )
        for name, stage, m in units
    )
    return Summary(
        model=getattr(model, "name", prefix),
        input_shape=tuple(input_shape),
        rows=rows,
        params=count_params(model),
        macs=counter.get_total_flops() // 2,
    )


@lru_cache(maxsize=64)
def summarize_family(name: str, size: int = 224, in_channels: int = 3, num_classes: int = 1000) -> Summary:
    """Summary of a family member (``"resnet50"``, or ``"cifar20"`` for a CIFAR ResNet-20)."""
    with torch.device("meta"):
        if name.startswith("cifar"):
            model = R.cifar_resnet(int(name[5:]), num_classes=num_classes, in_channels=in_channels)
        else:
            model = R.build(name, num_classes=num_classes, in_channels=in_channels)
    return summarize(model, (1, in_channels, size, size))


@dataclass(frozen=True)
class LayerCost:
    name: str  # "conv1", "bn1", …
    kernel: int  # k of a k×k conv, 0 for BN
    c_in: int
    c_out: int
    out_hw: int  # output side length
    params: int  # by the formula: k²·C_in·C_out for a conv, 2·C for BN (γ, β)
    macs: int  # by the formula: k²·C_in·C_out·H_out·W_out for a conv, 0 for BN


@dataclass(frozen=True)
class BlockCost:
    kind: str
    in_shape: tuple[int, int, int, int]
    out_shape: tuple[int, ...]
    layers: tuple[LayerCost, ...] = field(default_factory=tuple)
    formula_params: int = 0
    formula_macs: int = 0
    module_params: int = 0  # counted on the real module
    module_macs: int = 0  # counted by FlopCounterMode on the real module


def block_cost(kind: str, inplanes: int, planes: int, size: int, stride: int = 1, shortcut: str = "B") -> BlockCost:
    """Parameters and multiply-adds of one block, by the formula and by the real module."""
    cls = BLOCKS[kind]
    with torch.device("meta"):
        block = cls(inplanes, planes, stride, skip=True, shortcut=shortcut).eval()
    x_shape = (1, inplanes, size, size)
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        out = block(torch.zeros(x_shape, device="meta"))

    layers: list[LayerCost] = []
    hw = size
    for name, m in block.named_modules():
        if isinstance(m, nn.Conv2d):
            k = m.kernel_size[0]
            hw_out = (hw + 2 * m.padding[0] - k) // m.stride[0] + 1 if name != "downsample.0" else (size - 1) // m.stride[0] + 1
            if name != "downsample.0":
                hw = hw_out
            layers.append(LayerCost(name, k, m.in_channels, m.out_channels, hw_out,
                                    k * k * m.in_channels * m.out_channels,
                                    k * k * m.in_channels * m.out_channels * hw_out * hw_out))
        elif isinstance(m, nn.BatchNorm2d):
            layers.append(LayerCost(name, 0, m.num_features, m.num_features, hw, 2 * m.num_features, 0))
    return BlockCost(
        kind=kind,
        in_shape=x_shape,
        out_shape=tuple(out.shape),
        layers=tuple(layers),
        formula_params=sum(lc.params for lc in layers),
        formula_macs=sum(lc.macs for lc in layers),
        module_params=count_params(block),
        module_macs=counter.get_total_flops() // 2,
    )


