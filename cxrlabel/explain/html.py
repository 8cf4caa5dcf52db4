"""A displaCy-style page for an :class:`~cxrlabel.explain.model.Explanation`: one SVG of
dependency arcs per sentence, the deciding rules' tokens and arcs highlighted
(``cxrlabel explain --html``)."""

from __future__ import annotations

import html

from .model import Explanation, MentionExplanation, SentenceExplanation

__all__ = ["arc_levels", "render_html", "render_svg"]

_CHAR_W, _PAD, _LEVEL_H, _BASE = 8.0, 24.0, 28.0, 30.0


def arc_levels(edges: list[tuple[int, str, int]]) -> list[int]:
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


def _highlights(sent: SentenceExplanation) -> tuple[dict[int, set[str]], dict[tuple[int, str, int], set[str]]]:
    """The tokens and arcs each deciding rule used (a scope rule: its cue token), by rule id."""
    hit_tokens: dict[int, set[str]] = {}
    hit_edges: dict[tuple[int, str, int], set[str]] = {}
    for m in sent.mentions:
        for f in m.firings:
            if f.decided:
                for n in f.nodes:
                    hit_tokens.setdefault(n.token, set()).add(f.rule_id)
                for e in f.edges:
                    hit_edges.setdefault(e, set()).add(f.rule_id)
        for c in m.scope:
            if c.decided and c.cue is not None:
                hit_tokens.setdefault(c.cue, set()).add(c.rule_id)
    return hit_tokens, hit_edges


def render_svg(sent: SentenceExplanation) -> str:
    """One SVG of the sentence's dependency arcs. Tokens of a mention get the ``mention``
    class; tokens and arcs used by a deciding rule (a deciding scope rule: its cue token) get
    ``rule-hit`` and a ``data-rules`` attribute naming the rule(s)."""
    hit_tokens, hit_edges = _highlights(sent)
    mention_tokens = {i for m in sent.mentions for i in (m.nodes or (m.head,))}
    edges = [(h, r, t.i) for t in sent.tokens for h, r in t.heads]
    levels = arc_levels(edges)
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


def _decision_items(m: MentionExplanation) -> list[str]:
    """What decided the mention, as list items (the same account as the text renderer)."""
    e = html.escape
    if m.basis == "normal":
        return ["<li>NORMAL: asserted as written (the finding rules do not judge it)</li>"]
    if m.basis == "asserted":
        return [f"<li>asserted by the ontology: a normal statement that denies the finding ({e(', '.join(m.rules))})</li>"]
    items = []
    for f in m.firings:
        bound = ", ".join(f"{e(n.name)} = {n.token} <i>{e(n.text)}</i>" for n in f.nodes)
        cls = "decided" if f.decided else "not-deciding"
        state = "decided" if f.decided else "not deciding"
        items.append(f'<li class="{cls}"><span class="rule-id">{e(f.rule_id)}</span> [{e(f.stage)}] → '
                     f'{e(f.assigns)} ({state}): <code>{e(f.pattern)}</code><br>bound: {bound}</li>')
    if m.basis == "scope":
        items.append("<li>only rules about the list matched; a cue window of an earlier stage decides first:</li>"
                     if m.firings else "<li>no path or structured rule fired; the scope rules decide:</li>")
        for c in m.scope:
            cls, state = ("decided", f"decided: cue {c.cue} <i>{e(c.cue_text or '')}</i>") if c.decided else ("not-deciding", "no cue in scope")
            items.append(f'<li class="{cls}">scope rule <span class="rule-id">{e(c.rule_id)}</span> [{e(c.stage)}] → '
                         f'{e(c.assigns)} ({state}): <code>{e(c.scope)}</code></li>')
    elif m.basis == "default":
        items.append("<li>no rule fired (a plain mention is positive)</li>")
    return items


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
            parts.extend(_decision_items(m))
            parts.append("</ul></li>")
        parts.append("</ul></div>")
    for a, b, err in expl.failures:
        parts.append(f"<p>unparsed sentence {a}-{b}: {e(err)}</p>")
    parts.append("<h2>Labels</h2><table><tr><th>finding</th><th>label</th><th>rules</th></tr>")
    for f in expl.labels:
        lab = expl.labels.get(f)
        if lab is not None:
            parts.append(f'<tr><td>{e(f)}</td><td class="{e(lab)}">{e(lab)}</td><td>{e(", ".join(expl.rules.get(f, ())))}</td></tr>')
    parts.append(f"</table><p>Normal: <b>{'yes' if expl.normal else 'no'}</b> (policy <code>{e(expl.policy)}</code>)</p></body></html>\n")
    return "\n".join(parts)
