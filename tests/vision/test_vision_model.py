"""The model registry, LSE networks, heatmaps, weights files, checkpoints and lazy import."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

import cxrlabel_vision
from cxrlabel.errors import PluginError, VisionError
from cxrlabel_vision import LSENet, create_model, list_models, register_model
from cxrlabel_vision.checkpoint import model_from_checkpoint, save_checkpoint


def test_public_names_are_exactly_exported():
    for name in ("LSEPool2d", "WCELoss", "heatmap_to_boxes", "box_iou", "box_iobb",
                 "create_model", "list_models", "register_model"):
        assert name in cxrlabel_vision.__all__ and getattr(cxrlabel_vision, name) is not None
    with pytest.raises(AttributeError):
        cxrlabel_vision.not_a_name  # noqa: B018


def test_importing_the_package_does_not_import_torch():
    code = ("import sys, cxrlabel_vision; assert 'torch' not in sys.modules; "
            "from cxrlabel_vision import heatmap_to_boxes, box_iou; "
            "assert 'torch' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_registry_lists_the_builtin_backbones():
    assert {"resnet18", "resnet34", "resnet50", "densenet121"} <= set(list_models())
    assert list_models("resnet*") == ["resnet18", "resnet34", "resnet50"]


def test_unknown_model_name_lists_the_available_ones():
    with pytest.raises(PluginError) as err:
        create_model("vgg_imaginary")
    assert err.value.code == "X701" and "resnet50" in str(err.value)


@pytest.mark.parametrize("name,stride", [("resnet18", 32), ("resnet18", 16), ("resnet18", 8),
                                         ("resnet34", 32), ("resnet50", 16),
                                         ("densenet121", 16)])
def test_every_registered_backbone_gives_logits_and_s_by_s_heatmaps(name, stride):
    torch.manual_seed(0)
    model = create_model(name, num_classes=14, weights=None, output_stride=stride,
                         transition_dim=32).eval()
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        logits, maps = model.heatmaps(x)
        assert torch.allclose(model(x), logits, atol=1e-5)
    s = 64 // stride
    assert logits.shape == (1, 14) and maps.shape == (1, 14, s, s)


def test_heatmap_is_the_prediction_layer_applied_to_each_position():
    torch.manual_seed(0)
    model = create_model("resnet18", transition_dim=16, output_stride=16).eval()
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        feats = model.features(x)
        _, maps = model.heatmaps(x)
        at = model.prediction(feats[:, :, 1, 2])
    assert torch.allclose(maps[:, :, 1, 2], at, atol=1e-5)


def test_a_new_backbone_plugs_in_by_name():
    @register_model(name="tiny_test_net")
    def tiny(num_classes=14, weights=None, **kw):
        body = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, stride=4, padding=1),
                                   torch.nn.ReLU())
        return LSENet(body, 8, num_classes, transition_dim=4)

    assert "tiny_test_net" in list_models()
    assert create_model("tiny_test_net")(torch.randn(1, 3, 32, 32)).shape == (1, 14)


def test_local_weights_file_loads_into_the_backbone(tmp_path):
    import torchvision

    torch.manual_seed(1)
    ref = torchvision.models.resnet18(weights=None)
    path = tmp_path / "r18.pth"
    torch.save(ref.state_dict(), path)
    model = create_model("resnet18", weights=str(path))
    assert torch.equal(model.backbone[0].weight, ref.conv1.weight)
    assert torch.equal(model.backbone[7][1].conv2.weight, ref.layer4[1].conv2.weight)


def test_wrong_weights_file_is_refused(tmp_path):
    path = tmp_path / "bad.pth"
    torch.save({"foo": torch.zeros(1)}, path)
    with pytest.raises(VisionError) as err:
        create_model("resnet18", weights=str(path))
    assert err.value.code == "V802"
    with pytest.raises(VisionError):
        create_model("resnet18", weights=str(tmp_path / "missing.pth"))


def test_checkpoint_round_trip_rebuilds_the_same_network(tmp_path):
    torch.manual_seed(2)
    model = create_model("resnet18", transition_dim=8, output_stride=16).eval()
    meta = {"arch": "resnet18", "model_kwargs": {"transition_dim": 8, "output_stride": 16},
            "findings": list(cxrlabel_vision.model.FINDINGS), "image_size": 64, "epoch": 1}
    path = save_checkpoint(tmp_path / "c.pt", model, meta)
    again, meta2 = model_from_checkpoint(path)
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        assert torch.equal(model(x), again(x))
    assert meta2["image_size"] == 64


def test_foreign_checkpoint_is_refused(tmp_path):
    path = tmp_path / "x.pt"
    torch.save({"hello": 1}, path)
    with pytest.raises(VisionError) as err:
        model_from_checkpoint(path)
    assert err.value.code == "V820"
