"""The weighted cross-entropy loss (W-CEL) of ChestX-ray8 eq. (1), on logits, with masking.

Positive labels are rare in ChestX-ray14, so each batch re-weights its positives and negatives:
β_P = (|P|+|N|)/|P| and β_N = (|P|+|N|)/|N|, counted over every label in the batch. Targets that
are NaN (unknown or uncertain under U-Ignore) are left out of both the counts and the sum.
"""

from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["LOSSES", "WCELoss", "class_weights", "wce_loss"]

_REDUCTIONS = ("sum", "mean", "none")
#: ``wcel``: the paper's weighted loss; ``cel``: plain (unweighted) cross-entropy, its baseline.
LOSSES = ("wcel", "cel")


def class_weights(targets: torch.Tensor | Sequence[torch.Tensor]) -> tuple[torch.Tensor, ...]:
    """(β_P, β_N, |P|, |N|) counted over ``targets`` (one tensor, or the micro-batches of one
    effective batch), NaN masked. β is 0 for a side with no labels."""
    ts = [targets] if isinstance(targets, torch.Tensor) else list(targets)
    n_pos = sum(torch.nan_to_num(t.double(), nan=0.0).sum() for t in ts)
    n_neg = sum(torch.nan_to_num(1 - t.double(), nan=0.0).sum() for t in ts)
    return _betas(torch.as_tensor(n_pos), torch.as_tensor(n_neg)) + (n_pos, n_neg)


def _betas(n_pos: torch.Tensor, n_neg: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    total = n_pos + n_neg
    beta_p = torch.where(n_pos > 0, total / n_pos.clamp(min=1e-12), torch.zeros_like(total))
    beta_n = torch.where(n_neg > 0, total / n_neg.clamp(min=1e-12), torch.zeros_like(total))
    return beta_p, beta_n


def wce_loss(logits: torch.Tensor, targets: torch.Tensor, reduction: str = "sum",
             weights: tuple[torch.Tensor, torch.Tensor] | None = None) -> torch.Tensor:
    """β_P·Σ_{y=1} −ln σ(z) + β_N·Σ_{y=0} −ln(1 − σ(z)), NaN targets masked.

    Uses ``logsigmoid`` (never the log of a probability), so logits of ±1e4 give finite values.
    A batch without positives (or negatives) gives that term weight 0 instead of dividing by
    zero. Soft targets t ∈ [0, 1] count t towards |P| and 1 − t towards |N|.
    ``reduction="mean"`` divides by the number of non-masked entries; ``"none"`` returns the
    per-entry loss (0 where masked). ``weights`` = (β_P, β_N) replaces the batch's own, e.g.
    those of the whole effective batch from :func:`class_weights`, or (1, 1) for plain CEL.
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
    if weights is None:
        beta_p, beta_n = _betas((t * kf).sum(), ((1 - t) * kf).sum())
    else:
        beta_p, beta_n = (torch.as_tensor(w, dtype=z.dtype, device=z.device) for w in weights)
    per = beta_p * t * -F.logsigmoid(z) + beta_n * (1 - t) * -F.logsigmoid(-z)
    per = per * kf
    if reduction == "none":
        return per
    out = per.sum()
    if reduction == "mean":
        out = out / kf.sum().clamp(min=1.0)
    return out


class WCELoss(nn.Module):
    """Module form of :func:`wce_loss`: ``WCELoss(reduction="sum")(logits, targets)``; the
    call takes ``weights=`` as well."""

    def __init__(self, reduction: str = "sum") -> None:
        super().__init__()
        if reduction not in _REDUCTIONS:
            raise ValueError(f"reduction must be one of {_REDUCTIONS}, got {reduction!r}")
        self.reduction = reduction

    def forward(self, logits: torch.Tensor, targets: torch.Tensor,
                weights: tuple[torch.Tensor, torch.Tensor] | None = None) -> torch.Tensor:
        return wce_loss(logits, targets, self.reduction, weights)

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"
