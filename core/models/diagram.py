"""Block diagrams traced from the real module with torch.fx, and drawn as Graphviz DOT.

Nothing is hand-drawn: the nodes are the operations ``forward`` really runs (with the ``skip``
flag and the shortcut option as built), and the shapes come from running a tensor through them.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import fx, nn
from torch.fx.passes.shape_prop import ShapeProp

from core.models.blocks import ZeroPadShortcut


@dataclass(frozen=True)
class Node:
    name: str  # fx node name, unique ("relu", "relu_1", …)
    op: str  # "input", "module", "add", "output", "function"
    target: str  # module path ("conv1", "downsample.0") or function name
    info: tuple  # hyperparameters as (name, value) pairs, e.g. (("kernel", 3), ("c_in", 64), …)
    shape: tuple[int, ...]  # output shape of this step
    params: int
    on_shortcut: bool  # part of the skip path (input → downsample → +)


@dataclass(frozen=True)
class Edge:
    src: str
    dst: str
    skip: bool  # the edge carries x around F


class _Tracer(fx.Tracer):
    def is_leaf_module(self, m: nn.Module, qualname: str) -> bool:
        return isinstance(m, ZeroPadShortcut) or super().is_leaf_module(m, qualname)


def _info(m: nn.Module) -> tuple:
    if isinstance(m, nn.Conv2d):
        return (("kernel", m.kernel_size[0]), ("c_in", m.in_channels), ("c_out", m.out_channels),
                ("stride", m.stride[0]), ("bias", m.bias is not None))
    if isinstance(m, nn.BatchNorm2d):
        return (("bn", m.num_features),)
    if isinstance(m, ZeroPadShortcut):
        return (("zero_pad", m.in_planes), ("c_out", m.out_planes), ("stride", m.stride))
    return ()


# Words used in node details; pages pass their translation.
# The skip path is drawn in the charts' residual blue (Okabe & Ito; ui/figures.RESIDUAL), the main path in grey.
SKIP_COLOUR = "#0072B2"
SKIP_FILL = "#deebf7"
WORDS = {"stride": "stride", "bias": "bias", "channels": "ch", "zero_pad": "zero-pad"}


def describe(info: tuple, words: dict[str, str] = WORDS) -> str:
    """A node's hyperparameters in short: "3×3, 64→128, stride 2", "64 ch, γ β", "zero-pad 64→128"."""
    d = dict(info)
    if "kernel" in d:
        k = d["kernel"]
        s = f"{k}×{k}, {d['c_in']}→{d['c_out']}"
        s += f", {words['stride']} {d['stride']}" if d["stride"] != 1 else ""
        return s + (f", {words['bias']}" if d["bias"] else "")
    if "bn" in d:
        return f"{d['bn']} {words['channels']}, γ β"
    if "zero_pad" in d:
        return f"{words['zero_pad']} {d['zero_pad']}→{d['c_out']}, {words['stride']} {d['stride']}"
    return ""


def trace_block(block: nn.Module, input_shape: tuple[int, ...]) -> tuple[list[Node], list[Edge]]:
    """Trace ``block`` and propagate a zero tensor of ``input_shape`` to get every step's shape."""
    block = block.eval()
    gm = fx.GraphModule(block, _Tracer().trace(block))
    ShapeProp(gm).propagate(torch.zeros(input_shape))
    modules = dict(block.named_modules())
    nodes: list[Node] = []
    shortcut: set[str] = set()
    for n in gm.graph.nodes:
        shape = tuple(n.meta["tensor_meta"].shape) if "tensor_meta" in n.meta else ()
        target = str(n.target)
        if n.op == "placeholder":
            op, info, params = "input", (), 0
        elif n.op == "output":
            op, info, params = "output", (), 0
            shape = nodes[-1].shape if nodes else ()
        elif n.op == "call_module":
            m = modules[target]
            op, info, params = "module", _info(m), sum(p.numel() for p in m.parameters())
        elif "add" in target:
            op, info, params, target = "add", (), 0, "add"
        else:
            op, info, params = "function", (), 0
            target = getattr(n.target, "__name__", target)
        on_sc = op == "module" and target.startswith("downsample")
        if on_sc:
            shortcut.add(n.name)
        nodes.append(Node(n.name, op, target, info, shape, params, on_sc))

    by_name = {n.name: n for n in nodes}
    edges: list[Edge] = []
    for n in gm.graph.nodes:
        for src in n.all_input_nodes:
            dst = by_name[n.name]
            src_node = by_name[src.name]
            # The skip path: x → (downsample …) → +, bypassing the residual branch F.
            is_skip = (dst.on_shortcut or dst.op == "add") and (src_node.op == "input" or src_node.on_shortcut)
            edges.append(Edge(src.name, n.name, is_skip))
    return nodes, edges


def _shape(shape: tuple[int, ...]) -> str:
    return "×".join(str(d) for d in shape[1:]) if shape else ""


def to_dot(
    nodes: list[Node], edges: list[Edge], skip_label: str = "identity", words: dict[str, str] = WORDS
) -> str:
    """Graphviz DOT: the residual branch in one column, the skip edge drawn apart and coloured."""
    lines = [
        "digraph block {",
        '  rankdir=TB; nodesep=0.35; ranksep=0.28; bgcolor="transparent";',
        '  node [shape=box, style="rounded,filled", fillcolor="#eef2ff", color="#4f46e5", '
        'fontname="Helvetica", fontsize=11];',
        '  edge [color="#475569", fontname="Helvetica", fontsize=10];',
    ]
    for n in nodes:
        shape = _shape(n.shape)
        if n.op == "input":
            lines.append(f'  {n.name} [label="x\\n{shape}", shape=ellipse, fillcolor="#f1f5f9", color="#334155"];')
        elif n.op == "output":
            lines.append(f'  {n.name} [label="y\\n{shape}", shape=ellipse, fillcolor="#f1f5f9", color="#334155"];')
        elif n.op == "add":
            lines.append(f'  {n.name} [label="+", shape=circle, fillcolor="#fde68a", color="#b45309", fontsize=18];')
        else:
            detail = f"\\n{describe(n.info, words)}" if n.info else ""
            fill = f'"{SKIP_FILL}", color="{SKIP_COLOUR}"' if n.on_shortcut else '"#f8fafc", color="#475569"'
            lines.append(f'  {n.name} [label="{n.target}{detail}\\n→ {shape}", fillcolor={fill}];')
    has_skip = any(e.skip for e in edges)
    for e in edges:
        if e.skip:
            label = f', label=" {skip_label}"' if e.src == nodes[0].name else ""
            lines.append(f'  {e.src} -> {e.dst} [color="{SKIP_COLOUR}", penwidth=2.4, style=bold{label}];')
        else:
            lines.append(f"  {e.src} -> {e.dst};")
    if has_skip:
        lines.append('  labelloc=t; label="y = F(x) + x";')
    lines.append("}")
    return "\n".join(lines)
