"""Options and helpers shared by the ``cxrlabel vision`` commands (no torch at import)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from cxrlabel.errors import VisionError

__all__ = ["emit", "image_names", "inference_options", "load_model", "open_cache",
           "parse_numbers", "read_names"]

_DEVICE = click.option("--device", default="auto", show_default=True,
                       help="auto (cuda if available), cpu, cuda or cuda:N")
_MODEL_OPTS = [
    click.option("--checkpoint", type=click.Path(dir_okay=False), default=None,
                 help="a checkpoint from `train` (best.pt)"),
    click.option("--arch", default="resnet50", show_default=True,
                 help="without --checkpoint: an untrained model of this architecture"),
    click.option("--weights", default="none", show_default=True,
                 help="without --checkpoint: imagenet, none or a state-dict path"),
    click.option("--image-size", type=int, default=None,
                 help="input size (default: the checkpoint's, else 512)"),
    click.option("--output-stride", type=click.Choice(["8", "16", "32"]), default="32",
                 show_default=True, help="without --checkpoint: backbone stride (S = size/stride)"),
    click.option("--batch-size", type=int, default=16, show_default=True),
    click.option("--workers", type=int, default=0, show_default=True,
                 help="DataLoader processes decoding images"),
    click.option("--amp/--no-amp", default=True, show_default=True,
                 help="mixed precision (CUDA only; the CPU path is unchanged)"),
    click.option("--cache", default=None,
                 help="stem of a uint8 image cache at the model's input size (built if absent)"),
]


def inference_options(f):
    """Model, batch, worker, AMP, cache and device options of predict/eval/localize."""
    for opt in reversed(_MODEL_OPTS):
        f = opt(f)
    return _DEVICE(f)


def load_model(checkpoint, arch, weights, image_size, output_stride, device, **_rest):
    """(model, findings, image_size, output_stride, device) from a checkpoint or an arch."""
    from cxrlabel.types import FINDINGS

    from .checkpoint import model_from_checkpoint
    from .evaluate import resolve_device
    from .registry import create_model

    dev = resolve_device(device)
    if checkpoint:
        model, meta = model_from_checkpoint(checkpoint, dev)
        stride = meta.get("model_kwargs", {}).get("output_stride", 32)
        return model, list(meta["findings"]), image_size or meta["image_size"], stride, dev
    w = None if weights in (None, "none") else weights
    model = create_model(arch, len(FINDINGS), w, output_stride=int(output_stride))
    return model.to(dev).eval(), list(FINDINGS), image_size or 512, int(output_stride), dev


def open_cache(stem: str | None, images: str, names, size: int):
    """The image cache at ``stem`` holding ``names`` at ``size`` (built when needed), or None."""
    if not stem:
        return None
    from .data import build_cache

    return build_cache(images, names, size, stem)


def image_names(images: str, labels: str | None = None, names: list[str] | None = None
                ) -> list[str]:
    """Images under ``images`` (recursively), optionally only those in ``names`` / labelled."""
    from .data import find_images

    present = list(find_images(images))
    if names is not None:
        wanted = set(names)
        present = [n for n in present if n in wanted]
    if labels:
        from .labels import read_labels

        known = set(read_labels(labels).index)
        present = [n for n in present if n in known]
    if not present:
        raise VisionError(f"no images to process under {images}", code="V816")
    return present


def emit(df, output: str | None) -> None:
    if output:
        df.to_csv(output, index=False)
        click.echo(f"wrote {len(df)} rows to {output}", err=True)
    else:
        df.to_csv(sys.stdout, index=False)


def parse_numbers(text: str) -> tuple[float, ...]:
    try:
        return tuple(float(t) for t in text.split(","))
    except ValueError:
        raise VisionError(f"expected comma-separated numbers like 60,180, got {text!r}",
                          code="V830") from None


def read_names(names_file: str | None, split: str | None, checkpoint: str | None):
    """Image names from ``--names FILE`` or ``--split PART`` (the run folder of the
    checkpoint); None when neither is given."""
    if names_file and split:
        raise VisionError("give --names or --split, not both", code="V830")
    if names_file:
        return Path(names_file).read_text().split()
    if split:
        if not checkpoint:
            raise VisionError("--split needs --checkpoint (its folder holds splits/)",
                              code="V830")
        from .splits import load_split

        return load_split(Path(checkpoint).parent, split)
    return None
