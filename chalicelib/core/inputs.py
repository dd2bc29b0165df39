"""What the API accepts from a client, checked once at the edge (REST bodies, query strings,
path segments, websocket frames) so that no handler meets input that breaks it.

- JSON is parsed with a depth limit (Python's parser recurses: 1,000 nested brackets raise
  RecursionError, a server error) and without NaN or Infinity (DynamoDB cannot store them);
- every string is text that can be stored and shown honestly: no lone surrogates (they
  cannot be encoded as UTF-8, which DynamoDB and JSON on the wire need), no NUL or other
  control characters but tab and line breaks, and no bidirectional embeddings, overrides or
  isolates (U+202A–U+202E, U+2066–U+2069), which make a name or caption display as something
  other than what it is. Marks that only hint at direction (U+200E, U+200F, U+061C) stay:
  right-to-left scripts need them.

Each refusal is a 400 that names the field and what is wrong with it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from chalicelib.core.errors import ValidationError

MAX_DEPTH = 32
# No id or name in a path is longer; DynamoDB refuses sort keys over 1,024 bytes.
PATH_SEGMENT_MAX = 256

_FORBIDDEN = re.compile(
    "[\ud800-\udfff]"  # lone surrogates
    "|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]"  # controls but \t \n \r
    "|[\u202a-\u202e\u2066-\u2069]"  # bidi embeddings, overrides, isolates
)
_STRINGS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_BRACKETS = re.compile(r"[\[\]{}]")
_WHAT = (
    ("\ud800", "\udfff", "a lone surrogate (not a character)"),
    ("\u202a", "\u202e", "a bidirectional override"),
    ("\u2066", "\u2069", "a bidirectional isolate"),
)


def parse_json(raw: bytes | str, what: str = "The request body") -> Any:
    """The JSON value of ``raw``, refused (400 ``invalid_json``) when it is not JSON, nests
    deeper than ``MAX_DEPTH`` or holds NaN/Infinity; every string in it is checked."""
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise _invalid_json(f"{what} is not UTF-8") from None
    if _depth(raw) > MAX_DEPTH:
        raise _invalid_json(f"{what} nests deeper than {MAX_DEPTH} levels")
    try:
        value = json.loads(raw, parse_constant=_no_constant, parse_float=_finite)
    except (ValueError, RecursionError):
        raise _invalid_json(f"{what} is not valid JSON") from None
    check_strings(value)
    return value


def check_strings(value: Any, field: str | None = None) -> None:
    """Every string in ``value`` (keys too) is storable, honest text; ``field`` names the
    top-level field in the refusal."""
    if isinstance(value, str):
        check_text(value, field)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            name = field or str(key)
            check_text(str(key), name)
            check_strings(item, name)
    elif isinstance(value, list):
        for item in value:
            check_strings(item, field)


def check_text(text: str, field: str | None = None) -> str:
    found = _FORBIDDEN.search(text)
    if found is None:
        return text
    char = found.group()
    reason = next(
        (label for low, high, label in _WHAT if low <= char <= high), "a control character"
    )
    where = f"{field} " if field else ""
    raise ValidationError(
        f"{where}contains {reason} (U+{ord(char):04X}), which is not allowed",
        code="invalid_text",
        field=field or "",
    )


def _depth(text: str) -> int:
    """The deepest nesting of arrays and objects (brackets inside strings not counted), found
    with two C-speed regex passes rather than a loop over every character."""
    depth = deepest = 0
    for bracket in _BRACKETS.findall(_STRINGS.sub("", text)):
        depth += 1 if bracket in "[{" else -1
        if depth > deepest:
            deepest = depth
            if deepest > MAX_DEPTH:
                break
    return deepest


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a number JSON allows")


def _finite(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError("number out of range")
    return value


def _invalid_json(message: str) -> ValidationError:
    return ValidationError(message, code="invalid_json")
