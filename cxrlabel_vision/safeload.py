"""Check a torch checkpoint's declared tensor sizes before ``torch.load`` allocates them.

``torch.load`` allocates each storage at the size its pickle declares and only then reads the
bytes, so a 1.4 kB file can ask for 55 GB. :func:`check_checkpoint` reads the zip's directory
and walks the pickle without running any of it (every global becomes an inert stand-in), and
refuses (``V821``) a storage that declares more bytes than its record in the file holds, a
pickle over :data:`MAX_PICKLE_BYTES`, or a file that is not torch's zip format.
:func:`check_model_size` builds the network a checkpoint's ``meta`` describes on torch's
``meta`` device (no memory) and refuses one larger than the weights the checkpoint holds —
a few kilobytes of ``meta`` can otherwise ask for a model of tens of gigabytes.
"""

from __future__ import annotations

import collections
import io
import pickle
import zipfile
from pathlib import Path
from typing import Any, Callable

from cxrlabel.errors import VisionError

__all__ = ["MAX_PICKLE_BYTES", "check_checkpoint", "check_model_size"]

#: The largest pickle part read (a ResNet-50 checkpoint's is ~100 kB).
MAX_PICKLE_BYTES = 64 << 20

# Bytes per element by storage name ("FloatStorage" → 4); a name not listed counts 1 byte
# (a lower bound: the check never refuses a file that fits).
_ELEMENT_BYTES = {
    "Double": 8, "Float": 4, "Half": 2, "BFloat16": 2, "Long": 8, "Int": 4, "Short": 2,
    "Char": 1, "Byte": 1, "Bool": 1, "ComplexFloat": 8, "ComplexDouble": 16, "Untyped": 1,
}


class _Inert:
    """Stands in for every global of the pickle (a subclass per global, so that ``name`` is
    the global's): accepts any call or state, does nothing."""

    name = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def __setstate__(self, state: Any) -> None:
        pass

    def __setitem__(self, key: Any, value: Any) -> None:
        pass

    def append(self, item: Any) -> None:
        pass

    def extend(self, items: Any) -> None:
        pass


class _Walker(pickle.Unpickler):
    """Unpickles with inert globals and records every persistent id (torch's storages)."""

    def __init__(self, data: bytes) -> None:
        super().__init__(io.BytesIO(data))
        self.storages: list[tuple[Any, ...]] = []

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict  # a plain container: safe to build for real
        return type(name, (_Inert,), {"name": name})

    def persistent_load(self, pid: Any) -> Any:
        if isinstance(pid, tuple):
            self.storages.append(pid)
        return _Inert()


def _refuse(path: Path, why: str) -> VisionError:
    return VisionError(f"checkpoint {path} {why}; it was not written by torch.save as it stands (corrupt or crafted)", code="V821")


def _element_bytes(storage_type: Any) -> int:
    name = getattr(storage_type, "name", "") or str(storage_type)
    return _ELEMENT_BYTES.get(name.removesuffix("Storage"), 1)


def check_checkpoint(path: str | Path) -> None:
    """Raise ``V821`` unless every storage ``path`` declares fits in the bytes the file holds."""
    p = Path(path)
    if not zipfile.is_zipfile(p):
        raise _refuse(p, "is not in torch's zip format (torch.save has written zip files since torch 1.6)")
    try:
        with zipfile.ZipFile(p) as zf:
            infos = {i.filename: i for i in zf.infolist()}
            pkl = next((n for n in infos if n.endswith("/data.pkl") or n == "data.pkl"), None)
            if pkl is None:
                raise _refuse(p, "has no data.pkl record")
            if infos[pkl].file_size > MAX_PICKLE_BYTES:
                raise _refuse(p, f"has a {infos[pkl].file_size:,}-byte pickle (the cap is {MAX_PICKLE_BYTES:,})")
            walker = _Walker(zf.read(pkl))
            walker.load()
    except (zipfile.BadZipFile, pickle.UnpicklingError, EOFError, ValueError, TypeError, IndexError, KeyError, AttributeError, RecursionError) as err:
        raise _refuse(p, f"cannot be read ({type(err).__name__}: {err})") from None
    prefix = pkl[: -len("data.pkl")]
    for pid in walker.storages:
        if len(pid) < 5 or pid[0] != "storage":
            continue
        _, storage_type, key, _location, numel = pid[:5]
        record = infos.get(f"{prefix}data/{key}")
        want = int(numel) * _element_bytes(storage_type) if isinstance(numel, int) else -1
        have = record.file_size if record is not None else 0
        if want < 0 or want > have:
            raise _refuse(p, f"declares a tensor of {want:,} bytes for record data/{key}, which holds {have:,}")


def check_model_size(path: str | Path, build: Callable[[], Any], state: Any) -> None:
    """Raise ``V821`` when the model ``build()`` makes has more elements than ``state`` holds."""
    import torch

    with torch.device("meta"):
        wanted = sum(t.numel() for t in build().state_dict().values())
    held = sum(t.numel() for t in state.values() if isinstance(t, torch.Tensor)) if isinstance(state, dict) else 0
    if wanted > held:
        raise _refuse(Path(path), f"describes a model of {wanted:,} weights in its meta but holds {held:,}")
