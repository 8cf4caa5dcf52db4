"""The weighted cross-entropy loss (W-CEL) of ChestX-ray8 eq. (1), on logits, with masking.

Positive labels are rare in ChestX-ray14, so each batch re-weights its positives and negatives:
β_P = (|P|+|N|)/|P| and β_N = (|P|+|N|)/|N|, counted over every label in the batch. Targets that
are NaN (unknown or uncertain under U-Ignore) are left out of both the counts and the sum.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["WCELoss", "wce_loss"]

_REDUCTIONS = ("sum", "mean", "none")


def wce_loss(logits: torch.Tensor, targets: torch.Tensor, reduction: str = "sum") -> torch.Tensor:
    """β_P·Σ_{y=1} −ln σ(z) + β_N·Σ_{y=0} −ln(1 − σ(z)), NaN targets masked.

    Uses ``logsigmoid`` (never the log of a probability), so logits of ±1e4 give finite values.
    A batch without positives (or negatives) gives that term weight 0 instead of dividing by
    zero. Soft targets t ∈ [0, 1] count t towards |P| and 1 − t towards |N|.
    ``reduction="mean"`` divides by the number of non-masked entries; ``"none"`` returns the
    per-entry loss (0 where masked).
    """
    if reduction not in _REDUCTIONS:
        raise ValueError(f"reduction must be one of {_REDUCTIONS}, got {reduction!r}")
    if logits.shape != targets.shape:
        raise ValueError(f"logits {tuple(logits.shape)} and targets {tuple(targets.shape)} differ")
    # half precision (AMP) is upcast; float64 stays float64
    z = logits if logits.dtype in (torch.float32, torch.float64) else logits.float()
    t = targets.to(z.dtype)
    known = ~torch.isnan(t)
    t = torch.where(known, t, torch.zeros_like(t))
    kf = known.to(z.dtype)
    n_pos = (t * kf).sum()
    n_neg = ((1 - t) * kf).sum()
    total = n_pos + n_neg
    beta_p = torch.where(n_pos > 0, total / n_pos.clamp(min=1e-12), torch.zeros_like(total))
    beta_n = torch.where(n_neg > 0, total / n_neg.clamp(min=1e-12), torch.zeros_like(total))
    per = beta_p * t * -F.logsigmoid(z) + beta_n * (1 - t) * -F.logsigmoid(-z)
    per = per * kf
    if reduction == "none":
        return per
    out = per.sum()
    if reduction == "mean":
        out = out / kf.sum().clamp(min=1.0)
    return out


class WCELoss(nn.Module):
    """Module form of :func:`wce_loss`: ``WCELoss(reduction="sum")(logits, targets)``."""

    def __init__(self, reduction: str = "sum") -> None:
        super().__init__()
        if reduction not in _REDUCTIONS:
            raise ValueError(f"reduction must be one of {_REDUCTIONS}, got {reduction!r}")
        self.reduction = reduction

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return wce_loss(logits, targets, self.reduction)

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"
