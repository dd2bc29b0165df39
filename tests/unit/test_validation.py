import pytest

from chalicelib.accounts import auth
from chalicelib.core.errors import Conflict, ValidationError


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("alice", "alice"),
        ("Alice", "alice"),
        (" bob_99 ", "bob_99"),
        ("a.b", "a.b"),
        ("x", "x"),
        ("a" * 30, "a" * 30),
    ],
)
def test_usernames_are_case_folded_and_kept(raw: str, expected: str) -> None:
    assert auth.normalize_username(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "a" * 31,
        "al ice",
        "alice!",
        "élodie",
        "서울",
        ".alice",
        "alice.",
        "al..ice",
        None,
        42,
        ["alice"],
    ],
)
def test_bad_usernames_are_refused(raw: object) -> None:
    with pytest.raises(ValidationError):
        auth.normalize_username(raw)


@pytest.mark.parametrize("raw", ["admin", "ME", "Glimpse", "support"])
def test_reserved_usernames_are_refused(raw: str) -> None:
    with pytest.raises(Conflict) as caught:
        auth.normalize_username(raw)
    assert caught.value.code == "username_taken"


@pytest.mark.parametrize(
    ("raw", "expected"), [("A@Example.COM", "a@example.com"), (" x.y+z@mail.co ", "x.y+z@mail.co")]
)
def test_emails_are_normalised(raw: str, expected: str) -> None:
    assert auth.normalize_email(raw) == expected


@pytest.mark.parametrize(
    "raw",
    ["", "alice", "alice@", "@example.com", "a@b", "a b@c.de", "a@@b.cd", "x" * 250 + "@a.io", 7],
)
def test_bad_emails_are_refused(raw: object) -> None:
    with pytest.raises(ValidationError):
        auth.normalize_email(raw)


@pytest.mark.parametrize("raw", ["short", "", "1234567", "x" * 257, None, 12345678])
def test_weak_or_malformed_passwords_are_refused(raw: object) -> None:
    with pytest.raises(ValidationError):
        auth.check_password(raw)
