"""An account's end on hashtag and place pages (``lifecycle.deletion``): its posts leave the
listings through the posts stream; what is left here is its id among the public authors a
tag's or place's summary remembers."""

from __future__ import annotations

from collections.abc import Iterable

from chalicelib.discovery import listings
from chalicelib.discovery.models import HashtagEntry, PlaceEntry


def forget_author(user_id: str, hashtags: Iterable[str], place_ids: Iterable[str]) -> int:
    """Forget the account on these tags' and places' summaries; returns how many it asked."""
    asked = 0
    for tag in dict.fromkeys(hashtags):
        listings.forget_author(HashtagEntry, tag, user_id)
        asked += 1
    for place_id in dict.fromkeys(place_ids):
        listings.forget_author(PlaceEntry, place_id, user_id)
        asked += 1
    return asked
