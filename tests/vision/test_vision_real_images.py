"""localize, eval-boxes and eval on the 83 real NIH 1024² PNGs with their radiologist boxes.

Any model proves the formats work end to end, so these use an untrained ResNet-18 at 256²."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from click.testing import CliRunner

from cxrlabel.types import FINDINGS
from cxrlabel_vision.cli import vision_group

pytestmark = [pytest.mark.slow, pytest.mark.data]
MODEL = ["--arch", "resnet18", "--weights", "none", "--image-size", "256", "--device", "cpu"]


def _run(args):
    result = CliRunner().invoke(vision_group, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def test_eval_boxes_scores_all_boxed_real_images_with_a_random_control(data_path):
    images = data_path("nih/images")
    out = _run(["eval-boxes", "--images", images, "--bboxes", data_path("nih/images_bboxes.csv")]
               + MODEL)
    res = pd.read_csv(io.StringIO(out.stdout))
    assert set(res.method) == {"model", "random"}
    allrows = res[res.finding == "all"]
    assert (allrows.boxes == 86).all()  # 86 boxes on the 75 boxed images
    assert set(res.finding) - {"all"} == {"Atelectasis", "Cardiomegaly", "Effusion",
                                          "Infiltration", "Mass", "Nodule", "Pneumonia",
                                          "Pneumothorax"}
    assert sorted(set(res[res.criterion == "iobb"]["T"])) == [0.1, 0.25, 0.5, 0.75, 0.9]
    assert sorted(set(res[res.criterion == "iou"]["T"])) == [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]
    assert res.accuracy.between(0, 1).all() and (res.afp >= 0).all()
    assert "75 images, 86 boxes" in out.stderr


def test_localize_reads_bbox_list_2017_and_draws_overlays(data_path, tmp_path):
    images = data_path("nih/images")
    names = tmp_path / "names.txt"
    names.write_text("00000147_001.png\n00000377_004.png\n")
    overlays = tmp_path / "overlays"
    out = _run(["localize", "--images", images, "--names", names, "--bboxes",
                data_path("nih/BBox_List_2017.csv.gz"), "--overlays", overlays] + MODEL)
    boxes = pd.read_csv(io.StringIO(out.stdout))
    assert set(boxes.image) == {"00000147_001.png", "00000377_004.png"}
    assert set(boxes.finding) == {"Atelectasis", "Cardiomegaly"}
    # boxes are in the original 1024² pixel frame, not the 256² input
    assert (boxes.x + boxes.w).max() <= 1024 + 1e-6 and (boxes.x + boxes.w).max() > 256
    assert sorted(p.name for p in overlays.glob("*.png")) == [
        "00000147_001_Atelectasis.png", "00000377_004_Cardiomegaly.png"]


def test_eval_with_nih_data_entry_labels_on_real_images(data_path, tmp_path):
    out = _run(["eval", "--images", data_path("nih/images"), "--labels",
                data_path("nih/Data_Entry_2017_v2020.csv.gz"), "--roc", tmp_path / "roc.png",
                "--batch-size", "8", "--arch", "resnet18", "--image-size", "128",
                "--device", "cpu"])
    table = pd.read_csv(io.StringIO(out.stdout)).set_index("finding")
    assert list(table.index) == list(FINDINGS) + ["mean"]
    assert table.loc["mean", "positives"] + table.loc["mean", "negatives"] == 83 * 14
    assert (tmp_path / "roc.png").is_file()
