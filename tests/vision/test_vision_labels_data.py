"""Label tables, patient-level splits, box files, the uint8 cache and ROC AUC."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

from cxrlabel.errors import VisionError
from cxrlabel.types import FINDINGS
from cxrlabel_vision.data import IMAGENET_MEAN, IMAGENET_STD, XrayDataset, build_cache, to_input
from cxrlabel_vision.labels import official_split, patient_split, read_bboxes, read_labels
from cxrlabel_vision.metrics import roc_auc, roc_curve


def _cxrlabel_csv(tmp_path):
    rows = []
    for i, (mass, eff) in enumerate([("1", ""), ("-1", "0"), ("", "1"), ("0", "-1")]):
        row = {"id": f"0000000{i}_00{i}", **{f: "" for f in FINDINGS}, "No Finding": ""}
        row["Mass"], row["Effusion"] = mass, eff
        rows.append(row)
    path = tmp_path / "labels.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


@pytest.mark.parametrize("policy,expected", [("ignore", np.nan), ("zeros", 0.0), ("ones", 1.0)])
def test_cxrlabel_output_maps_uncertain_by_policy_and_blank_to_zero(tmp_path, policy, expected):
    df = read_labels(_cxrlabel_csv(tmp_path), uncertain=policy)
    assert list(df.index) == [f"0000000{i}_00{i}.png" for i in range(4)]
    assert df["Mass"].iloc[0] == 1.0 and df["Mass"].iloc[2] == 0.0 and df["Mass"].iloc[3] == 0.0
    np.testing.assert_equal(df["Mass"].iloc[1], expected)
    np.testing.assert_equal(df["Effusion"].iloc[3], expected)
    assert df["Hernia"].eq(0).all()
    assert list(df["patient"]) == ["00000000", "00000001", "00000002", "00000003"]


def test_nih_data_entry_finding_labels_become_columns(tmp_path):
    path = tmp_path / "Data_Entry.csv"
    pd.DataFrame({
        "Image Index": ["00000001_000.png", "00000001_001.png", "00000002_000.png"],
        "Finding Labels": ["Cardiomegaly|Effusion", "No Finding", "Pleural_Thickening"],
        "Patient ID": ["1", "1", "2"],
    }).to_csv(path, index=False)
    df = read_labels(path)
    assert df.loc["00000001_000.png", ["Cardiomegaly", "Effusion"]].tolist() == [1.0, 1.0]
    assert df.loc["00000001_001.png", list(FINDINGS)].sum() == 0
    assert df.loc["00000002_000.png", "Pleural_Thickening"] == 1.0
    assert list(df["patient"]) == ["1", "1", "2"]


def test_bad_label_values_and_missing_columns_raise_v810(tmp_path):
    path = _cxrlabel_csv(tmp_path)
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df.loc[0, "Mass"] = "yes"
    df.to_csv(path, index=False)
    with pytest.raises(VisionError) as err:
        read_labels(path)
    assert err.value.code == "V810" and "Mass" in str(err.value)
    df.drop(columns=["Hernia"]).to_csv(path, index=False)
    with pytest.raises(VisionError, match="Hernia"):
        read_labels(path)


def _many_patients(n_patients=40, per=3):
    names = [f"{p:08d}_{k:03d}.png" for p in range(n_patients) for k in range(per)]
    df = pd.DataFrame(0.0, index=pd.Index(names, name="filename"), columns=list(FINDINGS))
    df["patient"] = [n[:8] for n in names]
    return df


def test_patient_split_never_puts_one_patient_in_two_parts():
    df = _many_patients()
    parts = patient_split(df, (0.6, 0.2, 0.2), seed=3)
    assert sum(len(v) for v in parts.values()) == len(df)
    owners = {k: {n[:8] for n in v} for k, v in parts.items()}
    for a, b in itertools.combinations(owners, 2):
        assert not owners[a] & owners[b]
    assert len(owners["train"]) == 24 and len(owners["val"]) == 8
    assert patient_split(df, (0.6, 0.2, 0.2), seed=3) == parts


def test_official_split_uses_the_test_list_and_splits_train_val_by_patient(tmp_path):
    df = _many_patients(10, 2)
    names = list(df.index)
    (tmp_path / "test_list.txt").write_text("\n".join(names[:4]) + "\n")
    (tmp_path / "train_val_list.txt").write_text("\n".join(names[4:]) + "\n")
    parts = official_split(df, tmp_path, val_fraction=0.25)
    assert parts["test"] == names[:4]
    assert sorted(parts["train"] + parts["val"]) == sorted(names[4:])
    assert not {n[:8] for n in parts["train"]} & {n[:8] for n in parts["val"]}


def test_bbox_list_2017_is_read_with_infiltrate_mapped(data_path):
    boxes = read_bboxes(data_path("nih/BBox_List_2017.csv.gz"))
    assert len(boxes) == 984 and boxes.image.nunique() == 880
    assert "Infiltration" in set(boxes.finding) and "Infiltrate" not in set(boxes.finding)
    assert set(boxes.finding) <= set(FINDINGS)
    small = read_bboxes(data_path("nih/images_bboxes.csv"))
    assert list(small.columns) == ["image", "finding", "x", "y", "w", "h"]
    assert (small[["w", "h"]] > 0).all().all()


def test_cache_is_built_once_and_matches_direct_decoding(tmp_path):
    rng = np.random.default_rng(0)
    names = []
    for i in range(3):
        name = f"{i:08d}_000.png"
        Image.fromarray(rng.integers(0, 255, (40, 30), dtype=np.uint8)).save(tmp_path / name)
        names.append(name)
    stem = tmp_path / "cache" / "c16"
    cache = build_cache(tmp_path, names, 16, stem, workers=2, progress=False)
    assert cache.array.shape == (3, 16, 16) and cache.names == names
    mtime = stem.with_name("c16.npy").stat().st_mtime_ns
    again = build_cache(tmp_path, names, 16, stem, progress=False)
    assert stem.with_name("c16.npy").stat().st_mtime_ns == mtime  # reused, not rebuilt
    direct = XrayDataset(names, image_dir=tmp_path, image_size=16)
    cached = XrayDataset(names, cache=again)
    for i in range(3):
        assert torch.equal(direct[i][0], cached[i][0])
        assert direct[i][0].shape == (1, 16, 16) and direct[i][0].dtype == torch.uint8


def test_cache_pickles_as_a_path_and_reopens_its_memmap(tmp_path):
    import pickle

    Image.fromarray(np.zeros((8, 8), dtype=np.uint8)).save(tmp_path / "a.png")
    cache = build_cache(tmp_path, ["a.png"], 8, tmp_path / "c", progress=False)
    blob = pickle.dumps(cache)
    assert len(blob) < 500
    again = pickle.loads(blob)
    assert isinstance(again.array, np.memmap) and again.names == ["a.png"]


def test_missing_image_raises_v811(tmp_path):
    with pytest.raises(VisionError) as err:
        XrayDataset(["nope.png"], image_dir=tmp_path, image_size=8)[0]
    assert err.value.code == "V811"


def test_to_input_makes_three_normalized_channels():
    img = torch.full((2, 1, 4, 4), 255, dtype=torch.uint8)
    x = to_input(img, channels_last=True)
    assert x.shape == (2, 3, 4, 4) and x.is_contiguous(memory_format=torch.channels_last)
    for c in range(3):
        assert x[0, c, 0, 0].item() == pytest.approx((1 - IMAGENET_MEAN[c]) / IMAGENET_STD[c])


def _auc_by_pairs(y, s):
    pos, neg = s[y == 1], s[y == 0]
    return np.mean([(p > n) + 0.5 * (p == n) for p in pos for n in neg])


def test_roc_auc_equals_pair_counting_with_ties_and_the_curve_area():
    rng = np.random.default_rng(4)
    y = (rng.random(200) < 0.3).astype(float)
    s = np.round(rng.random(200) + 0.5 * y, 1)  # rounding makes ties
    auc = roc_auc(y, s)
    assert auc == pytest.approx(_auc_by_pairs(y, s))
    fpr, tpr = roc_curve(y, s)
    assert fpr[0] == 0 and tpr[-1] == 1
    assert np.trapezoid(tpr, fpr) == pytest.approx(auc)


def test_roc_auc_ignores_nan_labels_and_is_nan_for_one_class():
    assert roc_auc([1, 0, np.nan], [0.9, 0.1, 0.0]) == 1.0
    assert np.isnan(roc_auc([1, 1, 1], [0.2, 0.3, 0.4]))
