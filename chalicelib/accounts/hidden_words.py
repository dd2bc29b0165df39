"""Hidden words: comments on your posts and message requests to you that contain them are
hidden from you (``posts.comments.listing``, ``messaging.conversations.inbox``). Only from
the account that chose them: the author still sees their own comment, everyone else sees it
as before. ``use_default`` adds ``DEFAULT_WORDS``, a short starter list of common insults,
so an account is protected without typing them all.

Matching is case-insensitive (Unicode case folding: "STRASSE" matches "straße"), on whole
words only ("ass" does not hide "class"), where a word boundary is any character that is not
a Unicode letter, digit or underscore, so it works for any script that separates words with
spaces or punctuation. A hidden "word" may be a phrase ("shut up").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from chalicelib.accounts.models import HiddenWords
from chalicelib.core.errors import ValidationError
from chalicelib.core.ids import now_ms

MAX_WORDS = 100
MAX_CHARS = 50

# A starter list, not a moderation policy: common English insults and harassment. Kept
# short on purpose; anyone may add their own words on top.
DEFAULT_WORDS = (
    "idiot",
    "stupid",
    "moron",
    "loser",
    "dumb",
    "ugly",
    "fat",
    "pathetic",
    "disgusting",
    "shut up",
    "kill yourself",
    "kys",
    "die",
    "hate you",
    "retard",
    "retarded",
    "bitch",
    "slut",
    "whore",
    "asshole",
    "fuck you",
    "stfu",
)

Matcher = Callable[[str], bool]


def get(user_id: str) -> dict[str, Any]:
    item = _item(user_id)
    if item is None:
        return {"words": [], "use_default": False}
    return {"words": list(item.words), "use_default": bool(item.use_default)}


def put(user_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """Replace the account's list. Words are kept as typed (trimmed), duplicates (case
    folded) dropped; out of bounds is 400, naming the field."""
    words, use_default = _checked(body)
    HiddenWords(user_id, words=words, use_default=use_default, updated_at=now_ms()).save()
    return {"words": words, "use_default": use_default}


def forget(user_id: str) -> None:
    """An account's end (``accounts.closing``)."""
    HiddenWords(user_id).delete()


def matcher(user_id: str) -> Matcher | None:
    """Whether a text holds one of the account's hidden words; None when it hides none
    (one GetItem)."""
    item = _item(user_id)
    if item is None:
        return None
    words = [*item.words, *(DEFAULT_WORDS if item.use_default else ())]
    return compile_words(words)


def compile_words(words: list[str]) -> Matcher | None:
    folded = sorted({word.casefold() for word in words if word.strip()}, key=len, reverse=True)
    if not folded:
        return None
    # (?<!\w) and (?!\w), not \b: a boundary that holds at a word that starts or ends with
    # a non-word character too ("#tag", "f*ck"). \w is Unicode-aware for str patterns.
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, folded)) + r")(?!\w)")
    return lambda text: bool(text) and pattern.search(text.casefold()) is not None


def _checked(body: dict[str, Any]) -> tuple[list[str], bool]:
    words = body.get("words")
    use_default = body.get("use_default", False)
    if not isinstance(words, list):
        raise ValidationError("words must be a list of words", field="words")
    if len(words) > MAX_WORDS:
        raise ValidationError(f"at most {MAX_WORDS} words", field="words")
    if not isinstance(use_default, bool):
        raise ValidationError("use_default must be true or false", field="use_default")
    kept: dict[str, str] = {}
    for word in words:
        if not isinstance(word, str) or not word.strip() or len(word.strip()) > MAX_CHARS:
            raise ValidationError(f"each word must be 1 to {MAX_CHARS} characters", field="words")
        kept.setdefault(word.strip().casefold(), word.strip())
    return list(kept.values()), use_default


def _item(user_id: str) -> HiddenWords | None:
    try:
        return HiddenWords.get(user_id)
    except HiddenWords.DoesNotExist:
        return None
