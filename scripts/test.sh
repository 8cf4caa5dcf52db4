#!/usr/bin/env bash
# Set up a virtual environment with every extra and run the whole test suite.
# Used by the README's test command and by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[dev]"
# pytest exits 5 when it collected no test: that is a failure here, as is any other non-zero.
.venv/bin/python -m pytest "$@"
