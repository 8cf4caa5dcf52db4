"""Run set-up: labeler errors left out, splits checked and saved, NIH folder layout, the
image cache keyed by image, ImageNet offline, rank-0-first, presets, strict history JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time

import numpy as np
import pandas as pd
import pytest
from PIL import Image

torch = pytest.importorskip("torch")

from cxrlabel.errors import VisionError  # noqa: E402
from cxrlabel.types import FINDINGS  # noqa: E402
from cxrlabel_vision.data import build_cache, find_images  # noqa: E402
from cxrlabel_vision.distributed import rank_zero_first  # noqa: E402
from cxrlabel_vision.labels import read_labels  # noqa: E402
from cxrlabel_vision.splits import check_split, load_split, prepare_splits, save_splits  # noqa: E402
from cxrlabel_vision.train import _finite, apply_preset  # noqa: E402


def _png(path, value=100, size=16):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((size, size), value, np.uint8)).save(path)


def _label_csv(path, names, errors=()):
    rows = []
    for i, n in enumerate(names):
        row = {"id": n, **{f: "" for f in FINDINGS}, "No Finding": "", "error": ""}
        row["Mass"] = "1" if i % 2 else "0"
        if n in errors:
            row = {"id": n, **{f: "" for f in FINDINGS}, "No Finding": "",
                   "error": "unparsed sentence at 0-10: boom"}
        rows.append(row)
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_labeler_error_rows_are_dropped_and_counted_not_taken_as_no_finding(tmp_path):
    names = [f"{i:08d}_000.png" for i in range(10)]
    csv = _label_csv(tmp_path / "labels.csv", names, errors={names[3], names[6]})
    table = read_labels(csv)
    assert names[3] not in table.index and names[6] not in table.index
    assert table.attrs["errors"] == 2 and len(table) == 8
    for n in names:
        _png(tmp_path / "img" / n)
    kept, splits, errors = prepare_splits(str(tmp_path / "img"), str(csv),
                                          fractions=(0.5, 0.5, 0.0))
    assert errors == 2 and names[3] not in kept.index
    assert not {names[3], names[6]} & set(sum(splits.values(), []))


def test_nested_nih_folders_are_found_and_duplicate_names_refused(tmp_path):
    _png(tmp_path / "images_001" / "images" / "00000001_000.png")
    _png(tmp_path / "images_012" / "images" / "00030805_000.png")
    found = find_images(tmp_path)
    assert list(found) == ["00000001_000.png", "00030805_000.png"]
    assert found["00030805_000.png"].parent.parent.name == "images_012"
    _png(tmp_path / "other" / "00000001_000.png")
    with pytest.raises(VisionError) as err:
        find_images(tmp_path)
    assert err.value.code == "V819" and "unique" in str(err.value)


def test_cache_is_keyed_by_image_and_survives_a_new_split(tmp_path):
    names = [f"{i:08d}_000.png" for i in range(4)]
    for i, n in enumerate(names):
        _png(tmp_path / "images_001" / "images" / n, value=10 * i)
    cache = build_cache(tmp_path, names[:3], 8, tmp_path / "c" / "s8", workers=1, progress=False)
    npy = tmp_path / "c" / "s8.npy"
    stamp = npy.stat().st_mtime_ns
    again = build_cache(tmp_path, [names[2], names[0]], 8, tmp_path / "c" / "s8", workers=1,
                        progress=False)
    assert npy.stat().st_mtime_ns == stamp and again.names == cache.names
    assert int(again[names[2]][0, 0]) == 20
    grown = build_cache(tmp_path, [names[3]], 8, tmp_path / "c" / "s8", workers=1,
                        progress=False)
    assert grown.names == names and int(grown[names[3]][0, 0]) == 30


def test_a_split_without_any_auc_is_refused_and_a_partial_one_warned(tmp_path):
    one = np.zeros((1, len(FINDINGS)))
    with pytest.raises(VisionError) as err:
        check_split("val", one)
    assert err.value.code == "V812" and "no AUC" in str(err.value)
    some = np.zeros((4, len(FINDINGS)))
    some[0, 0] = 1
    said = []
    assert check_split("val", some, log=said.append) == [FINDINGS[0]]
    assert "only 1 of 14" in said[0]
    save_splits({"train": ["a.png"], "val": ["b.png"], "test": ["c.png", "d.png"]}, tmp_path)
    assert load_split(tmp_path, "test") == ["c.png", "d.png"]
    with pytest.raises(VisionError):
        load_split(tmp_path / "nowhere", "test")


def test_imagenet_weights_offline_give_v804_naming_weights_path(tmp_path):
    code = ("from cxrlabel.cli import main; main(['vision', 'predict', '--images', '.', "
            "'--arch', 'resnet18', '--weights', 'imagenet', '--device', 'cpu'])")
    env = {**os.environ, "TORCH_HOME": str(tmp_path / "torch"), "https_proxy":
           "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9", "no_proxy": "",
           "NO_PROXY": ""}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          timeout=300)
    assert done.returncode == 2, done.stderr[-2000:]
    assert "error[V804]" in done.stderr and "--weights PATH" in done.stderr
    assert "Traceback" not in done.stderr


def test_rank_zero_runs_first_and_the_others_wait_at_the_barrier():
    gate = threading.Barrier(3, timeout=30)
    log: list[tuple[str, int]] = []

    def work(rank):
        with rank_zero_first(rank, gate.wait):
            log.append(("start", rank))
            if rank == 0:
                time.sleep(0.2)
            log.append(("end", rank))

    threads = [threading.Thread(target=work, args=(r,)) for r in (2, 1, 0)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert log[:2] == [("start", 0), ("end", 0)]
    assert sorted(log[2:]) == [("end", 1), ("end", 2), ("start", 1), ("start", 2)]


def test_paper_preset_fills_what_was_not_given_and_explicit_options_win():
    cfg = apply_preset("paper", {"arch": "resnet18", "image_size": 512, "lr": 0.1},
                       explicit={"image_size"})
    assert cfg["arch"] == "resnet50" and cfg["transition_dim"] == 2048
    assert cfg["image_size"] == 512 and cfg["loss_reduction"] == "sum"
    assert cfg["weights"] == "imagenet" and cfg["pooling"] == "lse"
    with pytest.raises(VisionError):
        apply_preset("nope", {}, set())


def test_history_records_are_strict_json_with_null_for_nan():
    text = json.dumps(_finite({"auc": float("nan"), "per": {"Mass": np.float32("nan"),
                                                            "Nodule": np.float64(0.5)}}))
    assert json.loads(text) == {"auc": None, "per": {"Mass": None, "Nodule": 0.5}}
    assert "NaN" not in text
