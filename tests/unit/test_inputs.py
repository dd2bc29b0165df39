"""What the edge accepts: JSON depth, numbers, and the characters strings may hold."""

from __future__ import annotations

import json

import pytest

from chalicelib.core import inputs
from chalicelib.core.errors import ValidationError


def refusal(raw: str | bytes) -> tuple[str, str, str]:
    with pytest.raises(ValidationError) as refused:
        inputs.parse_json(raw)
    return refused.value.code, refused.value.details.get("field", ""), refused.value.message


def test_nesting_is_bounded_and_brackets_in_strings_do_not_count() -> None:
    at_limit = "[" * inputs.MAX_DEPTH + "]" * inputs.MAX_DEPTH
    assert inputs.parse_json(at_limit) is not None
    assert refusal("[" + at_limit + "]")[0] == "invalid_json"
    assert refusal('{"a": ' * 1000 + "1" + "}" * 1000)[0] == "invalid_json"
    inside = "[[[[" * 100 + '"{{{'
    assert inputs.parse_json(json.dumps({"text": inside})) == {"text": inside}


@pytest.mark.parametrize("raw", ['{"a": NaN}', '{"a": Infinity}', '{"a": -1e999}', "\xff"])
def test_numbers_json_does_not_allow_and_bad_bytes_are_invalid_json(raw: str) -> None:
    body = raw.encode("latin-1") if raw == "\xff" else raw
    assert refusal(body)[0] == "invalid_json"


@pytest.mark.parametrize(
    ("char", "named"),
    [
        ("\ud800", "lone surrogate"),
        ("\udfff", "lone surrogate"),
        ("\x00", "control"),
        ("\x1b", "control"),
        ("\x7f", "control"),
        ("\x85", "control"),
        ("\u202e", "override"),
        ("\u202a", "override"),
        ("\u2067", "isolate"),
    ],
)
def test_characters_that_break_storage_or_spoof_display_are_refused(char: str, named: str) -> None:
    code, field, message = refusal(json.dumps({"caption": {"nested": [f"x{char}y"]}}))
    assert (code, field) == ("invalid_text", "caption")
    assert named in message and f"U+{ord(char):04X}" in message


def test_keys_are_checked_too() -> None:
    assert refusal(json.dumps({"a\u0000": 1}))[0] == "invalid_text"


def test_text_of_every_script_with_its_marks_passes() -> None:
    text = "line\nbreak\ttab\r — שלום\u200f عربي\u061c 서울 😀 café"
    assert inputs.parse_json(json.dumps({"t": text})) == {"t": text}
