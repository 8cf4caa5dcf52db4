"""Log-Sum-Exp pooling (ChestX-ray8 eq. in section 4.2), in the numerically stable form.

LSE pooling sits between average pooling (r → 0) and max pooling (r → ∞): the paper pools the
transition layer's S×S maps with it so that a small lesion can still dominate an image score.
"""

from __future__ import annotations

import math

import torch
from torch import nn

__all__ = ["POOLINGS", "GlobalPool2d", "LSEPool2d", "lse_pool2d", "make_pool"]

#: The pooling layers of the paper's Table 3 comparison: log-sum-exp, average, max.
POOLINGS = ("lse", "avg", "max")


def lse_pool2d(x: torch.Tensor, r: float = 10.0) -> torch.Tensor:
    """(B, C, H, W) → (B, C): ``x* + (1/r)·log(mean(exp(r·(x − x*))))``, x* the per-map max.

    Subtracting the per-map maximum keeps every exponent ≤ 0, so nothing overflows for r up to
    100 or activations around 1e4. The computation is done in float32 at least (AMP-safe).
    """
    if x.dim() != 4:
        raise ValueError(f"LSE pooling expects a (B, C, H, W) tensor, got shape {tuple(x.shape)}")
    if r <= 0:
        raise ValueError(f"LSE pooling needs r > 0, got {r}")
    flat = x.flatten(2)
    if flat.dtype in (torch.float16, torch.bfloat16):
        flat = flat.float()
    top = flat.amax(dim=2, keepdim=True)
    # logsumexp(r·(x − x*)) − log(n): the log of the mean of the shifted exponentials (≤ 0).
    lme = torch.logsumexp(r * (flat - top), dim=2) - math.log(flat.shape[2])
    return top.squeeze(2) + lme / r


class LSEPool2d(nn.Module):
    """Log-Sum-Exp pooling over each feature map: ``(B, C, H, W) → (B, C)``.

    ``r`` is the sharpness: small r approaches global average pooling, large r global max pooling.
    The paper's best setting is r = 10.
    """

    def __init__(self, r: float = 10.0) -> None:
        super().__init__()
        if r <= 0:
            raise ValueError(f"LSEPool2d needs r > 0, got {r}")
        self.r = float(r)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return lse_pool2d(x, self.r)

    def extra_repr(self) -> str:
        return f"r={self.r}"


class GlobalPool2d(nn.Module):
    """Global average (``"avg"``) or max (``"max"``) pooling, ``(B, C, H, W) → (B, C)``."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        if kind not in ("avg", "max"):
            raise ValueError(f"GlobalPool2d kind must be avg or max, got {kind!r}")
        self.kind = kind

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        flat = x.flatten(2)
        if flat.dtype in (torch.float16, torch.bfloat16):
            flat = flat.float()
        return flat.mean(dim=2) if self.kind == "avg" else flat.amax(dim=2)

    def extra_repr(self) -> str:
        return f"kind={self.kind!r}"


def make_pool(kind: str = "lse", r: float = 10.0) -> nn.Module:
    """The pooling layer named ``kind`` (one of :data:`POOLINGS`); ``r`` is LSE's sharpness."""
    if kind == "lse":
        return LSEPool2d(r)
    if kind in ("avg", "max"):
        return GlobalPool2d(kind)
    from cxrlabel.errors import VisionError

    raise VisionError(f"pooling must be one of {POOLINGS}, got {kind!r}", code="V803")
