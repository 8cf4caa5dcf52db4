"""Golden snapshot of what the labeler decides, for proving a refactor changes nothing.

Writes, into OUT:
- ``openi_labels.csv``: ``label_many`` over every OpenI report (id, the 14 findings, No Finding,
  error), in tarball order;
- ``explain.txt``: ``cxrlabel explain`` text for a fixed set of sentences written for this
  purpose (negation, hedges, lists, scope fallback, NORMAL mentions, exceptions);
- ``explain.json``: the same explanations as JSON.

Usage: ``python scripts/golden.py OUT`` on the old commit and on the new one, then
``diff -r OLD NEW``. Needs ``../shared/data/openi`` (or ``CXRLABEL_SHARED_DATA``).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

#: Sentences written by us (not copied from any gold set) that exercise each judging path.
SENTENCES = (
    "No pneumothorax.",
    "No evidence of pleural effusion.",
    "There is a small right pleural effusion.",
    "Mild cardiomegaly.",
    "Pneumonia cannot be excluded.",
    "No acute process or large pneumothorax.",
    "No acute cardiopulmonary abnormality.",
    "Lungs are clear without focal consolidation, effusion or pneumothorax.",
    "No focal airspace disease, pneumothorax, or pleural effusion is identified.",
    "Possible small left effusion.",
    "Findings may represent atelectasis or pneumonia.",
    "No change in the moderate right effusion.",
    "Heart size is normal without cardiomegaly.",
    "Clear of focal airspace disease, pneumothorax, or pleural effusion.",
    "Low lung volumes with bibasilar atelectasis.",
    "Pulmonary edema has resolved.",
    "Questionable nodule in the right upper lobe.",
    "No effusion but a small right pneumothorax is seen.",
    "Emphysema. No mass.",
    "Atelectasis versus scarring at the left base.",
    "FINDINGS: The lungs are clear. IMPRESSION: No active disease.",
    "Stable cardiomegaly. No pulmonary edema or effusion.",
    "Probable right lower lobe pneumonia.",
    "Hyperinflation consistent with emphysema, without pneumothorax.",
)


def shared_data() -> Path:
    env = os.environ.get("CXRLABEL_SHARED_DATA")
    return Path(env) if env else Path(__file__).resolve().parents[1].parent / "shared" / "data"


def main(out: Path) -> None:
    import cxrlabel
    from cxrlabel.explain import explain, render_text
    from cxrlabel.gold.openi import read_openi_reports

    out.mkdir(parents=True, exist_ok=True)
    reports = read_openi_reports(shared_data() / "openi" / "NLMCXR_reports.tgz")
    df = cxrlabel.label_many([r.text for r in reports], jobs=1, cache=None, progress=False)
    df.insert(0, "report", [r.id for r in reports])
    df.drop(columns=["id"]).to_csv(out / "openi_labels.csv", index=False)

    labeler = cxrlabel.Labeler()
    texts, dicts = [], []
    for s in SENTENCES:
        expl = explain(s, labeler)
        texts.append(render_text(expl, color=False))
        dicts.append(expl.to_dict())
    (out / "explain.txt").write_text("\n".join(texts), encoding="utf-8")
    (out / "explain.json").write_text(json.dumps(dicts, indent=1, ensure_ascii=False), encoding="utf-8")
    print(f"wrote {out} ({len(df)} reports, {len(SENTENCES)} explanations)", file=sys.stderr)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python scripts/golden.py OUT")
    main(Path(sys.argv[1]))
