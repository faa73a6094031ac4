"""How text becomes searchable, identically in both stores.

Documents are indexed as whitespace-joined search-mode tokens (:func:`index_text`); a query is
segmented in precise mode (:func:`query_tokens`) and matches a post that holds every query token.
Only letters and digits survive (punctuation, emoji and symbols are dropped), so SQLite FTS5's
``unicode61`` tokenizer and Elasticsearch's whitespace analyser see exactly the same tokens.
"""

from __future__ import annotations

import re

from yuqing.pipeline.core.tokenizer import segment, segment_for_search

_WORD = re.compile(r"[^\W_]+")


def _clean(tokens: list[str]) -> list[str]:
    # one pass over the joined tokens: a space never joins two words, so this is the same as
    # cleaning each token alone, and several times faster
    return _WORD.findall(" ".join(tokens))


def index_text(title: str, content: str) -> str:
    """The segmented form of a post stored in the search field."""
    text = f"{title}\n{content}" if title else content
    return " ".join(_clean(segment_for_search(text)))


def query_tokens(query: str) -> list[str]:
    """Tokens a post must all contain to match ``query`` (deduplicated, order kept)."""
    seen: dict[str, None] = {}
    for tok in _clean(segment(query)):
        seen.setdefault(tok, None)
    return list(seen)
