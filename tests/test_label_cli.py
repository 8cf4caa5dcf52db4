"""``cxrlabel label``: --jobs, shards under OUT.parts/, --resume after a SIGKILL, parse cache
options; the output equals an uninterrupted run."""

from __future__ import annotations

import csv
import io
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from cxrlabel.cli import main

CLI = [sys.executable, "-c", "from cxrlabel.cli import main; main()"]
PHRASES = [
    "No pneumothorax.",
    "Mild cardiomegaly.",
    "There is a small right pleural effusion.",
    "Pneumonia cannot be excluded.",
    "The lungs are clear.",
    "Left lower lobe atelectasis.",
    "No pleural effusion or pneumothorax.",
    "Stable {n} mm nodule in the right upper lobe.",
    "Interval increase in the {n} cm left lung mass.",
    "Hyperinflated lungs consistent with emphysema, unchanged since {n}.",
    "Findings may represent edema or pneumonia.",
]


def make_reports(n: int, seed: int = 7) -> list[tuple[str, str]]:
    rnd = random.Random(seed)
    out = []
    for k in range(n):
        sents = [p.format(n=rnd.randint(2, 40)) for p in rnd.sample(PHRASES, 3)]
        out.append((f"r{k:04d}", f"FINDINGS: Exam {k}. " + " ".join(sents)))
    return out


def write_csv(path: Path, reports: list[tuple[str, str]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "report"])
        w.writerows(reports)
    return path


def read_rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def run(args: list[str], env: dict[str, str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], env=env, capture_output=True, text=True, timeout=600, **kw)


@pytest.fixture
def env():
    # every command below names its parse cache (--cache PATH or --no-cache); the concept
    # index keeps using the normal cache dir so that it is not rebuilt per test
    return dict(os.environ)


@pytest.mark.slow
def test_a_killed_job_resumes_without_relabeling_and_equals_an_uninterrupted_run(tmp_path, env):
    reports = make_reports(400)
    src = write_csv(tmp_path / "in.csv", reports)
    out = tmp_path / "out.csv"
    parts = Path(f"{out}.parts")
    args = ["label", str(src), "-o", str(out), "--shard-size", "10", "--no-cache"]
    proc = subprocess.Popen([*CLI, *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 300
    while time.time() < deadline and len(list(parts.glob("shard-*.csv"))) < 3:
        assert proc.poll() is None, proc.stderr.read().decode()
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done = sorted(parts.glob("shard-*.csv"))
    assert 3 <= len(done) < 40 and not out.exists() and (parts / "manifest.json").exists()
    # mark one finished shard: if --resume relabeled it, the mark would disappear
    first = done[0]
    lines = first.read_text(encoding="utf-8").splitlines(keepends=True)
    cells = lines[0].split(",")
    cells[-2] = "7"  # the No Finding cell of the shard's first row
    first.write_text(",".join(cells) + "".join(lines[1:]), encoding="utf-8")

    resumed = run([*args, "--resume"], env)
    assert resumed.returncode == 0, resumed.stderr
    assert f"resuming: {len(done)} finished shards kept" in resumed.stderr
    assert not parts.exists()

    whole = tmp_path / "whole.csv"
    ref = run(["label", str(src), "-o", str(whole), "--shard-size", "10", "--jobs", "2", "--cache", str(tmp_path / "c.sqlite")], env)
    assert ref.returncode == 0, ref.stderr
    got, want = read_rows(out), read_rows(whole)
    assert [r["id"] for r in got] == [rid for rid, _ in reports]  # input order, no duplicates
    first_id = cells[0]
    assert got[0]["id"] == first_id and got[0]["No Finding"] == "7"
    got[0]["No Finding"] = want[0]["No Finding"]
    assert got == want


def test_existing_shards_need_resume_and_resume_needs_the_same_input(tmp_path, env):
    reports = make_reports(6)
    src = write_csv(tmp_path / "in.csv", reports)
    out = tmp_path / "out.csv"
    parts = Path(f"{out}.parts")
    runner = CliRunner()
    # a finished job, then a parts folder left by another job on the same output
    res = runner.invoke(main, ["label", str(src), "-o", str(out), "--shard-size", "4", "--no-cache"])
    assert res.exit_code == 0, res.output
    parts.mkdir()
    (parts / "manifest.json").write_text('{"format_version": 1}', encoding="utf-8")
    res = runner.invoke(main, ["label", str(src), "-o", str(out), "--no-cache"])
    assert res.exit_code == 2 and "I233" in res.output and "--resume" in res.output
    res = runner.invoke(main, ["label", str(src), "-o", str(out), "--no-cache", "--resume"])
    assert res.exit_code == 2 and "I234" in res.output and "input_sha256" in res.output


def test_stdout_output_with_two_jobs_is_in_input_order_and_uses_the_cache(tmp_path, env):
    reports = make_reports(12)
    src = write_csv(tmp_path / "in.csv", reports)
    one = run(["label", str(src), "--shard-size", "5", "--cache", str(tmp_path / "c.sqlite")], env)
    two = run(["label", str(src), "--shard-size", "5", "--jobs", "2", "--cache", str(tmp_path / "c.sqlite")], env)
    assert one.returncode == 0 and two.returncode == 0, one.stderr + two.stderr
    assert one.stdout == two.stdout
    assert [r["id"] for r in csv.DictReader(io.StringIO(one.stdout))] == [rid for rid, _ in reports]
    info = run(["cache", "info", "--cache", str(tmp_path / "c.sqlite")], env)
    assert "entries: 0" not in info.stdout and "parser: spacy spacy-" in info.stdout
    assert list(tmp_path.glob("c.sqlite*"))  # --cache PATH is where the parses went


def test_a_file_that_cannot_be_read_keeps_its_read_error_on_stdout_and_in_sharded_output(tmp_path):
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "a.txt").write_text("Mild cardiomegaly.", encoding="utf-8")
    (reports / "b.txt").write_bytes(b"No effusion. \xff")
    (reports / "c.txt").write_text("There is a small right pleural effusion.", encoding="utf-8")
    runner = CliRunner()
    res = runner.invoke(main, ["label", str(reports), "--no-cache", "--shard-size", "2", "--allow-failures"])
    assert res.exit_code == 0, res.output
    stdout = list(csv.DictReader(io.StringIO(res.stdout)))
    out = tmp_path / "out.csv"
    res = runner.invoke(main, ["label", str(reports), "-o", str(out), "--no-cache", "--shard-size", "2"])
    assert res.exit_code == 1, res.output  # one report failed: the run says so
    assert "error[I253]: 1 of 3 reports failed (1 I201): ids b" in res.stderr
    assert read_rows(out) == stdout
    a, b, c = stdout
    assert [a["id"], b["id"], c["id"]] == ["a", "b", "c"]
    assert "I201" in b["error"] and "report b:" in res.stderr  # the read error, never "no findings"
    assert all(b[k] == "" for k in ("Effusion", "No Finding"))
    assert a["Cardiomegaly"] == "1" and c["Effusion"] == "1" and a["error"] == c["error"] == ""
