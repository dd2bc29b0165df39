import base64

import pytest

from chalicelib.core.errors import ValidationError
from chalicelib.core.pagination import (
    decode_cursor,
    decode_offset,
    encode_cursor,
    encode_offset,
    encode_position,
    parse_limit,
)

KEY = {"followee_id": {"S": "u1"}, "follower_id": {"S": "u2"}, "created_at": {"N": "17"}}
NAMES = {"followee_id", "follower_id", "created_at"}


def test_a_cursor_round_trips_for_its_own_list() -> None:
    assert decode_cursor(encode_cursor(KEY), NAMES, ("followee_id", "u1")) == KEY


def test_no_cursor_means_first_page() -> None:
    assert encode_cursor(None) is None
    assert decode_cursor(None, NAMES, ("followee_id", "u1")) is None


@pytest.mark.parametrize(
    "cursor",
    [
        "%%%",
        "bm90IGpzb24",
        encode_cursor({"other": {"S": "x"}}),
        encode_cursor({**KEY, "created_at": {"N": "1e999"}}),
        encode_cursor({**KEY, "created_at": {"B": "AAAA"}}),
    ],
)
def test_malformed_cursors_are_a_400(cursor: str) -> None:
    with pytest.raises(ValidationError) as caught:
        decode_cursor(cursor, NAMES, ("followee_id", "u1"))
    assert caught.value.code == "invalid_cursor"


def test_a_cursor_from_another_users_list_is_refused() -> None:
    with pytest.raises(ValidationError):
        decode_cursor(encode_cursor(KEY), NAMES, ("followee_id", "someone-else"))


@pytest.mark.parametrize(("raw", "expected"), [(None, 20), ("", 20), ("1", 1), ("100", 100)])
def test_limits(raw: str | None, expected: int) -> None:
    assert parse_limit(raw) == expected


@pytest.mark.parametrize("raw", ["0", "101", "-1", "ten", "1.5"])
def test_bad_limits_are_a_400(raw: str) -> None:
    with pytest.raises(ValidationError):
        parse_limit(raw)


def test_an_offset_cursor_round_trips_within_its_bound() -> None:
    assert decode_offset(encode_offset(40), maximum=1000) == 40
    assert decode_offset(None, maximum=1000) == 0


@pytest.mark.parametrize(
    "cursor",
    [
        encode_offset(1001),
        "%%%",
        encode_position("0" * 26),
        base64.urlsafe_b64encode("o:\u00b2".encode()).decode(),
        base64.urlsafe_b64encode(("o:" + "9" * 5000).encode()).decode(),
    ],
)
def test_bad_offset_cursors_are_refused(cursor: str) -> None:
    with pytest.raises(ValidationError) as refused:
        decode_offset(cursor, maximum=1000)
    assert refused.value.code == "invalid_cursor"
