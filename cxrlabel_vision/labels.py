"""Image label tables, splits and ground-truth boxes (pandas only, no torch).

Two label formats are read into one shape — a DataFrame indexed by image file name with the 14
:data:`~cxrlabel.types.FINDINGS` as float columns (1, 0, or NaN for "masked") and a ``patient``
column:

* cxrlabel's ``label`` output: an id column (``filename``/``Image Index``/``image``/``path``/
  ``id``) and the findings in 1 / 0 / -1 / blank (CheXpert convention);
* NIH ``Data_Entry_2017*.csv``: ``Finding Labels`` such as ``"Effusion|Mass"`` or ``"No Finding"``.

Splits are always by patient (images of one patient never straddle train and test): the
official ``train_val_list.txt`` / ``test_list.txt`` files, or a seeded random patient split.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from cxrlabel.errors import VisionError
from cxrlabel.types import CODE_LABELS, FINDINGS, Label

__all__ = [
    "UNCERTAIN_POLICIES",
    "official_split",
    "patient_split",
    "read_bboxes",
    "read_labels",
]

#: How an uncertain (-1) label is used: masked out of the loss (U-Ignore), 0 (U-Zeros), 1 (U-Ones).
UNCERTAIN_POLICIES = ("ignore", "zeros", "ones")
_ID_COLUMNS = ("filename", "Image Index", "image", "path", "id")
_PATIENT_COLUMNS = ("patient", "patient_id", "Patient ID")
# BBox_List_2017 and a few other NIH files spell Infiltration differently.
_SPELLINGS = {"Infiltrate": "Infiltration", "Pleural Thickening": "Pleural_Thickening"}
_NIH_NAME = re.compile(r"^(\d{8})_\d{3}\.png$")


def _patient_of(filename: str) -> str:
    m = _NIH_NAME.match(Path(filename).name)
    return m.group(1) if m else Path(filename).stem


def _target(label: Label, uncertain: str) -> float:
    """A label's training target: positive 1, negative 0 (as blank), uncertain as the U-policy says."""
    if label is Label.UNCERTAIN:
        return {"ignore": np.nan, "zeros": 0.0, "ones": 1.0}[uncertain]
    return 1.0 if label is Label.POSITIVE else 0.0


def _finding_columns(df: pd.DataFrame, index: pd.Index, p: Path, uncertain: str) -> pd.DataFrame:
    """The 14 finding columns as floats, from ``Finding Labels`` or 1/0/-1/blank columns."""
    out = pd.DataFrame(index=index)
    if "Finding Labels" in df.columns:
        sets = df["Finding Labels"].str.split("|").map(
            lambda xs: {_SPELLINGS.get(x.strip(), x.strip()) for x in xs}
        )
        for f in FINDINGS:
            out[f] = sets.map(lambda s, f=f: 1.0 if f in s else 0.0).to_numpy()
    else:
        missing = [f for f in FINDINGS if f not in df.columns]
        if missing:
            raise VisionError(
                f"label table {p} lacks finding columns {missing}; expected cxrlabel output of the "
                f"default chestxray14 scheme (id + 14 findings; a `--scheme chexpert` table has other "
                f"columns) or NIH Data_Entry (Finding Labels)",
                code="V810",
            )
        # cells read through the one label ↔ code table, then made training targets
        mapped = {"": 0.0}
        for code, label in CODE_LABELS.items():
            mapped[f"{code:g}"] = mapped[f"{code:.1f}"] = _target(label, uncertain)
        for f in FINDINGS:
            col = df[f].str.strip()
            bad = sorted(set(col) - set(mapped))
            if bad:
                raise VisionError(
                    f"label table {p}, column {f}: values {bad[:5]} are not 1/0/-1/blank",
                    code="V810",
                )
            out[f] = col.map(mapped).to_numpy(dtype=float)
    return out


