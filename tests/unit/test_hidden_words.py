"""Hidden words matching: case-insensitive, whole words, any script (no IO)."""

from __future__ import annotations

import pytest

from chalicelib.accounts.hidden_words import DEFAULT_WORDS, _checked, compile_words
from chalicelib.core.errors import ValidationError


def test_whole_words_any_case_any_script() -> None:
    hides = compile_words(["spoiler", "Straße", "кот", "shut up", "f*ck"])
    assert hides is not None
    assert hides("no SPOILERS please") is False  # a longer word is another word
    assert hides("Spoiler: he dies")
    assert hides("the STRASSE is long")  # Unicode case folding
    assert hides("Мой КОТ спит")
    assert not hides("котик")
    assert hides("oh shut up!")
    assert not hides("shut upstairs")
    assert hides("what the f*ck")
    assert not hides("classic") and not compile_words(["ass"])("a classic")  # type: ignore[misc]
    assert compile_words([]) is None and compile_words(["  "]) is None


def test_the_default_list_is_short_lowercase_and_within_limits() -> None:
    assert 0 < len(DEFAULT_WORDS) <= 100
    assert all(word == word.casefold() and len(word) <= 50 for word in DEFAULT_WORDS)
    hides = compile_words(list(DEFAULT_WORDS))
    assert hides is not None and hides("You IDIOT") and not hides("idiomatic")


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"words": "spoiler"},
        {"words": [1]},
        {"words": [""]},
        {"words": ["x" * 51]},
        {"words": [f"w{i}" for i in range(101)]},
        {"words": [], "use_default": "yes"},
    ],
)
def test_bad_lists_are_refused(body: dict) -> None:
    with pytest.raises(ValidationError):
        _checked(body)


def test_words_are_trimmed_and_duplicates_dropped() -> None:
    words, use_default = _checked({"words": [" Spoiler ", "spoiler", "SPOILER", "x" * 50]})
    assert words == ["Spoiler", "x" * 50] and use_default is False
