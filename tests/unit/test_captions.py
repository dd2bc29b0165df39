"""Hashtags and mentions as people type them."""

from __future__ import annotations

import pytest

from chalicelib.core.errors import ValidationError
from chalicelib.posts import captions, place


@pytest.mark.parametrize(
    ("text", "tags"),
    [
        ("Brunch #Café #서울 #NYC2026", ["café", "서울", "nyc2026"]),
        ("#CAFÉ and #café and #Cafe\u0301", ["café"]),  # case and NFC: one tag
        ("mail me at a#b.com, see http://x.y/#top", ["top"]),
        ("#2026 is a year, #2026goals is a tag", ["2026goals"]),
        ("#東京タワー!", ["東京タワー"]),
        ("no tags here", []),
    ],
)
def test_hashtags(text: str, tags: list[str]) -> None:
    assert captions.hashtags(text) == tags


def test_at_most_thirty_hashtags_are_kept() -> None:
    assert len(captions.hashtags(" ".join(f"#t{n}" for n in range(40)))) == 30


def test_mentions() -> None:
    text = "thanks @Alice, @bob.smith. and @alice again; mail@example.com"
    assert captions.mentions(text) == ["alice", "bob.smith"]


def test_places_match_by_name_nearby_and_refuse_nonsense() -> None:
    here = place.check({"name": "Café  Flore", "lat": 48.85412, "lng": 2.33256})
    same = place.check({"name": "CAFÉ FLORE", "lat": 48.85409, "lng": 2.33261})
    far = place.check({"name": "Café Flore", "lat": 40.0, "lng": 2.33256})
    assert here["place_id"] == same["place_id"] != far["place_id"]
    assert here["name"] == "Café Flore"
    for bad in (
        {"name": "", "lat": 1, "lng": 1},
        {"name": "x", "lat": 91, "lng": 0},
        {"name": "x", "lat": True, "lng": 0},
        {"name": "x", "lat": float("nan"), "lng": 0},
        "Paris",
    ):
        with pytest.raises(ValidationError):
            place.check(bad)
