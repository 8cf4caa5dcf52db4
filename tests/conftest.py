"""Shared test helpers.

Tests that need the project's shared data read it from ``../shared/data`` (or the folder named
by ``CXRLABEL_SHARED_DATA``). Off CI a missing file skips the test with the reason; under
``CI=true`` it is a failure, because CI always has the data.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
TESTS = Path(__file__).resolve().parent


def shared_data_dir() -> Path:
    env = os.environ.get("CXRLABEL_SHARED_DATA")
    return Path(env) if env else REPO.parent / "shared" / "data"


def require_data(relpath: str) -> Path:
    """Path of a file under the shared data folder, or skip (fail under CI) when absent."""
    path = shared_data_dir() / relpath
    if not path.exists():
        msg = (
            f"shared data file {path} is missing; put the project's shared/data beside the "
            f"repository or set CXRLABEL_SHARED_DATA"
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(msg)
        pytest.skip(msg)
    return path


@pytest.fixture
def data_path():
    """``data_path("openi/openi_gld_std14.csv")`` → Path (skips/fails as above)."""
    return require_data


class CountingParser:
    """The real spaCy parser, counting the sentences it is asked to parse."""

    def __init__(self, parser):
        self.parser, self.name, self.version, self.texts = parser, parser.name, parser.version, []

    def parse(self, texts):
        texts = list(texts)
        self.texts += texts
        return self.parser.parse(texts)
