"""Terminal text for an :class:`~cxrlabel.explain.model.Explanation` (``cxrlabel explain``)."""

from __future__ import annotations

from typing import Any

from .model import Explanation, Firing, MentionExplanation, ScopeCheck, SentenceExplanation

__all__ = ["render_text"]

_POLARITY_COLOR = {"positive": "red", "negative": "green", "uncertain": "yellow"}


def _style(text: str, color: bool, **kw: Any) -> str:
    if not color:
        return text
    import click

    return click.style(text, **kw)


def _table(rows: list[list[str]], indent: str) -> list[str]:
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    return [indent + "  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in rows]


def _pol(p: str, color: bool) -> str:
    return _style(p, color, fg=_POLARITY_COLOR.get(p), bold=True)


def _firing_lines(f: Firing, s: SentenceExplanation, color: bool) -> list[str]:
    mark = _style("decided", color, bold=True) if f.decided else "not deciding"
    loc = f"  ({f.location})" if f.location else ""
    bound = "; ".join(f"{n.name} ({n.constraint}) = {n.token} {n.text!r}" for n in f.nodes)
    used = "; ".join(f"{s.tokens[h].text} -{r}-> {s.tokens[d].text}" for h, r, d in f.edges)
    return [
        f"    rule {_style(f.rule_id, color, fg='cyan', bold=True)} [{f.stage}] → {f.assigns}, {mark}",
        f"      pattern: {f.pattern}{loc}",
        f"      bound: {bound}",
        f"      edges: {used}",
    ]


def _scope_lines(c: ScopeCheck, color: bool) -> list[str]:
    loc = f"  ({c.location})" if c.location else ""
    head = f"    scope rule {_style(c.rule_id, color, fg='cyan', bold=True)} [{c.stage}] → {c.assigns}, "
    if not c.decided:
        return [head + "no cue in scope"]
    return [
        head + _style("decided", color, bold=True),
        f"      scope: {c.scope}{loc}",
        f"      cue: {c.cue} {c.cue_text!r}",
    ]


#: A scope decision after a pattern hit: every hit was a rule about the list (judge, rule step 3).
_SCOPE_AFTER_LIST_RULE = "    only rules about the list matched; a cue window of an earlier stage decides first:"


def _decision_lines(m: MentionExplanation, s: SentenceExplanation, color: bool) -> list[str]:
    """What decided the mention, in the judge's order (see :mod:`cxrlabel.rules.judge`)."""
    if m.basis == "normal":
        return ["    NORMAL: asserted as written (a normal statement carries its own negation; "
                "the finding rules do not judge it)"]
    if m.basis == "asserted":
        return [f"    asserted by the ontology: a normal statement that denies the finding ({', '.join(m.rules)}); "
                "the finding rules do not judge it"]
    lines = [ln for f in m.firings for ln in _firing_lines(f, s, color)]
    if m.basis == "scope":
        lines.append(_SCOPE_AFTER_LIST_RULE if m.firings else "    no path or structured rule fired; the scope rules decide:")
        lines += [ln for c in m.scope for ln in _scope_lines(c, color)]
    elif m.basis == "default":
        lines.append("    no rule fired (a plain mention is positive)")
        if m.scope:
            lines.append("      scope rules tried, no cue in scope: " + ", ".join(c.rule_id for c in m.scope))
    return lines


def _sentence_lines(s: SentenceExplanation, color: bool) -> list[str]:
    sec = f" [{s.section}]" if s.section else ""
    lines = [_style(f"sentence {s.index}{sec} {s.start}-{s.end}: ", color, bold=True) + s.text]
    rows = [["i", "text", "lemma", "tag", "head:rel"]]
    for t in s.tokens:
        heads = " ".join(f"{h}:{r}" for h, r in t.heads) or "root"
        rows.append([str(t.i), t.text, t.lemma, t.tag, heads])
    lines.extend(_table(rows, "    "))
    if not s.mentions:
        lines.append("  (no mentions)")
    for m in s.mentions:
        lines.append(
            f"  mention {m.text!r} {m.start}-{m.end} → {_style(m.finding, color, bold=True)} ({m.cui}), "
            f"head {m.head} {s.tokens[m.head].text!r}"
        )
        lines += _decision_lines(m, s, color)
        lines.append(f"    polarity: {_pol(m.polarity, color)}")
    lines.append("")
    return lines


def render_text(expl: Explanation, *, color: bool = False) -> str:
    """Plain-text explanation for a terminal (ANSI colour only when ``color``)."""
    lines: list[str] = [] if expl.sentences else ["(no sentence labeled: empty report, or no FINDINGS/IMPRESSION text)", ""]
    for s in expl.sentences:
        lines += _sentence_lines(s, color)
    for a, b, err in expl.failures:
        lines.append(f"unparsed sentence {a}-{b}: {err}")
    lines.append(_style("labels:", color, bold=True))
    mentioned = [f for f in expl.labels if expl.labels.get(f) is not None]
    for f in mentioned:
        rules = ", ".join(expl.rules.get(f, ())) or "-"
        lab = expl.labels[f] or ""
        lines.append(f"  {f.ljust(18)} {_pol(lab, color)}{' ' * (9 - len(lab))}  rules: {rules}")
    if not mentioned:
        lines.append("  (no finding mentioned)")
    lines.append(f"normal: {'yes' if expl.normal else 'no'}   (policy {expl.policy})")
    return "\n".join(lines) + "\n"
