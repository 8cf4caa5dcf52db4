"""Paper options: W-CEL weights over the effective batch, plain CEL, avg/max pooling, and the
one-image API."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

torch = pytest.importorskip("torch")

from cxrlabel_vision import create_model, predict_image  # noqa: E402
from cxrlabel_vision.loss import class_weights, wce_loss  # noqa: E402
from cxrlabel_vision.pooling import GlobalPool2d, make_pool  # noqa: E402


def test_wcel_weights_over_an_effective_batch_equal_one_pass_over_it():
    g = torch.Generator().manual_seed(0)
    parts = [(torch.rand(4, 14, generator=g) < p).float() for p in (0.02, 0.3)]
    parts[0][0, 0] = float("nan")
    logits = [torch.randn(4, 14, generator=g) for _ in parts]
    bp, bn, n_pos, n_neg = class_weights(parts)
    whole = torch.cat(parts)
    assert float(n_pos + n_neg) == float((~torch.isnan(whole)).sum())
    summed = sum(wce_loss(z, t, "sum", (bp, bn)) for z, t in zip(logits, parts))
    assert torch.allclose(summed.float(), wce_loss(torch.cat(logits), whole, "sum").float())
    # the micro-batch's own weights differ (that was the defect)
    assert not torch.allclose(wce_loss(logits[0], parts[0], "sum"),
                              wce_loss(logits[0], parts[0], "sum", (bp, bn)).float())


def test_cel_is_plain_masked_binary_cross_entropy():
    z = torch.randn(6, 14)
    t = (torch.rand(6, 14) < 0.2).float()
    ones = (torch.ones(()), torch.ones(()))
    expected = torch.nn.functional.binary_cross_entropy_with_logits(z, t, reduction="sum")
    assert torch.allclose(wce_loss(z, t, "sum", ones), expected, atol=1e-4)


def test_avg_and_max_pooling_and_the_lse_range_between_them():
    x = torch.randn(2, 3, 5, 5)
    assert torch.allclose(GlobalPool2d("avg")(x), x.mean(dim=(2, 3)))
    assert torch.allclose(GlobalPool2d("max")(x), x.amax(dim=(2, 3)))
    lse = make_pool("lse", 10.0)(x)
    assert (lse <= x.amax(dim=(2, 3)) + 1e-5).all() and (lse >= x.mean(dim=(2, 3)) - 1e-5).all()
    with pytest.raises(Exception) as err:
        make_pool("median")
    assert getattr(err.value, "code", "") == "V803"


@pytest.mark.parametrize("pooling", ["avg", "max"])
def test_a_network_with_another_pooling_builds_and_gives_heatmaps(pooling):
    model = create_model("resnet18", 14, None, output_stride=16, transition_dim=8,
                         pooling=pooling).eval()
    logits, maps = model.heatmaps(torch.zeros(1, 3, 64, 64))
    assert logits.shape == (1, 14) and maps.shape == (1, 14, 4, 4)
    assert type(model.pool).__name__ == "GlobalPool2d"


def test_predict_image_gives_probabilities_heatmaps_and_boxes_in_pixels(tmp_path):
    path = tmp_path / "x.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (200, 300), np.uint8)).save(path)
    torch.manual_seed(0)
    model = create_model("resnet18", 14, None, output_stride=16, transition_dim=8).eval()
    out = predict_image(model, path, image_size=64)
    assert len(out.probs) == 14 and all(0 <= p <= 1 for p in out.probs.values())
    assert out.heatmaps.shape == (14, 4, 4)
    boxes = out.boxes["Mass"]
    assert boxes and all(b.x + b.w <= 300 + 1e-6 and b.y + b.h <= 200 + 1e-6 for b in boxes)
