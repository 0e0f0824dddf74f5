"""Everything the "Anatomy of a residual block" lesson shows about one configured block."""

from __future__ import annotations

import inspect
from dataclasses import dataclass

from torch import nn

from core.models.blocks import BLOCKS, SHORTCUT_OPTIONS
from core.models.diagram import Edge, Node, trace_block
from core.errors import OutOfRange


@dataclass(frozen=True)
class BlockSpec:
    kind: str = "basic"  # "basic", "bottleneck" or "preact"
    skip: bool = True  # add the shortcut (residual) or not (plain)
    shortcut: str = "B"  # option used where the shape changes: "A", "B" or "C"
    inplanes: int = 64  # channels of x
    planes: int = 64  # width of the block; the output has planes × expansion channels
    stride: int = 1  # 2 halves the feature map (first block of a stage)
    size: int = 56  # side of the input feature map


@dataclass(frozen=True)
class BlockReport:
    spec: BlockSpec
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    in_shape: tuple[int, ...]
    out_shape: tuple[int, ...]
    params: int  # all parameters of the block
    shortcut_params: int  # parameters on the skip path (0 for identity and option A)
    bias_params_saved: int  # what conv biases would add; BN's β makes them redundant
    bias_before_bn: int  # the part of it on convs whose output goes straight into a BatchNorm (all but pre-activation)
    bn_params: int
    shortcut_kind: str  # "none" (plain), "identity", "A", "B" or "C"
    source: str  # the source code of the class that runs


LIMITS = dict(inplanes=(1, 2048), planes=(1, 1024), size=(2, 512))


def build_block(spec: BlockSpec) -> nn.Module:
    """The real block for ``spec``; raises a CoreError for out-of-range numbers."""
    for name, (low, high) in LIMITS.items():
        value = getattr(spec, name)
        if not low <= value <= high:
            raise OutOfRange(name, value, low, high)
    if spec.kind not in BLOCKS or spec.shortcut not in SHORTCUT_OPTIONS or spec.stride not in (1, 2):
        raise ValueError(f"unknown block configuration {spec}")  # the UI offers only valid choices
    return BLOCKS[spec.kind](spec.inplanes, spec.planes, spec.stride, skip=spec.skip, shortcut=spec.shortcut)


def inspect_block(spec: BlockSpec) -> BlockReport:
    """Trace the block, count its parameters and read its source."""
    block = build_block(spec)
    in_shape = (1, spec.inplanes, spec.size, spec.size)
    nodes, edges = trace_block(block, in_shape)
    convs = [m for m in block.modules() if isinstance(m, nn.Conv2d)]
    bns = [m for m in block.modules() if isinstance(m, nn.BatchNorm2d)]
    ds = block.downsample
    if not spec.skip:
        kind = "none"
    elif ds is None:
        kind = "identity"
    else:
        kind = spec.shortcut
    return BlockReport(
        spec=spec,
        nodes=tuple(nodes),
        edges=tuple(edges),
        in_shape=in_shape,
        out_shape=nodes[-1].shape,
        params=sum(p.numel() for p in block.parameters()),
        shortcut_params=sum(p.numel() for p in ds.parameters()) if ds is not None else 0,
        bias_params_saved=sum(c.out_channels for c in convs),
        bias_before_bn=_bias_before_bn(block, nodes, edges),
        bn_params=sum(p.numel() for b in bns for p in b.parameters()),
        shortcut_kind=kind,
        source=inspect.getsource(type(block)),
    )


def _bias_before_bn(block: nn.Module, nodes, edges) -> int:
    """Output channels of the convolutions whose every consumer in the traced graph is a BatchNorm2d."""
    modules = dict(block.named_modules())
    kind = {n.name: modules.get(n.target) if n.op == "module" else None for n in nodes}
    total = 0
    for n in nodes:
        m = kind[n.name]
        if isinstance(m, nn.Conv2d):
            users = [kind[e.dst] for e in edges if e.src == n.name]
            if users and all(isinstance(u, nn.BatchNorm2d) for u in users):
                total += m.out_channels
    return total
