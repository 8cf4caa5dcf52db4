"""eval-boxes on a detections CSV (no model): the CSV and the paper-style table outputs."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
from click.testing import CliRunner
from PIL import Image

from cxrlabel_vision.cli import vision_group


def test_eval_boxes_scores_a_detections_csv_and_prints_the_paper_table(tmp_path):
    images = tmp_path / "img"
    images.mkdir()
    for name in ("a.png", "b.png"):
        Image.fromarray(np.zeros((100, 100), dtype=np.uint8)).save(images / name)
    truth = tmp_path / "truth.csv"
    pd.DataFrame([("a.png", "Infiltrate", 0, 0, 50, 50), ("b.png", "Mass", 50, 50, 50, 50)],
                 columns=["Image Index", "Finding Label", "x", "y", "w", "h"]).to_csv(truth,
                                                                                     index=False)
    det = tmp_path / "det.csv"
    pd.DataFrame([("a.png", "Infiltration", 0, 0, 50, 50), ("b.png", "Mass", 0, 0, 10, 10)],
                 columns=["image", "finding", "x", "y", "w", "h"]).to_csv(det, index=False)
    base = ["eval-boxes", "--bboxes", str(truth), "--images", str(images), "--detections",
            str(det), "--map-size", "4"]
    out = CliRunner().invoke(vision_group, base, catch_exceptions=False)
    assert out.exit_code == 0, out.output
    res = pd.read_csv(io.StringIO(out.stdout))
    model = res[(res.method == "model") & (res.criterion == "iou")].set_index(["T", "finding"])
    assert model.loc[(0.7, "Infiltration"), "accuracy"] == 1.0
    assert model.loc[(0.1, "Mass"), "accuracy"] == 0.0
    assert model.loc[(0.1, "Mass"), "afp"] == 1.0
    assert model.loc[(0.1, "all"), "accuracy"] == 0.5
    table = CliRunner().invoke(vision_group, base + ["--format", "table", "--control", "none"],
                               catch_exceptions=False)
    assert table.exit_code == 0
    assert "T(IOBB)" in table.stdout and "T(IOU)" in table.stdout
    assert "Infiltration" in table.stdout and "random" not in table.stdout


def test_cli_errors_carry_their_code_and_exit_2(tmp_path):
    from cxrlabel.cli import main

    runner = CliRunner()
    bad_split = runner.invoke(main, ["vision", "train", "--images", str(tmp_path), "--labels",
                                     str(tmp_path / "l.csv"), "--out", str(tmp_path / "o"),
                                     "--split-fractions", "0.7,0.3"])
    assert bad_split.exit_code == 2 and "error[V812]" in bad_split.output
    bad_arch = runner.invoke(main, ["vision", "predict", "--images", str(tmp_path), "--arch",
                                    "resnet51", "--device", "cpu"])
    assert bad_arch.exit_code == 2 and "error[X701]" in bad_arch.output
    assert "resnet50" in bad_arch.output
