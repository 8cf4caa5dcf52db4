"""Why did a report get its labels? Sentences, parses, mentions and the rules that fired.

:func:`explain` labels a report and returns an :class:`Explanation`: per labeled sentence its
section, the normalized parse, every mention with the rules that fired on it (each with the
token every pattern node bound and the sentence edges the pattern used, and whether it decided
the polarity), then the report labels and Normal. Renderers turn it into terminal text
(:func:`render_text`), JSON (:meth:`Explanation.to_dict`) and a self-contained displaCy-style
HTML page with one SVG of dependency arcs per sentence (:func:`render_html`), where the tokens
and arcs bound by the deciding rules and the mention itself are highlighted.

The rules are re-run stage by stage exactly as :meth:`cxrlabel.Labeler.judge` runs them (the
same conjunct-propagated anchors), so rules of later stages that also matched are shown too,
marked as not deciding.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .labeler import list_anchors
from .types import FINDINGS, Label, Mention, Sentence, Stage

if TYPE_CHECKING:  # pragma: no cover
    from .labeler import Labeler
    from .matcher import Hit
    from .result import ReportLabels

__all__ = [
    "BoundNode",
    "Explanation",
    "Firing",
    "MentionExplanation",
    "SentenceExplanation",
    "TokenRow",
    "explain",
    "explain_result",
    "render_html",
    "render_svg",
    "render_text",
]


@dataclass(frozen=True)
class TokenRow:
    """One token of the normalized parse; ``heads`` lists every incoming ``(head, rel)``
    (normalization can give a token two heads, e.g. ``prep_of`` beside ``pobj``)."""

    i: int
    text: str
    lemma: str
    tag: str
    heads: tuple[tuple[int, str], ...]


@dataclass(frozen=True)
class BoundNode:
    """A pattern node, its constraint, and the token it bound."""

    name: str
    constraint: str
    token: int
    text: str


@dataclass(frozen=True)
class Firing:
    """A rule that matched a mention: its stage and label, whether it decided the polarity,
    the token each pattern node bound and the sentence edges ``(head, rel, dep)`` it used."""

    rule_id: str
    stage: str
    assigns: str
    decided: bool
    pattern: str
    location: str | None
    anchor: int
    nodes: tuple[BoundNode, ...]
    edges: tuple[tuple[int, str, int], ...]


@dataclass(frozen=True)
class MentionExplanation:
    """A concept mention, its polarity, and every rule that fired on it."""

    finding: str
    cui: str
    text: str
    start: int
    end: int
    head: int
    nodes: tuple[int, ...]
    polarity: str
    rules: tuple[str, ...]
    firings: tuple[Firing, ...]


@dataclass(frozen=True)
class SentenceExplanation:
    """One labeled sentence: where it is, its parse and its mentions."""

    index: int
    section: str | None
    text: str
    start: int
    end: int
    tokens: tuple[TokenRow, ...]
    mentions: tuple[MentionExplanation, ...]


@dataclass(frozen=True)
class Explanation:
    """Everything behind one report's labels."""

    text: str
    sentences: tuple[SentenceExplanation, ...]
    labels: dict[str, str | None]
    rules: dict[str, list[str]]
    normal: bool
    policy: str
    failures: tuple[tuple[int, int, str], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able form (what ``cxrlabel explain --json`` prints)."""

        def firing(f: Firing) -> dict[str, Any]:
            return {
                "rule": f.rule_id, "stage": f.stage, "assigns": f.assigns, "decided": f.decided,
                "pattern": f.pattern, "location": f.location, "anchor": f.anchor,
                "nodes": [{"name": n.name, "constraint": n.constraint, "token": n.token, "text": n.text} for n in f.nodes],
                "edges": [{"head": h, "rel": r, "dep": d} for h, r, d in f.edges],
            }

        return {
            "text": self.text,
            "sentences": [
                {
                    "index": s.index, "section": s.section, "text": s.text, "start": s.start, "end": s.end,
                    "tokens": [
                        {"i": t.i, "text": t.text, "lemma": t.lemma, "tag": t.tag,
                         "heads": [{"head": h, "rel": r} for h, r in t.heads]}
                        for t in s.tokens
                    ],
                    "mentions": [
                        {
                            "finding": m.finding, "cui": m.cui, "text": m.text, "start": m.start, "end": m.end,
                            "head": m.head, "nodes": list(m.nodes), "polarity": m.polarity, "rules": list(m.rules),
                            "firings": [firing(f) for f in m.firings],
                        }
                        for m in s.mentions
                    ],
                }
                for s in self.sentences
            ],
            "labels": dict(self.labels),
            "rules": {k: list(v) for k, v in self.rules.items()},
            "normal": self.normal,
            "policy": self.policy,
            "failures": [{"start": a, "end": b, "error": e} for a, b, e in self.failures],
        }


# -- building ---------------------------------------------------------------------------------
def _hit_key(hit: Hit) -> tuple:
    return hit.rule_id, tuple(sorted(hit.bindings.items()))


def _short(constraint: str, limit: int = 60) -> str:
    """A node constraint cut to ``limit`` characters (lemma sets of 20+ words are common)."""
    return constraint if len(constraint) <= limit else constraint[: limit - 1].rsplit(",", 1)[0] + ", …}"


def _firings(labeler: Labeler, sent: Sentence, mention: Mention) -> tuple[Firing, ...]:
    graph = sent.graph
    _, decided_hits = labeler.judge(sent, mention)
    decided = {_hit_key(h) for h in decided_hits}
    anchors = list_anchors(graph, mention.head)
    out = []
    for stage in Stage:  # the labeler's stage order
        hits: list[Hit] = []
        for anchor in anchors:
            hits = labeler.matcher.match(graph, anchor, stage=stage)
            if hits:
                break
        for h in hits:
            rule = labeler.matcher.get(h.rule_id)
            pat = rule.pattern
            nodes = tuple(
                BoundNode(name, _short(pat.nodes[name].describe()), tok, graph.nodes[tok]["text"])
                for name, tok in sorted(h.bindings.items(), key=lambda kv: kv[1])
            )
            edges = tuple(
                (h.bindings[e.head], graph.edges[h.bindings[e.head], h.bindings[e.dep]]["rel"], h.bindings[e.dep])
                for e in pat.edges
            )
            out.append(Firing(
                rule_id=h.rule_id,
                stage=h.stage.value,
                assigns=h.assigns.value,
                decided=_hit_key(h) in decided,
                pattern=rule.source or pat.canonical(),
                location=str(rule.location) if rule.location else None,
                anchor=h.bindings[pat.anchor],
                nodes=nodes,
                edges=edges,
            ))
    return tuple(out)


def _tokens(sent: Sentence) -> tuple[TokenRow, ...]:
    g = sent.graph
    return tuple(
        TokenRow(t.i, t.text, t.lemma, t.tag, tuple(sorted((h, g.edges[h, t.i]["rel"]) for h in g.predecessors(t.i))))
        for t in sent.tokens
    )


def explain_result(result: ReportLabels, labeler: Labeler) -> Explanation:
    """The explanation of a result ``labeler`` produced (rules are re-matched for bindings)."""
    by_index = {s.index: s for s in result.sentences}
    per_sentence: dict[int, list[MentionExplanation]] = {}
    for m in result.mentions:
        sent = by_index.get(m.sentence) or result.sentences[m.sentence]
        per_sentence.setdefault(sent.index, []).append(MentionExplanation(
            finding=m.finding, cui=m.cui, text=m.text, start=m.start, end=m.end, head=m.head,
            nodes=tuple(m.nodes), polarity=Label(m.polarity).value, rules=tuple(m.rules),
            firings=_firings(labeler, sent, m),
        ))
    sentences = tuple(
        SentenceExplanation(s.index, s.section, s.text, s.start, s.end, _tokens(s), tuple(per_sentence.get(s.index, ())))
        for s in result.sentences
    )
    return Explanation(
        text=result.text,
        sentences=sentences,
        labels={f: (None if result[f] is None else result[f].value) for f in FINDINGS},
        rules={f: result.rule_ids(f) for f in FINDINGS if result[f] is not None},
        normal=result.normal,
        policy=result.policy,
        failures=tuple(result.failures),
    )


def explain(text: str | bytes, labeler: Labeler | None = None) -> Explanation:
    """Label ``text`` (with ``labeler``, default: the cached default labeler) and explain it."""
    from .labeler import default_labeler

    labeler = labeler or default_labeler()
    return explain_result(labeler.label(text), labeler)


# -- terminal text ----------------------------------------------------------------------------
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


# -- SVG / HTML -------------------------------------------------------------------------------
_CHAR_W, _PAD, _LEVEL_H, _BASE = 8.0, 24.0, 28.0, 30.0


def _levels(edges: list[tuple[int, str, int]]) -> list[int]:
    """displaCy-style arc heights: an arc sits one level above every arc inside its span."""
    order = sorted(range(len(edges)), key=lambda k: (abs(edges[k][0] - edges[k][2]), min(edges[k][0], edges[k][2])))
    level = [0] * len(edges)
    done: list[int] = []
    for k in order:
        lo, hi = sorted((edges[k][0], edges[k][2]))
        inner = [level[j] for j in done if lo <= min(edges[j][0], edges[j][2]) and max(edges[j][0], edges[j][2]) <= hi]
        level[k] = 1 + max(inner, default=0)
        done.append(k)
    return level


def render_svg(sent: SentenceExplanation) -> str:
    """One SVG of the sentence's dependency arcs. Tokens of a mention get the ``mention``
    class; tokens and arcs used by a deciding rule get ``rule-hit`` and a ``data-rules``
    attribute naming the rule(s)."""
    hit_tokens: dict[int, set[str]] = {}
    hit_edges: dict[tuple[int, str, int], set[str]] = {}
    for m in sent.mentions:
        for f in m.firings:
            if f.decided:
                for n in f.nodes:
                    hit_tokens.setdefault(n.token, set()).add(f.rule_id)
                for e in f.edges:
                    hit_edges.setdefault(e, set()).add(f.rule_id)
    mention_tokens = {i for m in sent.mentions for i in (m.nodes or (m.head,))}
    edges = [(h, r, t.i) for t in sent.tokens for h, r in t.heads]
    levels = _levels(edges)
    top = max(levels, default=0)
    xs, x = [], _PAD
    for t in sent.tokens:
        w = max(len(t.text), len(t.tag), 3) * _CHAR_W + _PAD
        xs.append(x + w / 2)
        x += w
    width, y0 = x + _PAD, _BASE + top * _LEVEL_H + 16
    height = y0 + 44
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="cxr-parse" width="{width:.0f}" height="{height:.0f}" '
           f'viewBox="0 0 {width:.0f} {height:.0f}" data-sentence="{sent.index}">',
           f"<style>{_SVG_CSS}</style>"]
    for (h, rel, d), lev in zip(edges, levels):
        x1, x2 = xs[h], xs[d]
        y = y0 - 14
        ytop = y - lev * _LEVEL_H
        rules = hit_edges.get((h, rel, d))
        cls = "arc rule-hit" if rules else "arc"
        data = f' data-rules="{html.escape(" ".join(sorted(rules)))}"' if rules else ""
        out.append(f'<g class="{cls}"{data}><title>{html.escape(f"{sent.tokens[h].text} -{rel}-> {sent.tokens[d].text}")}</title>')
        out.append(f'<path class="line" d="M{x1:.1f},{y:.1f} C{x1:.1f},{ytop:.1f} {x2:.1f},{ytop:.1f} {x2:.1f},{y:.1f}" fill="none"/>')
        out.append(f'<path class="head" d="M{x2:.1f},{y + 2:.1f} l-4,-8 l8,0 z"/>')
        out.append(f'<text x="{(x1 + x2) / 2:.1f}" y="{y - lev * _LEVEL_H * 0.75 - 3:.1f}" text-anchor="middle">{html.escape(rel)}</text></g>')
    for t, cx in zip(sent.tokens, xs):
        classes = ["token"] + (["mention"] if t.i in mention_tokens else []) + (["rule-hit"] if t.i in hit_tokens else [])
        rules = hit_tokens.get(t.i)
        data = f' data-rules="{html.escape(" ".join(sorted(rules)))}"' if rules else ""
        out.append(f'<g class="{" ".join(classes)}"{data}>')
        w = max(len(t.text), len(t.tag), 3) * _CHAR_W + _PAD - 6
        out.append(f'<rect x="{cx - w / 2:.1f}" y="{y0 - 10:.1f}" width="{w:.1f}" height="40" rx="4"/>')
        out.append(f'<text x="{cx:.1f}" y="{y0 + 8:.1f}" text-anchor="middle" class="word">{html.escape(t.text)}</text>')
        out.append(f'<text x="{cx:.1f}" y="{y0 + 24:.1f}" text-anchor="middle" class="tag">{t.i} {html.escape(t.tag)}</text></g>')
    out.append("</svg>")
    return "\n".join(out)


_SVG_CSS = (
    "text{font-family:sans-serif;font-size:13px;fill:#333}"
    ".arc path{stroke:#999;stroke-width:1.3;fill:none}.arc path.head{fill:#999;stroke:none}"
    ".arc text{font-size:11px;fill:#777}"
    ".arc.rule-hit path{stroke:#c0392b;stroke-width:3}.arc.rule-hit path.head{fill:#c0392b;stroke:none}"
    ".arc.rule-hit text{fill:#c0392b;font-weight:bold}"
    ".token rect{fill:none}.token.mention rect{fill:#fff3b0}"
    ".token.rule-hit text.word{fill:#c0392b;font-weight:bold}text.tag{font-size:10px;fill:#999}"
)

_CSS = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222}
.sentence{margin-bottom:2.5em;border-top:1px solid #ccc;padding-top:1em}
.scroll{overflow-x:auto}
.positive{color:#c0392b}.negative{color:#1e8449}.uncertain{color:#b7950b}
.rule-id{font-family:monospace;font-weight:bold}
.not-deciding{opacity:.6}
table{border-collapse:collapse}td,th{padding:2px 8px;text-align:left;font-size:13px}
code{background:#f4f4f4;padding:0 3px}
"""


def render_html(expl: Explanation, *, title: str = "cxrlabel explain") -> str:
    """A self-contained HTML page: per sentence an SVG of its arcs with the deciding rules'
    tokens and arcs in red and the mentions shaded, the rules with their bindings, then the
    labels and Normal."""
    e = html.escape
    parts = [f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{e(title)}</title><style>{_CSS}</style></head><body>",
             f"<h1>{e(title)}</h1>"]
    for s in expl.sentences:
        sec = f" <small>[{e(s.section)}]</small>" if s.section else ""
        parts.append(f'<div class="sentence" id="s{s.index}"><h3>Sentence {s.index}{sec}: {e(s.text)}</h3>')
        parts.append(f'<div class="scroll">{render_svg(s)}</div><ul>')
        for m in s.mentions:
            parts.append(f'<li><b>{e(m.text)}</b> ({m.start}-{m.end}) → {e(m.finding)} <code>{e(m.cui)}</code>: '
                         f'<span class="{e(m.polarity)}">{e(m.polarity)}</span><ul>')
            if not m.firings:
                parts.append("<li>no rule fired (a plain mention is positive)</li>")
            for f in m.firings:
                bound = ", ".join(f"{e(n.name)} = {n.token} <i>{e(n.text)}</i>" for n in f.nodes)
                cls = "decided" if f.decided else "not-deciding"
                state = "decided" if f.decided else "not deciding"
                parts.append(f'<li class="{cls}"><span class="rule-id">{e(f.rule_id)}</span> [{e(f.stage)}] → '
                             f'{e(f.assigns)} ({state}): <code>{e(f.pattern)}</code><br>bound: {bound}</li>')
            parts.append("</ul></li>")
        parts.append("</ul></div>")
    for a, b, err in expl.failures:
        parts.append(f"<p>unparsed sentence {a}-{b}: {e(err)}</p>")
    parts.append("<h2>Labels</h2><table><tr><th>finding</th><th>label</th><th>rules</th></tr>")
    for f in FINDINGS:
        lab = expl.labels.get(f)
        if lab is not None:
            parts.append(f'<tr><td>{e(f)}</td><td class="{e(lab)}">{e(lab)}</td><td>{e(", ".join(expl.rules.get(f, ())))}</td></tr>')
    parts.append(f"</table><p>Normal: <b>{'yes' if expl.normal else 'no'}</b> (policy <code>{e(expl.policy)}</code>)</p></body></html>\n")
    return "\n".join(parts)
