"""LSEPool2d and WCELoss against their direct formulas, including extreme values."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy.special import logsumexp

from cxrlabel_vision import LSEPool2d, WCELoss


def _lse_reference(x: np.ndarray, r: float) -> np.ndarray:
    """(1/r)·log(mean(exp(r·x))) per map, in float64 through scipy's stable logsumexp."""
    flat = x.reshape(x.shape[0], x.shape[1], -1).astype(np.float64)
    return (logsumexp(r * flat, axis=2) - math.log(flat.shape[2])) / r


@pytest.mark.parametrize("r", [0.5, 1.0, 10.0, 100.0])
def test_lse_pool_matches_the_direct_formula(r):
    x = torch.randn(3, 5, 7, 6, dtype=torch.float64)
    got = LSEPool2d(r)(x).numpy()
    assert got.shape == (3, 5)
    np.testing.assert_allclose(got, _lse_reference(x.numpy(), r), rtol=1e-10, atol=1e-10)


def test_lse_pool_is_finite_and_exact_for_large_activations_and_sharp_r():
    x = torch.randn(2, 3, 8, 8) * 50 + 1e4
    got = LSEPool2d(r=100.0)(x)
    assert torch.isfinite(got).all()
    np.testing.assert_allclose(got.numpy(), _lse_reference(x.double().numpy(), 100.0),
                               rtol=1e-6)
    flat = x.flatten(2)
    assert (got <= flat.amax(2) + 1e-3).all() and (got >= flat.mean(2) - 1e-3).all()


def test_lse_pool_gradient_is_finite_for_large_activations():
    x = (torch.randn(2, 3, 4, 4) * 1e3 + 1e4).requires_grad_()
    LSEPool2d(r=100.0)(x).sum().backward()
    assert torch.isfinite(x.grad).all()
    # the gradient of LSE over one map is a softmax: it sums to 1
    np.testing.assert_allclose(x.grad.sum(dim=(2, 3)).numpy(), 1.0, rtol=1e-5)


def test_lse_pool_tends_to_the_mean_as_r_goes_to_zero():
    x = torch.randn(2, 4, 5, 5, dtype=torch.float64)
    got = LSEPool2d(r=1e-6)(x)
    np.testing.assert_allclose(got.numpy(), x.mean(dim=(2, 3)).numpy(), atol=1e-5)


def test_lse_pool_tends_to_the_max_as_r_grows():
    x = torch.randn(2, 4, 5, 5, dtype=torch.float64)
    top = x.amax(dim=(2, 3))
    for r in (10.0, 100.0, 1e4):
        gap = (top - LSEPool2d(r)(x)).numpy()
        assert (gap >= -1e-12).all() and (gap <= math.log(25) / r + 1e-12).all()


def test_lse_pool_increases_with_r():
    x = torch.randn(1, 3, 6, 6, dtype=torch.float64)
    values = [LSEPool2d(r)(x) for r in (0.1, 1, 5, 20, 80)]
    for lo, hi in zip(values, values[1:]):
        assert (hi >= lo - 1e-12).all()


def test_lse_pool_accepts_half_precision_without_overflow():
    x = (torch.randn(1, 2, 4, 4) * 100).half()
    got = LSEPool2d(r=10.0)(x)
    assert got.dtype == torch.float32 and torch.isfinite(got).all()


def test_lse_pool_rejects_bad_arguments():
    with pytest.raises(ValueError):
        LSEPool2d(r=0)
    with pytest.raises(ValueError):
        LSEPool2d()(torch.zeros(3, 4))


def _wcel_by_hand(z: np.ndarray, y: np.ndarray) -> float:
    known = ~np.isnan(y)
    p = int(((y == 1) & known).sum())
    n = int(((y == 0) & known).sum())
    bp = (p + n) / p if p else 0.0
    bn = (p + n) / n if n else 0.0
    total = 0.0
    for zi, yi in zip(z.ravel(), y.ravel()):
        s = 1 / (1 + math.exp(-zi))
        if yi == 1:
            total += bp * -math.log(s)
        elif yi == 0:
            total += bn * -math.log(1 - s)
    return total


def test_wcel_matches_the_papers_equation_by_hand():
    rng = np.random.default_rng(1)
    z = rng.normal(size=(6, 14))
    y = (rng.random((6, 14)) < 0.2).astype(float)
    got = WCELoss()(torch.tensor(z), torch.tensor(y)).item()
    assert got == pytest.approx(_wcel_by_hand(z, y), rel=1e-9)


def test_wcel_masks_nan_targets_out_of_counts_and_sum():
    rng = np.random.default_rng(2)
    z = rng.normal(size=(5, 14))
    y = (rng.random((5, 14)) < 0.3).astype(float)
    y[rng.random((5, 14)) < 0.3] = np.nan
    got = WCELoss()(torch.tensor(z), torch.tensor(y)).item()
    assert got == pytest.approx(_wcel_by_hand(z, y), rel=1e-9)
    # changing a masked logit changes nothing
    z2 = z.copy()
    z2[np.isnan(y)] = 1e6
    assert WCELoss()(torch.tensor(z2), torch.tensor(y)).item() == pytest.approx(got, rel=1e-12)


@pytest.mark.parametrize("value", [0.0, 1.0])
def test_wcel_batch_with_a_single_label_value_is_finite_with_weight_one(value):
    z = torch.randn(4, 14, dtype=torch.float64, requires_grad=True)
    y = torch.full((4, 14), value, dtype=torch.float64)
    loss = WCELoss()(z, y)
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(z.grad).all()
    sign = 1 if value == 1 else -1
    expected = -torch.nn.functional.logsigmoid(sign * z).sum()  # β = (|P|+|N|)/|P| = 1
    assert loss.item() == pytest.approx(expected.item(), rel=1e-12)


def test_wcel_with_every_target_masked_is_zero_and_has_zero_gradient():
    z = torch.randn(3, 14, requires_grad=True)
    loss = WCELoss(reduction="mean")(z, torch.full((3, 14), float("nan")))
    loss.backward()
    assert loss.item() == 0.0 and torch.equal(z.grad, torch.zeros_like(z))


def test_wcel_is_finite_and_linear_for_extreme_logits():
    z = torch.tensor([[1e4, -1e4, 1e4, -1e4]], requires_grad=True)
    y = torch.tensor([[1.0, 0.0, 0.0, 1.0]])
    loss = WCELoss()(z, y)
    loss.backward()
    # the two right answers cost ~0; the two wrong ones cost β·1e4 each, β_P = β_N = 2
    assert loss.item() == pytest.approx(2 * 1e4 + 2 * 1e4, rel=1e-6)
    assert torch.isfinite(z.grad).all()


def test_wcel_mean_divides_by_the_number_of_known_entries():
    z = torch.randn(4, 14, dtype=torch.float64)
    y = (torch.rand(4, 14) < 0.4).double()
    y[0, :5] = float("nan")
    s = WCELoss("sum")(z, y)
    m = WCELoss("mean")(z, y)
    assert m.item() == pytest.approx(s.item() / (4 * 14 - 5), rel=1e-12)
    none = WCELoss("none")(z, y)
    assert none.shape == z.shape and none[0, :5].abs().sum() == 0
    assert none.sum().item() == pytest.approx(s.item(), rel=1e-12)


def test_wcel_rejects_unknown_reduction_and_shape_mismatch():
    with pytest.raises(ValueError):
        WCELoss("avg")
    with pytest.raises(ValueError):
        WCELoss()(torch.zeros(2, 14), torch.zeros(2, 13))
