"""Images for training and inference: PNG decoding, a pre-resized uint8 cache, a Dataset.

Items are uint8 grayscale tensors (1, S, S); :func:`to_input` turns a batch into the network's
input on the device (float, 3 channels, ImageNet normalization). Keeping uint8 until the GPU
moves 4× fewer bytes, and the memmap cache removes 1024² PNG decoding (~15–19 ms per image per
core) from the training loop: build it once with :func:`build_cache`.
"""

from __future__ import annotations

import os
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
from torch.utils.data import Dataset

from cxrlabel.errors import VisionError

__all__ = ["ImageCache", "MAX_IMAGE_PIXELS", "XrayDataset", "build_cache", "find_images", "load_image", "open_image", "to_input"]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")


def find_images(root: str | Path) -> dict[str, Path]:
    """Image file name → path for every image under ``root``, searched recursively, so NIH's
    release layout (``images_001/images/…`` … ``images_012/images/…``) works as well as one
    flat folder. A name found twice is an error (V811): the label tables key images by name."""
    base = Path(root)
    if not base.is_dir():
        raise VisionError(f"image folder {base} not found", code="V815")
    found: dict[str, Path] = {}
    for dirpath, _dirs, files in os.walk(base, followlinks=True):
        for f in files:
            if f.lower().endswith(IMAGE_SUFFIXES) and not f.startswith("."):
                if f in found:
                    raise VisionError(f"image {f} is both at {found[f]} and under {dirpath}; "
                                      f"image names must be unique under {base}", code="V819")
                found[f] = Path(dirpath) / f
    return dict(sorted(found.items()))

#: The largest image decoded, in pixels (width × height, read from the header first): chest
#: films are 1–16 megapixels; a 400-megapixel PNG would need gigabytes (``V822``).
MAX_IMAGE_PIXELS = 64_000_000


def open_image(path: str | Path):  # -> PIL.Image.Image (PIL stays a lazy import)
    """Open an image lazily (header only) and refuse one over :data:`MAX_IMAGE_PIXELS` before
    any pixel is decoded (``V822``). A missing file is ``V811``, one PIL cannot read ``V817``."""
    from PIL import Image

    p = Path(path)
    try:
        im = Image.open(p)
    except FileNotFoundError:
        raise VisionError(f"image {p} not found", code="V811") from None
    except Image.DecompressionBombError as err:  # PIL's own cap (2x its MAX_IMAGE_PIXELS)
        raise VisionError(f"image {p} is too large to decode ({err})", code="V822") from None
    except OSError as err:
        raise VisionError(f"cannot decode image {p}: {err}", code="V817") from err
    width, height = im.size
    if width * height > MAX_IMAGE_PIXELS:
        im.close()
        raise VisionError(
            f"image {p} is {width}x{height} = {width * height:,} pixels, over the cap of "
            f"{MAX_IMAGE_PIXELS:,} (cxrlabel_vision.data.MAX_IMAGE_PIXELS); downscale it first",
            code="V822",
        )
    return im


IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def load_image(path: str | Path, size: int) -> np.ndarray:
    """Decode one image as 8-bit grayscale, resized to size×size (bilinear) → uint8 array."""
    from PIL import Image

    p = Path(path)
    try:
        with open_image(p) as im:
            if im.mode in ("I;16", "I;16B", "I"):
                arr = np.asarray(im, dtype=np.float32)
                im = Image.fromarray((arr / max(arr.max(), 1) * 255).astype(np.uint8))
            im = im.convert("L")
            if im.size != (size, size):
                im = im.resize((size, size), Image.BILINEAR)
            return np.array(im, dtype=np.uint8)
    except FileNotFoundError:
        raise VisionError(f"image {p} not found", code="V811") from None
    except OSError as err:
        raise VisionError(f"cannot decode image {p}: {err}", code="V817") from err


def image_size_of(path: str | Path) -> tuple[int, int]:
    """(width, height) of an image file, reading only its header."""
    with open_image(path) as im:
        return im.size


class ImageCache:
    """A pre-resized uint8 image stack on disk: ``<stem>.npy`` (N, S, S) + ``<stem>.index.txt``."""

    def __init__(self, stem: str | Path) -> None:
        self.stem = Path(stem)
        npy, idx = _cache_paths(self.stem)
        if not npy.is_file() or not idx.is_file():
            raise VisionError(f"no image cache at {npy}; build it with build_cache", code="V814")
        self.array = np.load(npy, mmap_mode="r")
        self.names = idx.read_text().splitlines()
        self.position = {n: i for i, n in enumerate(self.names)}

    def __getstate__(self) -> dict:
        # DataLoader workers started with "spawn" pickle the dataset: send the path, not the
        # array, and reopen the memmap on the other side.
        return {"stem": str(self.stem)}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["stem"])

    @property
    def size(self) -> int:
        return int(self.array.shape[1])

    def __len__(self) -> int:
        return len(self.names)

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self.position:
            raise VisionError(f"image {name} is not in the cache {self.stem}", code="V814")
        return self.array[self.position[name]]


