"""Text rules (categories 1, 4, 5, 6, 7, 8) and the collector test, as pure functions over text."""

from __future__ import annotations

import re
from dataclasses import dataclass

from evidence.rules.catalog import Catalog

EXCERPT_CHARS = 60


@dataclass(frozen=True)
class TextHit:
    category: int
    excerpt: str


def _unnegated(pattern: re.Pattern[str], negation: re.Pattern[str], text: str) -> re.Match[str] | None:
    """The first match not cancelled by a negation in the four characters before it."""
    for m in pattern.finditer(text):
        before = text[max(0, m.start() - 4) : m.start()]
        if not negation.search(before):
            return m
    return None


def excerpt(text: str, m: re.Match[str] | None = None) -> str:
    flat = text if m is not None else " ".join(text.split())
    if len(flat) <= EXCERPT_CHARS:
        return flat
    if m is None:
        return flat[: EXCERPT_CHARS - 1] + "…"
    centre = m.start()
    start = max(0, centre - EXCERPT_CHARS // 3)
    piece = flat[start : start + EXCERPT_CHARS]
    return ("…" if start else "") + piece + ("…" if start + EXCERPT_CHARS < len(flat) else "")


class TextJudge:
    """text_hits with a memo: collectors send the same templated messages again and again."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._memo: dict[tuple[str, bool], list[TextHit]] = {}

    def hits(self, text: str, official_sender: bool) -> list[TextHit]:
        key = (text, official_sender)
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = text_hits(text, self.catalog, official_sender)
        return found


def text_hits(text: str, catalog: Catalog, official_sender: bool) -> list[TextHit]:
    """Which text categories a message engages; legal-process claims only count from unofficial senders."""
    if catalog.any_category.search(text) is None:  # one pass rules out most messages
        return []
    text = " ".join(text.split())
    hits = []
    for category, pattern in catalog.patterns.items():
        if category == 7 and official_sender:
            continue
        m = _unnegated(pattern, catalog.negation, text)
        if m is not None:
            hits.append(TextHit(category, excerpt(text, m)))
    return hits


def is_collection_text(text: str, catalog: Catalog) -> bool:
    return catalog.collection.search(text) is not None
