"""The parse cache: same sentences as the parser, keyed by parser build, shared by processes,
reused after a rule change; ``cxrlabel cache info|clear``."""

from __future__ import annotations

import multiprocessing
import sqlite3
from pathlib import Path
from typing import Iterable, Iterator

import pytest
from click.testing import CliRunner

from cxrlabel.cache import CACHE_ENV, CachedParser, ParseCache, default_cache_path
from cxrlabel.cli import main
from cxrlabel.document import parse_reports
from cxrlabel.labeler import Labeler
from cxrlabel.types import Edge, Sentence, Token

REPORTS = [
    "FINDINGS: No pneumothorax. Mild cardiomegaly.\nIMPRESSION: Left basilar opacity, atelectasis or scarring.",
    "There is a small right pleural effusion. Pneumonia cannot be excluded.",
    "No pneumothorax. The lungs are clear.",
]


class ChainParser:
    """A tiny real parser: whitespace tokens, each attached to the next one (``dep``).
    Counts the texts it parses."""

    name = "chain"

    def __init__(self, version: str = "1") -> None:
        self._version = version
        self.parsed = 0

    @property
    def version(self) -> str:
        return self._version

    def parse(self, texts: Iterable[str]) -> Iterator[Sentence]:
        for text in texts:
            self.parsed += 1
            tokens, pos = [], 0
            for k, word in enumerate(text.split()):
                start = text.index(word, pos)
                pos = start + len(word)
                tokens.append(Token(k, word, word.lower(), "NN", "NOUN", start, pos))
            edges = [Edge(k + 1, "dep", k) for k in range(len(tokens) - 1)]
            yield Sentence(text, tuple(tokens), tuple(edges), 0, len(text))


@pytest.fixture(scope="module")
def spacy_parser():
    from cxrlabel.parsers.spacy import SpacyParser

    return SpacyParser()


def _as_tuple(s: Sentence):
    return (s.text, s.tokens, s.edges, s.start, s.end, s.index, s.section, sorted(s.graph.edges(data="rel")))


def test_cached_parses_equal_fresh_parses_cold_and_warm(tmp_path, spacy_parser):
    fresh = [d.sentences for d in parse_reports(REPORTS, spacy_parser)]
    cached = CachedParser(spacy_parser, ParseCache(tmp_path / "p.sqlite"))
    cold = [d.sentences for d in parse_reports(REPORTS, cached)]
    assert cached.misses > 0 and cached.hits == 0
    warm = [d.sentences for d in parse_reports(REPORTS, cached)]
    assert cached.hits == cached.misses  # the second pass parsed nothing
    for a, b, c in zip(fresh, cold, warm):
        assert [_as_tuple(s) for s in a] == [_as_tuple(s) for s in b] == [_as_tuple(s) for s in c]


def test_a_sentence_is_placed_at_its_offset_in_every_report_that_contains_it(tmp_path):
    inner = ChainParser()
    cached = CachedParser(inner, tmp_path / "p.sqlite")
    a, b = list(cached.parse_spans([("No pneumothorax.", 0, 0, None), ("No pneumothorax.", 40, 3, "impression")]))
    assert inner.parsed == 1  # the repeated text was parsed once within the batch
    assert (a.start, a.tokens[1].start) == (0, 3)
    assert (b.start, b.end, b.index, b.section, b.tokens[1].start, b.tokens[1].end) == (40, 56, 3, "impression", 43, 56)


def test_a_new_parser_version_never_reads_old_parses(tmp_path):
    path = tmp_path / "p.sqlite"
    old = ChainParser("1")
    list(CachedParser(old, path).parse(["Mild cardiomegaly."]))
    new = ChainParser("2")
    list(CachedParser(new, path).parse(["Mild cardiomegaly."]))
    again = ChainParser("2")
    list(CachedParser(again, path).parse(["Mild cardiomegaly."]))
    assert (old.parsed, new.parsed, again.parsed) == (1, 1, 0)
    assert ParseCache(path).info().parsers == {"chain 1": 1, "chain 2": 1}


def test_relabeling_after_a_grammar_change_reuses_every_parse(tmp_path, spacy_parser):
    path = tmp_path / "p.sqlite"
    first = CachedParser(spacy_parser, path)
    before = [r["Atelectasis"] for r in Labeler(parser=first).iter_labels(REPORTS)]
    second = CachedParser(spacy_parser, path)
    relabeler = Labeler(parser=second, grammars="differential")
    # the self-check's canaries are parsed (or skipped, when this process already checked the same
    # fingerprint) before labeling: count only what labeling the reports again costs
    relabeler.ensure_checked()
    second.hits = second.misses = 0
    after = [r.to_chexpert() for r in relabeler.iter_labels(REPORTS)]
    n_sentences = sum(len(d.sentences) for d in parse_reports(REPORTS, spacy_parser))
    assert second.misses == 0 and second.hits >= n_sentences
    # the new rules took effect on the cached parses, exactly as without a cache
    reference = [r.to_chexpert() for r in Labeler(parser=spacy_parser, grammars="differential").iter_labels(REPORTS)]
    assert after == reference
    assert before[0] == "positive" and after[0]["Atelectasis"] == -1.0


def _hammer(path: str, worker: int, n: int) -> int:
    parser = ChainParser()
    cached = CachedParser(parser, ParseCache(path, timeout=30))
    for k in range(n):
        texts = [f"sentence {j} of round {k}" for j in range(20)] + [f"only worker {worker} round {k}"]
        got = list(cached.parse(texts))
        assert [s.text for s in got] == texts
    return parser.parsed


def test_several_processes_share_one_cache_file(tmp_path):
    path = str(tmp_path / "p.sqlite")
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(3) as pool:
        parsed = pool.starmap(_hammer, [(path, w, 15) for w in range(3)])
    info = ParseCache(path).info()
    assert info.entries == 15 * 20 + 3 * 15  # shared sentences stored once, none lost
    assert sum(parsed) >= info.entries
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_default_cache_path_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "here"))
    assert default_cache_path() == tmp_path / "here" / "parses.sqlite"
    monkeypatch.delenv(CACHE_ENV)
    assert default_cache_path().name == "parses.sqlite" and "cxrlabel" in str(default_cache_path())


def test_cache_info_and_clear_commands(tmp_path, monkeypatch):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    list(CachedParser(ChainParser(), ParseCache()).parse(["No pneumothorax.", "Mild cardiomegaly."]))
    runner = CliRunner()
    out = runner.invoke(main, ["cache", "info"])
    assert out.exit_code == 0, out.output
    assert f"path: {tmp_path / 'parses.sqlite'}" in out.output
    assert "entries: 2" in out.output and "parser: chain 1 (2 entries)" in out.output
    out = runner.invoke(main, ["cache", "clear"])
    assert out.exit_code == 0 and "removed 2 cached parses" in out.output
    out = runner.invoke(main, ["cache", "info", "--json", "--cache", str(tmp_path / "parses.sqlite")])
    assert '"entries": 0' in out.output


def test_a_file_that_is_not_a_cache_is_a_clear_error(tmp_path):
    bad = tmp_path / "p.sqlite"
    bad.write_bytes(b"this is not sqlite" * 100)
    from cxrlabel.cache import CacheError

    with pytest.raises(CacheError) as err:
        ParseCache(bad).get_many(["x"])
    assert err.value.code == "I290" and str(bad) in str(err.value) and "--no-cache" in str(err.value)