def _cache_paths(stem: Path) -> tuple[Path, Path]:
    return stem.with_name(stem.name + ".npy"), stem.with_name(stem.name + ".index.txt")


def build_cache(
    image_dir: str | Path,
    names: Sequence[str],
    size: int,
    stem: str | Path,
    workers: int | None = None,
    progress: bool = True,
) -> ImageCache:
    """Decode and resize ``names`` once into a memmap at ``stem``, keyed by image name.

    An existing cache at this size that holds every name is reused as is, whatever the order
    or the split that asks (a new seed or split does not rebuild it); one that lacks some names
    is rebuilt with the union. Images are found under ``image_dir`` recursively. Decoding runs
    on ``workers`` threads (PIL releases the GIL)."""
    stem = Path(stem)
    npy, idx = _cache_paths(stem)
    names = list(dict.fromkeys(names))
    if npy.is_file() and idx.is_file():
        cache = ImageCache(stem)
        if cache.size == size and set(names) <= set(cache.position):
            return cache
        if cache.size == size:
            names = sorted(set(names) | set(cache.names))
        del cache
    stem.parent.mkdir(parents=True, exist_ok=True)
    tmp = npy.with_name(npy.name + ".part")
    arr = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.uint8, shape=(len(names), size, size))
    paths = find_images(image_dir)
    root = Path(image_dir)

    def fill(i: int) -> None:
        arr[i] = load_image(paths.get(names[i], root / names[i]), size)

    workers = workers or min(16, os.cpu_count() or 1)
    with ThreadPoolExecutor(workers) as pool:
        for done, _ in enumerate(pool.map(fill, range(len(names))), start=1):
            if progress and (done % 1000 == 0 or done == len(names)):
                print(f"cache {stem}: {done}/{len(names)} images", file=sys.stderr)
    arr.flush()
    del arr
    os.replace(tmp, npy)
    idx.write_text("\n".join(names) + "\n")
    return ImageCache(stem)


class XrayDataset(Dataset):
    """Images (from a folder of PNGs, searched recursively, or an :class:`ImageCache`) with
    optional targets.

    ``__getitem__`` returns ``(image uint8 (1, S, S), targets float (C,), index)``; targets are
    NaN-filled when none are given. Missing images raise :class:`VisionError` (V811).
    """

    def __init__(
        self,
        names: Sequence[str],
        targets: np.ndarray | None = None,
        image_dir: str | Path | None = None,
        image_size: int = 512,
        cache: ImageCache | None = None,
        num_classes: int = 14,
    ) -> None:
        if image_dir is None and cache is None:
            raise VisionError("XrayDataset needs an image folder or a cache", code="V818")
        self.names = list(names)
        if targets is None:
            targets = np.full((len(self.names), num_classes), np.nan, dtype=np.float32)
        self.targets = np.asarray(targets, dtype=np.float32)
        if len(self.targets) != len(self.names):
            raise VisionError("targets and image names differ in length", code="V818")
        self.image_dir = Path(image_dir) if image_dir is not None else None
        self.cache = cache
        self.paths = find_images(image_dir) if image_dir is not None and cache is None else {}
        self.image_size = cache.size if cache is not None else image_size

    def __len__(self) -> int:
        return len(self.names)

    def __getitem__(self, i: int):
        name = self.names[i]
        if self.cache is not None:
            img = np.array(self.cache[name])
        else:
            img = load_image(self.paths.get(name, self.image_dir / name), self.image_size)
        return torch.from_numpy(img)[None], torch.from_numpy(self.targets[i]), i


def to_input(
    images: torch.Tensor, device: torch.device | str = "cpu", channels_last: bool = False
) -> torch.Tensor:
    """uint8 (B, 1, S, S) → float (B, 3, S, S) on ``device``, ImageNet-normalized."""
    x = images.to(device, non_blocking=True).float().div_(255.0)
    mean = torch.tensor(IMAGENET_MEAN, device=x.device).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD, device=x.device).view(1, 3, 1, 1)
    x = (x.expand(-1, 3, -1, -1) - mean) / std
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    return x