def read_labels(path: str | Path, uncertain: str = "ignore") -> pd.DataFrame:
    """Read a label table (cxrlabel output or NIH Data_Entry) → DataFrame indexed by file name.

    Blank cells mean "not mentioned" and become 0, as in ChestX-ray8's negative class. ``-1``
    (uncertain) follows ``uncertain``: ``"ignore"`` → NaN (masked by the loss), ``"zeros"`` → 0,
    ``"ones"`` → 1. Ids without an extension get ``.png``.

    Rows whose ``error`` column (cxrlabel's label output) is not blank are reports the labeler
    could not read: they are dropped, never taken as "No Finding"; their number is in
    ``table.attrs["errors"]``.
    """
    if uncertain not in UNCERTAIN_POLICIES:
        raise VisionError(
            f"uncertain must be one of {UNCERTAIN_POLICIES}, got {uncertain!r}", code="V810"
        )
    p = Path(path)
    if not p.is_file():
        raise VisionError(f"label table {p} not found", code="V810")
    try:
        df = pd.read_csv(p, dtype=str, keep_default_na=False)
    except Exception as err:  # pandas raises several parser errors
        raise VisionError(f"cannot read label table {p}: {err}", code="V810") from err
    id_col = next((c for c in _ID_COLUMNS if c in df.columns), None)
    if id_col is None:
        raise VisionError(
            f"label table {p} has no id column; expected one of {_ID_COLUMNS}, got "
            f"{list(df.columns)[:8]}",
            code="V810",
        )
    errors = 0
    if "error" in df.columns:  # cxrlabel's label output: a report that failed has an error
        failed = df["error"].str.strip() != ""
        errors = int(failed.sum())
        df = df[~failed].reset_index(drop=True)
    names = df[id_col].str.strip()
    names = names.where(names.str.contains(r"\.\w+$", regex=True), names + ".png")
    out = _finding_columns(df, pd.Index(names, name="filename"), p, uncertain)
    pcol = next((c for c in _PATIENT_COLUMNS if c in df.columns), None)
    out["patient"] = (
        df[pcol].str.strip().to_numpy() if pcol else [_patient_of(n) for n in out.index]
    )
    if out.index.duplicated().any():
        dup = out.index[out.index.duplicated()][:3].tolist()
        raise VisionError(f"label table {p} repeats image ids, e.g. {dup}", code="V810")
    out.attrs["errors"] = errors
    return out


def _read_list(path: Path) -> list[str]:
    if not path.is_file():
        raise VisionError(f"split file {path} not found", code="V812")
    return [line.strip() for line in path.read_text().splitlines() if line.strip()]


def patient_split(
    labels: pd.DataFrame,
    fractions: Sequence[float] = (0.7, 0.1, 0.2),
    seed: int = 0,
) -> dict[str, list[str]]:
    """Random split by patient into ``train`` / ``val`` / ``test`` with the given fractions of
    patients (deterministic for a seed). Returns file names per part, in table order."""
    if len(fractions) != 3 or abs(sum(fractions) - 1.0) > 1e-6 or min(fractions) < 0:
        raise VisionError(f"split fractions must be 3 non-negative numbers summing to 1, got "
                          f"{tuple(fractions)}", code="V812")
    patients = np.array(sorted(set(labels["patient"])))
    rng = np.random.default_rng(seed)
    rng.shuffle(patients)
    n = len(patients)
    n_train = int(round(fractions[0] * n))
    n_val = int(round(fractions[1] * n))
    part = {p: "train" for p in patients[:n_train]}
    part.update({p: "val" for p in patients[n_train : n_train + n_val]})
    part.update({p: "test" for p in patients[n_train + n_val :]})
    out: dict[str, list[str]] = {"train": [], "val": [], "test": []}
    for name, patient in zip(labels.index, labels["patient"]):
        out[part[patient]].append(name)
    return out


def official_split(
    labels: pd.DataFrame, split_dir: str | Path, val_fraction: float = 0.1, seed: int = 0
) -> dict[str, list[str]]:
    """NIH's official split: ``test_list.txt`` is test; ``train_val_list.txt`` is split again by
    patient into train and ``val_fraction`` validation. Images missing from ``labels`` are
    dropped; labelled images in neither list are ignored."""
    d = Path(split_dir)
    train_val = set(_read_list(d / "train_val_list.txt"))
    test = set(_read_list(d / "test_list.txt"))
    tv = labels[labels.index.isin(train_val)]
    inner = patient_split(tv, (1 - val_fraction, val_fraction, 0.0), seed=seed)
    return {
        "train": inner["train"],
        "val": inner["val"],
        "test": [n for n in labels.index if n in test],
    }


def read_bboxes(path: str | Path) -> pd.DataFrame:
    """Ground-truth boxes → DataFrame with ``image, finding, x, y, w, h``.

    Reads NIH's ``BBox_List_2017.csv`` (header ``Bbox [x,y,w,h]`` spread over four columns,
    possibly gzipped) and the shared ``images_bboxes.csv`` (``x,y,w,h`` headers). The label
    "Infiltrate" is mapped to the finding name "Infiltration".
    """
    p = Path(path)
    if not p.is_file():
        raise VisionError(f"box file {p} not found", code="V813")
    df = pd.read_csv(p)
    if df.shape[1] < 6:
        raise VisionError(f"box file {p} needs 6 columns (image, label, x, y, w, h)", code="V813")
    df = df.iloc[:, :6]
    df.columns = ["image", "finding", "x", "y", "w", "h"]
    df["finding"] = df["finding"].str.strip().map(lambda s: _SPELLINGS.get(s, s))
    unknown = sorted(set(df["finding"]) - set(FINDINGS))
    if unknown:
        raise VisionError(f"box file {p} has unknown labels {unknown}", code="V813")
    df[["x", "y", "w", "h"]] = df[["x", "y", "w", "h"]].astype(float)
    return df.reset_index(drop=True)
