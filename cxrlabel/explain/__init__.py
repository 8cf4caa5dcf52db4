"""Why did a report get its labels? Sentences, parses, mentions and the rules that decided.

:func:`explain` labels a report and returns an :class:`Explanation`: per labeled sentence its
section, the normalized parse, every mention with what decided it — the path and structured
rules that fired on it (each with the token every pattern node bound and the sentence edges the
pattern used, and whether it decided the polarity), else the scope rules tried and the cue that
decided, else that nothing fired (a plain mention is positive); a NORMAL statement is shown as
asserted as written — then the report labels and Normal. Renderers turn it into terminal text
(:func:`render_text`), JSON (:meth:`Explanation.to_dict`) and a self-contained displaCy-style
HTML page with one SVG of dependency arcs per sentence (:func:`render_html`), where the tokens
and arcs bound by the deciding rules and the mention itself are highlighted.

Nothing here re-derives a decision: each mention's
:class:`~cxrlabel.rules.judge.Decision` comes from the labeler's judge
(:mod:`cxrlabel.rules.judge`), traced through every stage, so rules of later stages that also
matched are shown too, marked as not deciding.

Modules: :mod:`~cxrlabel.explain.model` (the dataclasses and their JSON form),
:mod:`~cxrlabel.explain.build` (from a result and its labeler's decisions),
:mod:`~cxrlabel.explain.text` and :mod:`~cxrlabel.explain.html` (the renderers).
"""

from __future__ import annotations

from .build import explain, explain_result
from .html import render_html, render_svg
from .model import BoundNode, Explanation, Firing, MentionExplanation, ScopeCheck, SentenceExplanation, TokenRow
from .text import render_text

__all__ = [
    "BoundNode",
    "Explanation",
    "Firing",
    "MentionExplanation",
    "ScopeCheck",
    "SentenceExplanation",
    "TokenRow",
    "explain",
    "explain_result",
    "render_html",
    "render_svg",
    "render_text",
]
