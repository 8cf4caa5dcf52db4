"""Report sections: find headers such as ``FINDINGS:`` and ``IMPRESSION:`` and keep offsets.

A header is recognised when it is a known section name (case-insensitive, see
:data:`SECTION_NAMES`) and either

- is followed by a colon, at the start of a line in any case (``Findings: ...``), inside a line
  in capitals (``... IMPRESSION: ...``) or capitalised after a sentence end
  (``... stable. Impression: ...``), or
- stands alone on its line in capitals, without a colon (``FINDINGS\\n...``), or is followed
  by a dash there (``IMPRESSION - ...``).

So "the findings are stable" in prose is not a header. Each :class:`Section` covers its body
(the text after the header up to the next header), with character offsets into the original
report. :func:`select_sections` applies the paper's rule: label FINDINGS and IMPRESSION when
either is present, else the whole report.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

__all__ = ["LABELED_SECTIONS", "SECTION_NAMES", "UNLABELED_SECTIONS", "Section", "find_sections", "select_sections"]

#: Header spelling (upper case, single spaces) → canonical section name.
SECTION_NAMES: dict[str, str] = {
    "FINDINGS": "FINDINGS",
    "FINDING": "FINDINGS",
    "FINDINGS AND IMPRESSION": "IMPRESSION",
    "IMPRESSION": "IMPRESSION",
    "IMPRESSIONS": "IMPRESSION",
    "CONCLUSION": "CONCLUSION",
    "CONCLUSIONS": "CONCLUSION",
    "COMPARISON": "COMPARISON",
    "COMPARISONS": "COMPARISON",
    "INDICATION": "INDICATION",
    "INDICATIONS": "INDICATION",
    "CLINICAL INDICATION": "INDICATION",
    "HISTORY": "HISTORY",
    "CLINICAL HISTORY": "HISTORY",
    "CLINICAL INFORMATION": "HISTORY",
    "REASON FOR EXAM": "REASON FOR EXAM",
    "REASON FOR EXAMINATION": "REASON FOR EXAM",
    "REASON FOR STUDY": "REASON FOR EXAM",
    "TECHNIQUE": "TECHNIQUE",
    "EXAMINATION": "EXAMINATION",
    "EXAM": "EXAMINATION",
    "PROCEDURE": "EXAMINATION",
    "RECOMMENDATION": "RECOMMENDATION",
    "RECOMMENDATIONS": "RECOMMENDATION",
    "NOTIFICATION": "NOTIFICATION",
    "SUMMARY": "IMPRESSION",
    "OPINION": "IMPRESSION",
    # MIMIC-CXR-style plain-text layout
    "FINAL REPORT": "FINAL REPORT",
    "WET READ": "WET READ",
    "REASON FOR THE EXAM": "REASON FOR EXAM",
    "REASON FOR THE EXAMINATION": "REASON FOR EXAM",
    "CLINICAL HISTORY/INDICATION": "HISTORY",
    "HISTORY/INDICATION": "HISTORY",
    "CLINICAL NOTES": "HISTORY",
    "CLINICAL DATA": "HISTORY",
    "CLINICAL STATEMENT": "HISTORY",
    "HX": "HISTORY",
}

#: Sections whose sentences are labeled when present (the paper: findings and impression;
#: CONCLUSION is the impression under another name in many reports).
LABELED_SECTIONS: frozenset[str] = frozenset({"FINDINGS", "IMPRESSION", "CONCLUSION"})

#: Sections never labeled, also when a report has neither FINDINGS nor IMPRESSION: why the
#: study was done ("HISTORY: r/o pneumonia" is a question, not a finding), how and against
#: what, and the preliminary WET READ that the final report supersedes.
UNLABELED_SECTIONS: frozenset[str] = frozenset(
    {"INDICATION", "HISTORY", "REASON FOR EXAM", "TECHNIQUE", "COMPARISON", "EXAMINATION", "WET READ"}
)

# Longest names first so that "CLINICAL HISTORY" wins over "HISTORY".
_ALTS = "|".join(
    sorted((re.escape(n).replace(r"\ ", r"[ \t]+") for n in SECTION_NAMES), key=len, reverse=True)
)
# A name followed by a colon, anywhere at a word boundary.
_COLON_RE = re.compile(rf"(?<![\w-])(?P<name>{_ALTS})[ \t]*:", re.IGNORECASE)
# A capitalised name alone on its line (or followed by a dash: "IMPRESSION - ...").
_LINE_RE = re.compile(rf"^[ \t]*(?P<name>{_ALTS})[ \t]*(?:-+[ \t]*)?(?=\r?\n|$|(?<=-)[ \t]*\S)", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Section:
    """A section body ``text[start:end]``; ``name`` is canonical (``None`` = no header).

    ``header_start``/``header_end`` locate the header itself (equal to ``start`` when the
    section has no header).
    """

    name: str | None
    start: int
    end: int
    header_start: int
    header_end: int

    def text(self, report: str) -> str:
        return report[self.start : self.end]


def _ink_before(text: str, pos: int) -> int:
    """The index just past the last non-blank character before ``pos`` on its line, or the
    line's start when there is none. Walks back over blanks only, so scanning every header of
    a report this way stays linear (each blank run is walked for one header at most)."""
    while pos > 0 and text[pos - 1] != "\n" and text[pos - 1].isspace():
        pos -= 1
    return pos


def _colon_header(text: str, start: int, raw: str) -> bool:
    """Whether ``raw:`` at ``start`` is a header: at the start of a line in any case; inside a
    line only in capitals ("... IMPRESSION: ..."), or capitalised right after the end of a
    sentence ("... stable. Impression: ..."). So "compared with the prior exam: stable" is not."""
    if raw.isupper():
        return True
    ink = _ink_before(text, start)
    if ink == 0 or text[ink - 1] == "\n":  # nothing before it on its line
        return True
    # after a sentence end in any case: "... stable. impression: ..." (lower-cased reports)
    return text[ink - 1] in ".;:!?"


def _canonical(raw: str) -> str:
    return SECTION_NAMES[" ".join(raw.upper().split())]


def _colon_matches(text: str) -> list[re.Match[str]]:
    """The matches of :data:`_COLON_RE` in ``text``, as ``_COLON_RE.finditer(text)`` gives them,
    ~10× faster: a match ends at a colon and holds no other colon and no line break, so only
    the text before each colon, back to the previous colon or line break, is searched (the
    character before that window, ``:`` or ``\\n``, passes the regex's look-behind as the text
    start does). Each character is searched once: linear in the text."""
    out = []
    start = 0
    colon = text.find(":")
    while colon >= 0:
        newline = text.rfind("\n", start, colon)
        if newline >= 0:
            start = newline + 1
        m = _COLON_RE.search(text, start, colon + 1)
        if m is not None:
            out.append(m)
        start = colon + 1
        colon = text.find(":", start)
    return out


def find_sections(text: str) -> list[Section]:
    """Every section of ``text`` in order; text before the first header is a ``None`` section.

    Sections are contiguous and cover the whole text (minus the headers themselves).
    """
    headers: list[tuple[int, int, str]] = []  # (header start, body start, name)
    for m in _colon_matches(text):
        if _colon_header(text, m.start("name"), m.group("name")):
            headers.append((m.start("name"), m.end(), _canonical(m.group("name"))))
    colon_starts = [h[0] for h in headers]  # in text order, not overlapping: bisect, not a scan
    for m in _LINE_RE.finditer(text):
        raw = m.group("name")
        if raw != raw.upper():  # at line start without a colon it must be in capitals
            continue
        k = bisect.bisect_right(colon_starts, m.start("name")) - 1
        if k >= 0 and m.start("name") < headers[k][1]:  # inside a colon header
            continue
        headers.append((m.start("name"), m.end(), _canonical(raw)))
    headers.sort()

    out: list[Section] = []
    if not headers:
        return [Section(None, 0, len(text), 0, 0)] if text.strip() else []
    if text[: headers[0][0]].strip():
        out.append(Section(None, 0, headers[0][0], 0, 0))
    for k, (hstart, bstart, name) in enumerate(headers):
        end = headers[k + 1][0] if k + 1 < len(headers) else len(text)
        enclosing = out[-1].name if out else None
        if enclosing in LABELED_SECTIONS and name not in LABELED_SECTIONS and _inline(text, hstart, out[-1]):
            # "FINDINGS: Comparison: None. The heart is ...": a side note such as a comparison
            # inside a labeled section holds one sentence; the rest still belongs to FINDINGS.
            stop = _SENTENCE_END_RE.search(text, bstart, end)
            if stop and text[stop.end() : end].strip():
                out.append(Section(name, bstart, stop.end(), hstart, bstart))
                out.append(Section(enclosing, stop.end(), end, stop.end(), stop.end()))
                continue
        if name in UNLABELED_SECTIONS:
            # "HISTORY: r/o pneumonia\n\nLungs are clear.": such a section is one paragraph;
            # what follows it is report text again (an unnamed section)
            gap = _PARAGRAPH_RE.search(text, bstart, end)
            if gap and text[gap.end() : end].strip():
                out.append(Section(name, bstart, gap.start() + 1, hstart, bstart))
                out.append(Section(None, gap.end(), end, gap.end(), gap.end()))
                continue
        out.append(Section(name, bstart, end, hstart, bstart))
    return out


# The end of a one-paragraph section: a blank line, or a line break before a capitalised line
# (a wrapped indication continues in lower case: "... woman with\n shortness of breath").
_PARAGRAPH_RE = re.compile(r"\S[ \t]*\r?\n(?:[ \t]*\r?\n\s*|[ \t]*(?=[A-Z]))")


_SENTENCE_END_RE = re.compile(r"[.;](?=\s|$)|\n")


def _inline(text: str, hstart: int, previous: Section) -> bool:
    """Whether a header sits inside the previous section's text rather than opening a line."""
    ink = _ink_before(text, hstart)
    if ink > 0 and text[ink - 1] != "\n":  # text before it on its line
        return True
    return ink <= previous.header_start


def select_sections(text: str, names: frozenset[str] | set[str] = LABELED_SECTIONS) -> list[Section]:
    """The sections to label: those named in ``names`` when any is present, else the whole
    report (the paper's rule) less the sections of :data:`UNLABELED_SECTIONS` — an indication
    or history never reaches the labels. Empty text gives ``[]``."""
    if not text.strip():
        return []
    found = find_sections(text)
    chosen = [s for s in found if s.name in names]
    if chosen:
        return chosen
    if not any(s.name in UNLABELED_SECTIONS for s in found):
        return [Section(None, 0, len(text), 0, 0)]
    return [s for s in found if s.name not in UNLABELED_SECTIONS]
