"""Identifiers that sort by creation time (ULID layout: 48-bit milliseconds + 80 random bits).

Time-ordered ids let a DynamoDB sort key double as "newest first" without another attribute.
"""

from __future__ import annotations

import secrets
import time

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower case


def new_id(now_ms: int | None = None) -> str:
    """A 26-character, URL-safe, lexicographically time-sortable id."""
    ms = int(time.time() * 1000) if now_ms is None else now_ms
    value = (ms << 80) | secrets.randbits(80)
    chars = []
    for _ in range(26):
        value, rem = divmod(value, 32)
        chars.append(_ALPHABET[rem])
    return "".join(reversed(chars))


def now_ms() -> int:
    return int(time.time() * 1000)
