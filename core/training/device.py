"""Which device the demos run on: CUDA, then Apple MPS, then the CPU."""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class DeviceInfo:
    kind: str  # "cuda", "mps" or "cpu"
    name: str  # GPU name, or "CPU"
    threads: int  # torch intra-op threads (what the CPU demos use)

    @property
    def torch_device(self) -> torch.device:
        return torch.device(self.kind)


def pick_device(prefer: str | None = None) -> DeviceInfo:
    """The best available device, or ``prefer`` ("cuda", "mps", "cpu") when it is available."""
    if prefer not in (None, "cuda", "mps", "cpu"):
        raise ValueError(f"unknown device {prefer!r}: use cuda, mps or cpu")
    cuda = torch.cuda.is_available()
    mps = getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()
    order = [prefer] if prefer else []
    order += ["cuda", "mps", "cpu"]
    for kind in order:
        if kind == "cuda" and cuda:
            return DeviceInfo("cuda", torch.cuda.get_device_name(0), torch.get_num_threads())
        if kind == "mps" and mps:
            return DeviceInfo("mps", "Apple MPS", torch.get_num_threads())
        if kind == "cpu":
            return DeviceInfo("cpu", "CPU", torch.get_num_threads())
    raise AssertionError("unreachable: the CPU is always available")
