"""Terminal text for an :class:`~cxrlabel.explain.model.Explanation` (``cxrlabel explain``)."""

from __future__ import annotations

from typing import Any

from ..types import FINDINGS
from .model import Explanation

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


def render_text(expl: Explanation, *, color: bool = False) -> str:
    """Plain-text explanation for a terminal (ANSI colour only when ``color``)."""

    def pol(p: str) -> str:
        return _style(p, color, fg=_POLARITY_COLOR.get(p), bold=True)

    lines: list[str] = [] if expl.sentences else ["(no sentence labeled: empty report, or no FINDINGS/IMPRESSION text)", ""]
    for s in expl.sentences:
        sec = f" [{s.section}]" if s.section else ""
        lines.append(_style(f"sentence {s.index}{sec} {s.start}-{s.end}: ", color, bold=True) + s.text)
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
            if not m.firings:
                lines.append("    no rule fired (a plain mention is positive)")
            for f in m.firings:
                mark = _style("decided", color, bold=True) if f.decided else "not deciding"
                loc = f"  ({f.location})" if f.location else ""
                lines.append(f"    rule {_style(f.rule_id, color, fg='cyan', bold=True)} [{f.stage}] → {f.assigns}, {mark}")
                lines.append(f"      pattern: {f.pattern}{loc}")
                bound = "; ".join(f"{n.name} ({n.constraint}) = {n.token} {n.text!r}" for n in f.nodes)
                lines.append(f"      bound: {bound}")
                used = "; ".join(f"{s.tokens[h].text} -{r}-> {s.tokens[d].text}" for h, r, d in f.edges)
                lines.append(f"      edges: {used}")
            lines.append(f"    polarity: {pol(m.polarity)}")
        lines.append("")
    for a, b, err in expl.failures:
        lines.append(f"unparsed sentence {a}-{b}: {err}")
    lines.append(_style("labels:", color, bold=True))
    mentioned = [f for f in FINDINGS if expl.labels.get(f) is not None]
    for f in mentioned:
        rules = ", ".join(expl.rules.get(f, ())) or "-"
        lab = expl.labels[f] or ""
        lines.append(f"  {f.ljust(18)} {pol(lab)}{' ' * (9 - len(lab))}  rules: {rules}")
    if not mentioned:
        lines.append("  (no finding mentioned)")
    lines.append(f"normal: {'yes' if expl.normal else 'no'}   (policy {expl.policy})")
    return "\n".join(lines) + "\n"

