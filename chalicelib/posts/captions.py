"""Hashtags and mentions in captions and comments.

Hashtags are Unicode-aware (``#서울``, ``#café``, ``#NYC2026``) and case-folded after NFC
normalisation, so ``#Café`` and ``#CAFÉ`` are one tag. Mentions follow the username rules.
"""

from __future__ import annotations

import re
import unicodedata

MAX_HASHTAGS = 30  # Instagram's limit per post; more are ignored rather than refused

# A tag starts after a non-word character (so "a#b" and URLs' fragments are not tags).
_HASHTAG = re.compile(r"(?<![\w&])#(\w{1,100})")
_MENTION = re.compile(r"(?<![\w.@])@([A-Za-z0-9._]{1,30})")


def normalise_tag(raw: str) -> str:
    return unicodedata.normalize("NFC", raw).casefold()


def hashtags(text: str) -> list[str]:
    """The distinct tags of a text, in order of appearance; all-digit tags are not tags."""
    found: list[str] = []
    for match in _HASHTAG.finditer(unicodedata.normalize("NFC", text)):
        tag = normalise_tag(match.group(1))
        if not tag.isdigit() and tag not in found:
            found.append(tag)
    return found[:MAX_HASHTAGS]


def mentions(text: str) -> list[str]:
    """The distinct usernames mentioned, lower-cased, in order of appearance."""
    found: list[str] = []
    for match in _MENTION.finditer(text):
        name = match.group(1).rstrip(".").lower()
        if name and name not in found:
            found.append(name)
    return found


# What a mention of a deleted account reads as: not a username (a name cannot hold "["), so
# it links nowhere and no account registered later under the old name inherits it.
DELETED_MENTION = "@[deleted]"


def without_mention(text: str, username: str) -> str:
    """The text with every mention of ``username`` (as ``mentions`` finds them: any case,
    trailing dots kept as text) read as a deleted account's."""

    def replace(match: re.Match[str]) -> str:
        raw = match.group(1)
        name = raw.rstrip(".")
        if name.lower() != username:
            return match.group(0)
        return DELETED_MENTION + raw[len(name) :]

    return _MENTION.sub(replace, text)
