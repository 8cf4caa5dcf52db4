"""The ChestX-ray8 network: a CNN backbone → transition conv → LSE pooling → prediction layer.

``LSENet`` keeps the backbone's convolutional part (no average pooling, no FC), maps its output
to S×S×D with a 3×3 transition convolution (S = input size / output stride), pools each of the D
maps with :class:`LSEPool2d` and applies a D×C linear prediction layer. The class heatmap of
finding c is the transition activations weighted by row c of the prediction layer (a CAM), which
is what :mod:`cxrlabel_vision.localize` turns into boxes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from cxrlabel.errors import VisionError
from cxrlabel.types import FINDINGS

from .pooling import make_pool

__all__ = ["LSENet", "load_backbone_weights"]


class LSENet(nn.Module):
    """Backbone → transition (D channels, S×S) → LSE pool → Linear(D, C) → logits.

    ``pooling`` is ``"lse"`` (the paper's choice, sharpness ``r``), ``"avg"`` or ``"max"`` (its
    Table 3 alternatives); D defaults to 2048, the paper's for ResNet-50."""

    def __init__(
        self,
        backbone: nn.Module,
        in_channels: int,
        num_classes: int = len(FINDINGS),
        transition_dim: int = 2048,
        r: float = 10.0,
        pooling: str = "lse",
    ) -> None:
        super().__init__()
        self.backbone = backbone
        self.transition = nn.Sequential(
            nn.Conv2d(in_channels, transition_dim, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(transition_dim),
            nn.ReLU(inplace=True),
        )
        self.pool = make_pool(pooling, r)
        self.prediction = nn.Linear(transition_dim, num_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Transition activations, (B, D, S, S)."""
        return self.transition(self.backbone(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.prediction(self.pool(self.features(x)).to(self.prediction.weight.dtype))

    def heatmaps_from_features(self, feats: torch.Tensor) -> torch.Tensor:
        """(B, D, S, S) activations → (B, C, S, S) class heatmaps Σ_d w_cd·a_d + b_c."""
        w = self.prediction.weight.to(feats.dtype)
        b = self.prediction.bias.to(feats.dtype)
        return torch.einsum("cd,bdhw->bchw", w, feats) + b[None, :, None, None]

    def heatmaps(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Logits (B, C) and heatmaps (B, C, S, S) from one forward pass."""
        feats = self.features(x)
        logits = self.prediction(self.pool(feats).to(self.prediction.weight.dtype))
        return logits, self.heatmaps_from_features(feats)


def _unstride(module: nn.Module) -> None:
    """Turn the stride-2 convolutions / pools of one backbone stage into stride 1, so the stage
    keeps its input resolution (a larger S×S map; shapes of the weights are unchanged)."""
    for m in module.modules():
        if isinstance(m, nn.Conv2d) and m.stride == (2, 2):
            m.stride = (1, 1)
        elif isinstance(m, nn.AvgPool2d) and m.stride == 2:
            m.kernel_size, m.stride = 1, 1


def _check_stride(output_stride: int) -> None:
    if output_stride not in (8, 16, 32):
        raise VisionError(f"output_stride must be 8, 16 or 32, got {output_stride}", code="V803")


def load_backbone_weights(backbone: nn.Module, path: str | Path) -> None:
    """Load a local ImageNet state dict (torchvision's key names) into ``backbone``.

    Classifier keys (``fc.*``, ``classifier.*``) are ignored; any other missing key is an error,
    so a wrong file is not silently ignored.
    """
    p = Path(path)
    if not p.is_file():
        raise VisionError(
            f"weights file {p} not found; pass --weights imagenet, none, or a state-dict path",
            code="V802",
        )
    from .safeload import check_checkpoint

    check_checkpoint(p)  # declared tensor sizes fit the file, before torch allocates them
    state = torch.load(p, map_location="cpu", weights_only=True)
    if isinstance(state, dict) and "state_dict" in state:
        state = state["state_dict"]
    state = {k.removeprefix("module."): v for k, v in state.items()}
    state = {k: v for k, v in state.items() if not k.startswith(("fc.", "classifier."))}
    missing, _unexpected = backbone.load_state_dict(state, strict=False)
    missing = [k for k in missing if not k.startswith(("fc.", "classifier."))]
    if missing:
        raise VisionError(
            f"weights file {p} does not fit the backbone: {len(missing)} missing keys "
            f"(first: {missing[:3]})",
            code="V802",
        )


def _torchvision(arch: str, weights: str | None):
    import torchvision

    ctor = getattr(torchvision.models, arch)
    if weights == "imagenet":
        return _download_imagenet(ctor, arch)
    net = ctor(weights=None)
    if weights not in (None, "none", ""):
        load_backbone_weights(net, weights)
    return net


def _download_imagenet(ctor, arch: str):
    """torchvision's ImageNet weights (downloaded once into ``$TORCH_HOME``); a machine without
    a network gets V804 naming the way out, not a URLError traceback."""
    import urllib.error

    try:
        return ctor(weights="DEFAULT")
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as err:
        reason = getattr(err, "reason", err)
        raise VisionError(
            f"cannot download the ImageNet weights of {arch} ({reason}); on a machine without "
            f"a network, download them elsewhere (torchvision.models.{arch}(weights='DEFAULT') "
            f"saves them under $TORCH_HOME/hub/checkpoints) and pass --weights PATH, or "
            f"--weights none to start from random",
            code="V804",
        ) from None


def _resnet(arch: str, num_classes: int, weights: str | None, output_stride: int = 32,
            transition_dim: int = 2048, r: float = 10.0, pooling: str = "lse") -> LSENet:
    _check_stride(output_stride)
    net = _torchvision(arch, weights)
    if output_stride <= 16:
        _unstride(net.layer4)
    if output_stride == 8:
        _unstride(net.layer3)
    body = nn.Sequential(
        net.conv1, net.bn1, net.relu, net.maxpool, net.layer1, net.layer2, net.layer3, net.layer4
    )
    return LSENet(body, net.fc.in_features, num_classes, transition_dim, r, pooling)


def resnet18(num_classes: int = 14, weights: str | None = None, **kw: Any) -> LSENet:
    """LSE network on ResNet-18 (512 backbone channels): cheap runs and CPU tests."""
    return _resnet("resnet18", num_classes, weights, **kw)


def resnet34(num_classes: int = 14, weights: str | None = None, **kw: Any) -> LSENet:
    """LSE network on ResNet-34 (512 backbone channels)."""
    return _resnet("resnet34", num_classes, weights, **kw)


def resnet50(num_classes: int = 14, weights: str | None = None, **kw: Any) -> LSENet:
    """The paper's network: ResNet-50 (2048 backbone channels)."""
    return _resnet("resnet50", num_classes, weights, **kw)


def densenet121(num_classes: int = 14, weights: str | None = None, output_stride: int = 32,
                transition_dim: int = 2048, r: float = 10.0, pooling: str = "lse") -> LSENet:
    """LSE network on DenseNet-121 (1024 backbone channels), as in CheXNet-style models."""
    _check_stride(output_stride)
    net = _torchvision("densenet121", weights)
    if output_stride <= 16:
        _unstride(net.features.transition3)
    if output_stride == 8:
        _unstride(net.features.transition2)
    body = nn.Sequential(net.features, nn.ReLU(inplace=True))
    return LSENet(body, net.classifier.in_features, num_classes, transition_dim, r, pooling)
