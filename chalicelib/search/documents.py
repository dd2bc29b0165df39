"""What is searchable, the documents made from table items (by the stream reactions and the
rebuild alike), and the one way text is folded for matching."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

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


def user_document(user: dict[str, Any]) -> Document:
    return Document(
        USER,
        user["user_id"],
        f"{user['username']} {user.get('full_name', '')}",
        popularity=float(user.get("followers_count", 0)),
    )


def post_document(post: dict[str, Any]) -> Document:
    return Document(
        POST,
        post["post_id"],
        "",
        body=post.get("caption", ""),
        popularity=float(post.get("likes_count", 0)),
        author_id=post["author_id"],
    )


def listing_document(
    kind: str, key: str, name: str | None, public_count: float | None
) -> Document | None:
    """A hashtag or a place, by the name and public post count on its summary item; None
    while no public account has posted there (nothing anyone may find: a tag or place used
    only by private accounts is theirs)."""
    count = float(public_count or 0)
    return Document(kind, key, name or key, popularity=count) if count > 0 else None
