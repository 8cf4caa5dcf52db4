"""Old home of the matcher, kept so that ``from cxrlabel.matcher import Matcher`` still works.

The matcher lives in :mod:`cxrlabel.rules.matcher`; import it from there.
"""

from __future__ import annotations

from .rules.matcher import Hit, Matcher

__all__ = ["Hit", "Matcher"]
