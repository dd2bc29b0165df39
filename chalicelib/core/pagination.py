"""Opaque cursors and page sizes for every list of the API.

A cursor is DynamoDB's LastEvaluatedKey, base64url-encoded. It is checked on the way back in:
it must have exactly the key attributes of the query it came from and the same partition, so a
cursor from one list cannot be replayed against another.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any, NamedTuple

from chalicelib.core.errors import ValidationError

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


class Page(NamedTuple):
    items: list[dict[str, Any]]
    next_cursor: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"items": self.items, "next_cursor": self.next_cursor}


def parse_limit(raw: str | None, default: int = DEFAULT_LIMIT, maximum: int = MAX_LIMIT) -> int:
    if raw is None or raw == "":
        return default
    try:
        limit = int(raw)
    except ValueError:
        raise ValidationError("limit must be a whole number", field="limit") from None
    if not 1 <= limit <= maximum:
        raise ValidationError(f"limit must be between 1 and {maximum}", field="limit")
    return limit


def encode_cursor(last_key: dict[str, Any] | None) -> str | None:
    if not last_key:
        return None
    raw = json.dumps(last_key, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(
    cursor: str | None, key_names: set[str], partition: tuple[str, str]
) -> dict[str, Any] | None:
    """The LastEvaluatedKey a cursor stands for, or None for the first page.

    ``key_names`` are the attributes the query's keys are made of; ``partition`` the
    (attribute, value) pair the query is for.
    """
    if cursor is None or cursor == "":
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError):
        raise _bad_cursor() from None
    if not isinstance(key, dict) or set(key) != key_names:
        raise _bad_cursor()
    for value in key.values():
        if not (isinstance(value, dict) and len(value) == 1):
            raise _bad_cursor()
        ((kind, scalar),) = value.items()
        if kind not in ("S", "N") or not isinstance(scalar, str) or len(scalar) > 1024:
            raise _bad_cursor()
        if kind == "N" and not scalar.isdigit():
            raise _bad_cursor()
    name, expected = partition
    if key[name] != {"S": expected}:
        raise _bad_cursor()
    return key


def encode_position(post_id: str | None) -> str | None:
    """A cursor for lists merged from several sources, positioned by time-sorted post id."""
    return None if post_id is None else _tagged("p", post_id)


def decode_position(cursor: str | None) -> str | None:
    if cursor is None or cursor == "":
        return None
    post_id = _untagged("p", cursor)
    if not _POST_ID.fullmatch(post_id):
        raise _bad_cursor()
    return post_id


def encode_offset(offset: int) -> str:
    """A cursor for lists that are ranked, not stored in order (search results)."""
    return _tagged("o", str(offset))


def decode_offset(cursor: str | None, maximum: int) -> int:
    if cursor is None or cursor == "":
        return 0
    raw = _untagged("o", cursor)
    # ASCII digits only, and few of them: int() takes other scripts' digits and chokes on
    # thousands of them.
    if not (raw.isascii() and raw.isdigit()) or len(raw) > len(str(maximum)) or int(raw) > maximum:
        raise _bad_cursor()
    return int(raw)


def _tagged(tag: str, value: str) -> str:
    return base64.urlsafe_b64encode(f"{tag}:{value}".encode()).decode().rstrip("=")


def _untagged(tag: str, cursor: str) -> str:
    try:
        raw = base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode()).decode()
    except (ValueError, UnicodeDecodeError):
        raise _bad_cursor() from None
    if not raw.startswith(f"{tag}:"):
        raise _bad_cursor()
    return raw[len(tag) + 1 :]


_POST_ID = re.compile(r"[0-9a-z]{26}")


def _bad_cursor() -> ValidationError:
    return ValidationError("cursor is not valid for this list", code="invalid_cursor")
