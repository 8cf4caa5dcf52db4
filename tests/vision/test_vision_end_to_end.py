"""CPU end to end on synthetic images: train a random-init ResNet-18 through the CLI (with a
resume), then eval, predict, localize and eval-boxes on held-out images."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest
from click.testing import CliRunner

from cxrlabel_vision.cli import vision_group

from synthetic import make_synthetic

pytestmark = pytest.mark.slow
SIZE = 96


def _run(args):
    result = CliRunner().invoke(vision_group, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("synthetic")
    labels, _ = make_synthetic(root / "train", 160, SIZE, seed=0)
    test_labels, test_boxes = make_synthetic(root / "test", 40, SIZE, seed=1, start=1000)
    common = ["train", "--images", root / "train", "--labels", labels, "--out", root / "run",
              "--arch", "resnet18", "--weights", "none", "--image-size", SIZE,
              "--output-stride", "16", "--transition-dim", "64", "--batch-size", "16",
              "--accum", "1", "--optimizer", "adam", "--lr", "1e-3", "--device", "cpu",
              "--workers", "0", "--no-amp", "--no-channels-last",
              "--split-fractions", "0.7,0.2,0.1", "--log-every", "5"]
    first = _run(common + ["--epochs", "1"])
    second = _run(common + ["--epochs", "2", "--resume", "--score-test"])
    return {"root": root, "first": first, "second": second, "test_labels": test_labels,
            "labels": labels,
            "test_boxes": test_boxes, "ckpt": root / "run" / "best.pt"}


def test_training_logs_progress_checkpoints_and_resumes(trained):
    run = trained["root"] / "run"
    assert (run / "last.pt").is_file() and (run / "best.pt").is_file()
    history = [json.loads(line) for line in (run / "history.jsonl").read_text().splitlines()]
    assert [h["epoch"] for h in history] == [1, 2]
    assert "images/s" in trained["first"].stderr and "loss" in trained["first"].stderr
    assert "resumed from" in trained["second"].stderr
    summary = json.loads(trained["second"].stdout)
    assert summary["best_auc"] > 0.9
    assert "NaN" not in (run / "history.jsonl").read_text()  # Pneumonia's AUC is null
    assert history[0]["val_auc"]["Pneumonia"] is None


def test_split_lists_are_saved_and_the_test_split_is_scored_at_the_end(trained):
    run = trained["root"] / "run"
    summary = json.loads(trained["second"].stdout)
    test_names = (run / "splits" / "test.txt").read_text().split()
    train_names = set((run / "splits" / "train.txt").read_text().split())
    assert summary["images"]["test"] == len(test_names) > 5 and not train_names & set(test_names)
    assert summary["excluded_errors"] == 0
    saved = pd.read_csv(run / "test_auc.csv").set_index("finding")
    assert summary["test_auc"] == pytest.approx(saved.loc["mean", "auc"])
    out = _run(["eval", "--checkpoint", trained["ckpt"], "--images", trained["root"] / "train",
                "--labels", trained["labels"], "--split", "test", "--device", "cpu"])
    table = pd.read_csv(io.StringIO(out.stdout)).set_index("finding")
    assert table.loc["Mass", "positives"] + table.loc["Mass", "negatives"] == len(test_names)
    assert table.loc["mean", "auc"] == pytest.approx(saved.loc["mean", "auc"], abs=1e-4)


def test_held_out_auc_is_high_for_the_marked_findings(trained, tmp_path):
    roc = tmp_path / "roc.png"
    out = _run(["eval", "--checkpoint", trained["ckpt"], "--images", trained["root"] / "test",
                "--labels", trained["test_labels"], "--roc", roc, "--device", "cpu"])
    table = pd.read_csv(io.StringIO(out.stdout)).set_index("finding")
    assert table.loc["Mass", "auc"] > 0.9 and table.loc["Effusion", "auc"] > 0.9
    assert pd.isna(table.loc["Pneumonia", "auc"])  # all uncertain → masked
    assert roc.stat().st_size > 1000


def test_predict_writes_probabilities_that_eval_scores_without_a_model(trained, tmp_path):
    probs_csv = tmp_path / "probs.csv"
    _run(["predict", "--checkpoint", trained["ckpt"], "--images", trained["root"] / "test",
          "--device", "cpu", "-o", probs_csv])
    probs = pd.read_csv(probs_csv)
    assert len(probs) == 40 and probs.columns[0] == "filename"
    assert probs.drop(columns="filename").stack().between(0, 1).all()
    out = _run(["eval", "--predictions", probs_csv, "--labels", trained["test_labels"]])
    table = pd.read_csv(io.StringIO(out.stdout)).set_index("finding")
    assert table.loc["Mass", "auc"] > 0.9 and table.loc["Mass", "positives"] > 5


def test_localize_without_truth_keeps_the_asked_findings_above_min_prob(trained):
    pred = pd.read_csv(io.StringIO(_run(["predict", "--checkpoint", trained["ckpt"], "--images",
                                         trained["root"] / "test", "--device", "cpu"]).stdout))
    cut = float(pred["Mass"].median())  # W-CEL balances classes: 0.5 is not a natural cut
    out = _run(["localize", "--checkpoint", trained["ckpt"], "--images",
                trained["root"] / "test", "--finding", "Mass", "--min-prob", cut,
                "--device", "cpu"])
    boxes = pd.read_csv(io.StringIO(out.stdout))
    assert set(boxes.finding) == {"Mass"} and (boxes.prob >= cut).all()
    flagged = set(boxes.image)
    assert flagged == set(pred.filename[pred["Mass"] >= cut])
    labels = pd.read_csv(trained["test_labels"]).set_index("filename")
    assert labels.loc[sorted(flagged), "Mass"].mean() > 0.8


@pytest.mark.parametrize("control", ["boxes", "heatmap"])
def test_boxes_overlap_the_blobs_far_above_the_chance_control(trained, tmp_path, control):
    boxes_csv = tmp_path / "det.csv"
    _run(["localize", "--checkpoint", trained["ckpt"], "--images", trained["root"] / "test",
          "--bboxes", trained["test_boxes"], "--device", "cpu", "-o", boxes_csv])
    out = _run(["eval-boxes", "--detections", boxes_csv, "--images", trained["root"] / "test",
                "--bboxes", trained["test_boxes"], "--control", control])
    res = pd.read_csv(io.StringIO(out.stdout))
    acc = res[res.finding == "all"].pivot_table(index=["criterion", "T"], columns="method",
                                                values="accuracy")
    assert acc.loc[("iobb", 0.25), "model"] >= acc.loc[("iobb", 0.25), "random"] + 0.2
    assert acc.loc[("iou", 0.2), "model"] >= acc.loc[("iou", 0.2), "random"] + 0.2
    afp = res[(res.finding == "all") & (res.criterion == "iobb") & (res["T"] == 0.25)]
    afp = afp.set_index("method")["afp"]
    assert afp["model"] < afp["random"]


def test_localize_writes_boxes_and_overlays(trained, tmp_path):
    overlays = tmp_path / "overlays"
    boxes_csv = tmp_path / "boxes.csv"
    _run(["localize", "--checkpoint", trained["ckpt"], "--images", trained["root"] / "test",
          "--bboxes", trained["test_boxes"], "--overlays", overlays, "-o", boxes_csv,
          "--device", "cpu"])
    boxes = pd.read_csv(boxes_csv)
    truth = pd.read_csv(trained["test_boxes"])
    assert set(boxes.image) == set(truth["Image Index"])
    assert set(boxes.finding) <= {"Mass", "Effusion"}
    assert (boxes.x >= 0).all() and (boxes.x + boxes.w <= SIZE + 1e-6).all()
    assert len(list(overlays.glob("*.png"))) == len(truth.groupby(["Image Index",
                                                                   "Finding Label"]))


def test_torchrun_with_two_cpu_processes_trains_and_only_rank_zero_reports(tmp_path):
    import subprocess
    import sys

    labels, _ = make_synthetic(tmp_path / "imgs", 32, 64, seed=2)
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2",
           "--standalone", "-m", "cxrlabel_vision.cli", "train",
           "--images", tmp_path / "imgs", "--labels", labels, "--out", tmp_path / "run",
           "--arch", "resnet18", "--image-size", "64", "--output-stride", "16",
           "--transition-dim", "16", "--batch-size", "8", "--epochs", "1", "--device", "cpu",
           "--workers", "0", "--no-amp", "--no-channels-last", "--split-fractions",
           "0.75,0.25,0"]
    env = {**__import__("os").environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, env=env,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "× 2 process(es)" in done.stderr
    summaries = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert len(summaries) == 1 and summaries[0]["rank"] == 0
    assert (tmp_path / "run" / "best.pt").is_file()
