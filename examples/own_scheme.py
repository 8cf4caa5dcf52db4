"""Your own label scheme: a folder of YAML and one registration.

Run: ``python examples/own_scheme.py [WORKDIR]``. Writes the folder ``hospital/`` — a scheme
based on ``chestxray14`` that labels 16 findings: Effusion and Pleural_Thickening merged into
one "Pleural Abnormality", a "Lung Nodule or Mass" column, the other ChestX-ray14 findings it
keeps, and three the default scheme counts only as OTHER abnormalities (Fracture, Support
Device, Granuloma) plus one of its own (Scoliosis, with its own term list) — then

1. labels a report with ``cxrlabel.label(text, scheme=FOLDER)``;
2. registers the folder under a name (``cxrlabel.registry.schemes.register``) and labels by name;
3. runs ``cxrlabel label reports.csv --scheme FOLDER``: the CSV has the scheme's columns in the
   scheme's order.

A package would register the folder with an entry point instead (``pyproject.toml``)::

    [project.entry-points."cxrlabel.schemes"]
    hospital = "my_package:HOSPITAL_SCHEME"     # a pathlib.Path to the folder, or a factory
"""

from __future__ import annotations

import csv
import subprocess
import sys
import tempfile
from pathlib import Path

import cxrlabel
from cxrlabel.registry import schemes

SCHEME_YAML = """\
name: hospital
version: "1.0"
description: A hospital's 16 findings, built on the ChestX-ray14 ontology.
base: chestxray14
findings: [Atelectasis, Cardiomegaly, Pleural Abnormality, Lung Nodule or Mass, Pneumonia,
           Pneumothorax, Consolidation, Edema, Emphysema, Fibrosis, Hernia, Infiltration,
           Fracture, Support Device, Granuloma, Scoliosis]
normal: {column: Normal, first: false, other_blocks: true, ignore: [Support Device]}
"""

FINDINGS_YAML = """\
version: "1.0"
findings:
  Atelectasis: {from: [Atelectasis]}
  Cardiomegaly: {from: [Cardiomegaly]}
  Pleural Abnormality: {from: [Effusion, Pleural_Thickening]}
  Lung Nodule or Mass: {from: [Nodule, Mass]}
  Pneumonia: {from: [Pneumonia]}
  Pneumothorax: {from: [Pneumothorax]}
  Consolidation: {from: [Consolidation]}
  Edema: {from: [Edema]}
  Emphysema: {from: [Emphysema]}
  Fibrosis: {from: [Fibrosis]}
  Hernia: {from: [Hernia]}
  Infiltration: {from: [Infiltration]}
  Fracture: {from_other: [fracture]}
  Support Device: {from_other: [support device]}
  Granuloma: {from_other: [granuloma]}
  Scoliosis:
    cui: C0036439
    terms: [scoliosis, scoliotic curvature, dextroscoliosis, levoscoliosis]
"""

REPORT = "Small right pleural effusion. Stable calcified granuloma. Mild dextroscoliosis. No pneumothorax."


def write_scheme(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "scheme.yaml").write_text(SCHEME_YAML, encoding="utf-8")
    (folder / "findings.yaml").write_text(FINDINGS_YAML, encoding="utf-8")
    return folder


def main(work: Path) -> None:
    folder = write_scheme(work / "hospital")
    r = cxrlabel.label(REPORT, scheme=folder)
    print(r)
    assert list(r)[:3] == ["Atelectasis", "Cardiomegaly", "Pleural Abnormality"] and len(r) == 16
    assert r["Pleural Abnormality"] == "positive" and r["Granuloma"] == "positive"
    assert r["Scoliosis"] == "positive" and r["Pneumothorax"] == "negative" and r["Normal"] is None

    schemes.register("hospital", folder)  # a Path: a scheme folder
    assert cxrlabel.label(REPORT, scheme="hospital")["Scoliosis"] == "positive"

    reports = work / "reports.csv"
    reports.write_text(f'id,report\nr1,"{REPORT}"\nr2,"No acute cardiopulmonary abnormality."\n', encoding="utf-8")
    exe = Path(sys.executable).with_name("cxrlabel")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-c", "from cxrlabel.cli import main; main()"]
    out = subprocess.run([*cmd, "label", str(reports), "--scheme", str(folder), "--no-cache"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    rows = list(csv.DictReader(out.stdout.splitlines()))
    print(out.stdout)
    assert list(rows[0])[:2] == ["id", "Atelectasis"] and "Normal" in rows[0]
    assert rows[0]["Pleural Abnormality"] == "1" and rows[1]["Normal"] == "1"
    print("ok: a 16-finding scheme from one folder, by folder, by name and on the command line")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="cxrlabel-scheme-")))
