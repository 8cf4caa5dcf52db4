"""ROC curves and ROC AUC in numpy (no scikit-learn dependency).

AUC is the Mann–Whitney statistic with average ranks for ties, so it equals the trapezoidal area
under the ROC curve. Rows whose label is NaN are ignored; a class with only one label value has
no AUC (NaN).
"""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata

__all__ = ["roc_auc", "roc_auc_per_class", "roc_curve"]


def _clean(y, s) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y, dtype=np.float64).ravel()
    s = np.asarray(s, dtype=np.float64).ravel()
    if y.shape != s.shape:
        raise ValueError(f"labels {y.shape} and scores {s.shape} differ in shape")
    keep = ~np.isnan(y)
    return (y[keep] > 0.5), s[keep]


def roc_auc(y, s) -> float:
    """Area under the ROC curve of scores ``s`` for binary labels ``y`` (NaN labels ignored)."""
    pos, s = _clean(y, s)
    n_pos = int(pos.sum())
    n_neg = len(pos) - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = rankdata(s)
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def roc_curve(y, s) -> tuple[np.ndarray, np.ndarray]:
    """(false positive rate, true positive rate) at every distinct score, from (0, 0) to (1, 1)."""
    pos, s = _clean(y, s)
    order = np.argsort(-s, kind="stable")
    s, pos = s[order], pos[order]
    last = np.r_[np.nonzero(np.diff(s))[0], len(s) - 1] if len(s) else np.array([], int)
    tp = np.cumsum(pos)[last]
    fp = np.cumsum(~pos)[last]
    n_pos, n_neg = max(int(pos.sum()), 1), max(int((~pos).sum()), 1)
    return np.r_[0.0, fp / n_neg], np.r_[0.0, tp / n_pos]


def roc_auc_per_class(targets: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """AUC of each column of (N, C) targets/scores → (C,), NaN where undefined."""
    targets, probs = np.asarray(targets), np.asarray(probs)
    return np.array([roc_auc(targets[:, c], probs[:, c]) for c in range(targets.shape[1])])
