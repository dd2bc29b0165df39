"""The interface both search engines implement (tests/functional/test_search_contract.py)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from chalicelib.search.documents import Document, Hit


class SearchEngine(Protocol):
    def index(self, documents: Iterable[Document]) -> int:
        """Adds or replaces documents (by kind and id); returns how many."""

    def delete(self, kind: str, ids: Iterable[str]) -> None: ...

    def search(self, text: str, kinds: Iterable[str], limit: int) -> list[Hit]:
        """Best matches of ``text`` as typed so far: every word a prefix of a word of the
        name (or body), accents and case folded; for users and tags also near misses (a
        typo). Scores blend text relevance with popularity; higher is better."""

    def clear(self) -> None: ...
