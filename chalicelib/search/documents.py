"""What is searchable, and the one way text is folded for matching."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

USER, TAG, PLACE, POST = "user", "tag", "place", "post"
KINDS = (USER, TAG, PLACE, POST)
_WORD = re.compile(r"\w+")


def fold(text: str) -> str:
    """Case and accents folded (``Café`` → ``cafe``), scripts without accents untouched
    (Hangul is decomposed to strip marks and composed back, so ``서울`` stays ``서울``)."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    return unicodedata.normalize("NFC", stripped).casefold()


def words(text: str) -> list[str]:
    return _WORD.findall(fold(text))


@dataclass(frozen=True)
class Document:
    kind: str
    id: str
    name: str  # what is matched as you type: username + full name, the tag, the place
    body: str = ""  # full text: a post's caption
    popularity: float = 0.0  # followers, post counts, likes
    author_id: str | None = None  # posts: whose (visibility is decided at query time)


@dataclass(frozen=True)
class Hit:
    kind: str
    id: str
    score: float
    author_id: str | None = None
