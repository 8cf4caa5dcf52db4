#!/usr/bin/env bash
# Set up a virtual environment (core only) and label one report.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e .
echo "FINDINGS: Heart size is mildly enlarged. No pneumothorax or pleural effusion. IMPRESSION: Mild cardiomegaly." \
  | .venv/bin/cxrlabel label - --format jsonl --explain
