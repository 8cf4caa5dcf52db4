"""Accuracy on the OpenI gold (issue 5): `cxrlabel eval --gold openi` for each split, plus the
opt-in convention packs, written as the tables recorded in benchmarks/RESULTS.md.

    python benchmarks/bench_accuracy.py --reports ../shared/data/openi/NLMCXR_reports.tgz [--smoke]

Labels every report once per configuration (about a minute each on 2 cores).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace

from cxrlabel.gold import evaluate, load_gold
from cxrlabel.gold.report import format_result
from cxrlabel.labeler import Labeler


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reports", help="NLMCXR_reports.tgz (default: the usual lookup)")
    ap.add_argument("--packs", default=",differential,likelihood,chexpert",
                    help="comma-separated extra packs to compare ('' = default rules)")
    ap.add_argument("--smoke", action="store_true",
                    help="seconds: the first 12 gold reports, default rules and the chexpert pack, split all")
    args = ap.parse_args()
    gold = load_gold("openi", reports=args.reports)
    splits: tuple[str, ...] = ("test", "dev", "all")
    if args.smoke:
        ids = gold.ids[:12]
        gold = replace(gold, ids=ids, texts=gold.texts[:12], labels=gold.labels.loc[list(ids)])
        args.packs, splits = ",chexpert", ("all",)
    for pack in args.packs.split(","):
        labeler = Labeler(grammars=pack or None)
        name = pack or "default"
        for split in splits:
            res = evaluate(gold, labeler, split=split)
            if pack:
                d = json.loads(format_result(res, "json"))
                print(f"{name:12s} {split:4s} micro F1 {d['micro']['f1']:.3f}  normal F1 {d['normal']['f1']:.3f}")
            else:
                print(format_result(res, "table"))


if __name__ == "__main__":
    main()
