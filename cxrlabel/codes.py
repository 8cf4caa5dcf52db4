"""Every error code cxrlabel and cxrlabel_vision raise, in one table: code → exception, meaning.

The codes are stable: tests assert on them, ``docs/errors.md`` documents each one (a test
checks that page against this table, and every ``code="…"`` in the source against it). A
code's letter names its family, and its exception is that family's class or a subclass::

    E  CxrlabelError   R  RuleError      I  InputError     P  ParserError    O  OntologyError
    G  GoldError       L  LabelerError   X  PluginError    V  VisionError

Add a new code at the end of its block (``R13x``, ``I23x``, …); never renumber or reuse one.
A code means one thing: a raise site that means something else gets a new code.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping

__all__ = ["ERROR_CODES", "ERROR_FAMILIES", "RETIRED_CODES", "Code", "describe_code", "family_codes"]

#: Family letter → the exception class (in :mod:`cxrlabel.errors`) every code of it is raised as.
ERROR_FAMILIES: Mapping[str, str] = MappingProxyType(
    {
        "E": "CxrlabelError",
        "R": "RuleError",
        "I": "InputError",
        "P": "ParserError",
        "O": "OntologyError",
        "G": "GoldError",
        "L": "LabelerError",
        "X": "PluginError",
        "V": "VisionError",
    }
)


@dataclass(frozen=True)
class Code:
    """One error code: ``error`` names its exception class in :mod:`cxrlabel.errors`."""

    code: str
    error: str
    meaning: str

    @property
    def family(self) -> str:
        return self.code[0]


# Rows per family: code → meaning, or code → (exception, meaning) for a subclass of the
# family's exception.
_E = {"E000": "an error without a more specific code (the base class)"}

_R = {
    # R10x: the path language
    "R100": "a rule error without a more specific code",
    "R101": "path syntax: expected a node (a lemma, a (lemma|set), '*' or DISEASE)",
    "R102": "path syntax: expected an arrow ('→', '←', '->' or '<-')",
    "R103": "path syntax: expected a relation (a name, 'a|b' or '*')",
    "R104": "path syntax: the two arrows around a relation point different ways",
    "R105": "path syntax: a character that cannot start any path element",
    "R106": "path syntax: a lemma set '(a|b)' that is empty, unclosed or holds a bad word",
    "R107": "the path is empty",
    # R11x: what a pattern means
    "R110": "the pattern has no anchor (no DISEASE node)",
    "R111": "the pattern has more than one anchor (DISEASE node)",
    "R112": "unknown relation name (not in the canonical label space)",
    "R113": "unknown concept name (only DISEASE is defined)",
    "R114": "a pattern node is not connected to the anchor",
    # R12x: the file as a whole
    "R120": "YAML syntax error",
    "R121": "the file is empty",
    "R122": "the top level of a rule file is not a mapping",
    "R123": "the file has no 'rules:' key",
    "R124": "'rules:' is not a list",
    "R125": "the rule file cannot be read",
    # R13x: one rule's keys and values
    "R130": "unknown key",
    "R131": "missing required key",
    "R132": "wrong type for a value",
    "R133": "invalid 'assigns' value (use negative, uncertain or positive)",
    "R134": "invalid 'stage' value (use pre-negation-uncertainty, negation or post-negation-uncertainty)",
    "R135": "duplicate rule id",
    "R136": "a rule has more than one of 'path:', 'match:' and 'scope:'",
    "R137": "a rule has none of 'path:', 'match:' and 'scope:'",
    "R138": "duplicate key in a YAML mapping",
    "R139": "invalid rule id (use letters, digits, '-', '_' and '.')",
    # R14x: the structured form (match:)
    "R140": "'anchor:' names a node that is not declared under 'nodes:'",
    "R141": "an edge names a node that is not declared under 'nodes:'",
    "R142": "a node constraint is empty or invalid",
    "R143": "the same edge (head, dep) is listed twice",
    "R144": "the anchor node is not the DISEASE node",
    # R15x: examples
    "R150": "an example names an unknown finding",
    "R151": "an example expects an invalid label (use negative, uncertain or positive)",
    # R16x: rule packs
    "R160": "retired: an unknown rule pack is X701 now, like every unknown plugin name",
    "R161": "duplicate rule id across the files of a pack or matcher",
    # R17x: the scope form (scope:)
    "R170": "'scope:' is not a mapping, or has an unknown key",
    "R171": "'cues:' is missing or not a non-empty list of single words",
    "R172": "invalid 'direction' (use before, after or either)",
    "R173": "invalid 'window' (a whole number of tokens from 1 to 40)",
    "R174": "'stop:' is not a non-empty list of single words",
    # R18x: warnings of `rules check` (the file loads; matching it may be slow)
    "R180": "warning: a pattern node with many unconstrained neighbours, whose matching cost can explode",
}

_I = {
    # I20x: reading reports
    "I200": "bad input without a more specific code",
    "I201": "bytes that are not valid in the encoding",
    "I202": "a report that is neither str nor bytes",
    "I203": "--column given for a CSV without a header row",
    "I204": "a headerless CSV with more than one column",
    "I205": "--column / --id-column names a column that is not there",
    "I206": "the text column cannot be guessed",
    "I207": "the input path does not exist",
    "I208": "a directory input holds no .txt files",
    "I209": "an unknown output format",
    # I21x: CoNLL-U
    "I210": "a CoNLL-U token line without 10 tab-separated columns",
    "I211": "a CoNLL-U sentence block with no tokens",
    "I212": "a CoNLL-U token id that is not a number",
    "I213": "a CoNLL-U head that is not a token id of the sentence",
    "I214": "an unknown CoNLL-U scheme",
    "I215": "the conllu parser got a text with several sentence blocks",
    # I22x: normalization
    "I220": "an unknown dependency scheme for normalization",
    # I23x: batch labeling
    "I230": "batch labeling with jobs below 1",
    "I231": "label_many on a DataFrame whose text column cannot be guessed",
    "I232": "text_column= / id_column= names a column the DataFrame lacks",
    "I233": "cxrlabel label -o OUT finds the shards of an unfinished job",
    "I234": "a resumed job's manifest is unreadable, or its input/options differ",
    "I235": "an unknown batch engine",
    "I236": "a Labeler object given with jobs > 1 (it cannot be sent to worker processes)",
    "I237": "label_many(jobs > 1) called from a script's top level without an if __name__ == \"__main__\" guard",
    "I238": "a batch worker process died (BrokenProcessPool)",
    "I239": "CXRLABEL_START_METHOD is neither fork nor spawn (or not available here)",
    # I24x: CSV syntax
    "I240": "a malformed CSV (the csv module cannot read it)",
    "I241": "a malformed CSV row: an unbalanced quote (an error for the file) or a wrong cell count (an error row)",
    "I242": "a headerless-looking CSV whose first row could be a header or a report",
    "I243": "a JSONL line that is not a JSON object or string, or lacks the text key (an error row)",
    "I244": "a .parquet input without pyarrow, or an unreadable Parquet file",
    "I245": "a binary file (NUL bytes, a Parquet/zip/gzip signature) given as text",
    "I246": "an output path that would overwrite an input (-o INPUT, a file in an input folder)",
    # I25x: reports that could not be labeled (an error row: blank labels, the error cell filled)
    "I250": "an empty report: blank, only format characters or section headers, or no input at all",
    "I251": "a sentence of the report could not be parsed (the parser's error follows)",
    "I252": "a sentence longer than the limit with no safe place (';', a line break) to split it",
    "I253": "cxrlabel label finished with failed reports (blank labels, an error cell); --allow-failures exits 0",
    # I26x: faults of the run itself (the command line answers them with one line)
    "I260": "the run was interrupted (Ctrl-C)",
    "I261": "no space left on the device while writing (a full disk, stdout sent to /dev/full)",
    "I262": "stdin ('-') is closed or cannot be read",
    "I263": "an output file or folder cannot be written (permissions, a read-only file system)",
    "I264": "another operating-system error reached the command",
    # I29x: the parse cache
    "I290": ("CacheError", "the parse cache cannot be opened or is not a cxrlabel parse cache"),
    "I291": ("CacheError", "the parse cache cannot be read or written while labeling (disk full, read-only, corrupt)"),
    "I297": ("CacheError", "the parse cache stayed locked by another process past the lock timeout"),
}

_P = {
    "P300": "a parser failure without a more specific code",
    "P301": ("ModelNotFoundError", "a parser model or optional extra is not installed"),
    "P302": "spaCy raised on a text",
    "P303": "the spaCy backend got something other than str",
    "P304": "a parser returned a different number of sentences than texts",
    "P305": "a spaCy backend option with a value it cannot take",
    "P311": "a stanza word whose head is not a word of its sentence",
}

_O = {
    "O400": "an ontology error without a more specific code",
    "O401": "an ontology file cannot be read",
    "O402": "an ontology file is malformed",
    "O403": "a synonym pattern is malformed",
    "O404": "a bad concept-finder option",
    "O405": "a UMLS folder without MRCONSO.RRF / MRSTY.RRF",
    "O406": "cxrlabel ontology was given an unknown finding",
    "O407": "the concept index cannot be written",
    "O408": "a scheme folder's scheme.yaml is malformed",
    "O409": "a scheme's findings.yaml takes an unknown base finding or OTHER concept",
}

_G = {
    "G500": "a gold error without a more specific code",
    "G501": "the OpenI reports or test list cannot be found or downloaded",
    "G502": "the downloaded OpenI file has the wrong sha256",
    "G503": "the OpenI tarball or an XML report in it is malformed",
    "G504": "the OpenI archive or folder is over the size caps (entries, bytes per entry, bytes in all)",
    "G510": "a gold CSV cannot be used (file, columns)",
    "G511": "a gold CSV cell is not a label, or a report id is empty",
    "G520": "an unknown or unavailable split, or a gold that takes no test list",
    "G521": "a GoldSet is inconsistent",
    "G522": "test ids that are not among the gold's reports",
    "G523": "a gold plugin returned something other than a GoldSet",
    "G524": "the gold annotates none of the scheme's findings",
    "G530": "a labeler's label_many returned a different number of results than texts",
}

_L = {
    "L600": "a labeler error without a more specific code",
    "L601": "the self-check failed: the canary sentences did not get their labels",
    "L602": "rule matching on one sentence went past its budget (cxrlabel.rules.matcher.MATCH_BUDGET)",
}

_X = {
    "X700": "a plugin error without a more specific code",
    "X701": "an unknown name in a registry",
}

_V = {
    "V800": "a vision error without a more specific code",
    "V801": "retired: an unknown model architecture is X701 now, like every unknown plugin name",
    "V802": "a --weights file that is missing or does not fit the backbone",
    "V803": "an output stride other than 8, 16 or 32",
    "V804": "--weights imagenet cannot be downloaded (no network): pass --weights PATH",
    "V810": "a label table that cannot be used",
    "V811": "an image file is not found",
    "V812": "a split cannot be made (list files, fractions, an empty part)",
    "V813": "a box file that is missing or malformed, or none of its images is in the folder",
    "V814": "the image cache is missing or lacks an image",
    "V815": "the image folder does not exist",
    "V816": "the image folder holds none of the images to use",
    "V817": "an image file cannot be decoded",
    "V818": "an image dataset is misconfigured (no folder or cache, names and targets differ)",
    "V819": "an image name is found twice under the image folder (names must be unique)",
    "V820": "a checkpoint that is missing, unreadable, or not written by cxrlabel vision train",
    "V821": "a checkpoint or weights file whose declared tensors do not fit in it (checked before torch allocates them)",
    "V822": "an image over the pixel cap (cxrlabel_vision.data.MAX_IMAGE_PIXELS), checked from its header",
    "V830": "a bad command argument",
}


def _table() -> dict[str, Code]:
    out: dict[str, Code] = {}
    for rows in (_E, _R, _I, _P, _O, _G, _L, _X, _V):
        for code, row in rows.items():
            error, meaning = row if isinstance(row, tuple) else (ERROR_FAMILIES[code[0]], row)
            out[code] = Code(code, error, meaning)
    return out


#: Every error code → its :class:`Code` row, family by family in the order above.
ERROR_CODES: Mapping[str, Code] = MappingProxyType(_table())


#: Codes no longer raised, kept in the table (and the docs) so that they are never reused.
RETIRED_CODES: frozenset[str] = frozenset(c for c, row in ERROR_CODES.items() if row.meaning.startswith("retired:"))


def describe_code(code: str) -> str:
    """The one-line meaning of ``code`` (``KeyError`` for an unknown code)."""
    return ERROR_CODES[code].meaning


def family_codes(letter: str) -> dict[str, str]:
    """The codes of one family (``"R"``, ``"I"``, …) → their meanings, in table order."""
    return {c: row.meaning for c, row in ERROR_CODES.items() if row.family == letter}
