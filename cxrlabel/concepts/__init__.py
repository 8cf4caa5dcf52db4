"""Concept mentions: the QuickUMLS index built from the ontology, and the mention finder.

``build_index`` writes MRCONSO.RRF/MRSTY.RRF-format files from ``ontology/`` (or filters a
full UMLS installation down to the ontology's CUI sets) and builds QuickUMLS's simstring and
CUI databases with QuickUMLS's own functions, skipping its installer (which downloads spaCy
models and NLTK data). The index is cached per ontology version and content hash.

``ConceptFinder.find`` works on our own tokens: a word trie over surface forms *and* lemmas
(exact hits, the fast path), the ontology's gapped patterns, and an optional fuzzy lookup in
QuickUMLS's simstring database for n-grams the trie does not know. Overlaps resolve to the
longest span; exclusions drop the hits of their finding inside them.
"""

from .finder import FUZZY_MAX_TOKENS, ConceptFinder
from .index import DISORDER_TYPES, INDEX_FORMAT, build_index, cache_root, quickumls_matcher, stopwords

__all__ = [
    "DISORDER_TYPES",
    "FUZZY_MAX_TOKENS",
    "INDEX_FORMAT",
    "ConceptFinder",
    "build_index",
    "cache_root",
    "quickumls_matcher",
    "stopwords",
]
