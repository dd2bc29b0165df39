"""Where a post was taken: the place a client sends, its id, and the one way a place is
shown (a post's, a place page's, a search result's).

A post's ``{name, lat, lng}`` is matched to a place by its case-folded name within a cell of
about 100 m (coordinates rounded to three decimals): the same café tagged by two people is one
place, a namesake across town is another. The place id is derived from those, so matching
needs no lookup and two concurrent first posts agree on it.
"""

from __future__ import annotations

import hashlib
import math
import unicodedata
from typing import Any

from chalicelib.core.errors import ValidationError

NAME_MAX = 100


def check(place: object) -> dict[str, Any] | None:
    """A client's ``place`` validated: ``{place_id, name, lat, lng}``, or None."""
    if place is None:
        return None
    if not isinstance(place, dict):
        raise ValidationError("place must be an object {name, lat, lng}", field="place")
    name, lat, lng = place.get("name"), place.get("lat"), place.get("lng")
    if not isinstance(name, str) or not name.strip() or len(name) > NAME_MAX:
        raise ValidationError(f"place.name must be 1-{NAME_MAX} characters", field="place")
    for value, low, high, label in ((lat, -90, 90, "lat"), (lng, -180, 180, "lng")):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValidationError(f"place.{label} must be a number", field="place")
        if not math.isfinite(value) or not low <= value <= high:
            raise ValidationError(f"place.{label} must be within {low}..{high}", field="place")
    name = " ".join(name.split())
    return {"place_id": place_id(name, lat, lng), "name": name, "lat": lat, "lng": lng}


def place_id(name: str, lat: float, lng: float) -> str:
    key = f"{unicodedata.normalize('NFC', name).casefold()}|{lat:.3f}|{lng:.3f}"
    return "pl_" + hashlib.sha256(key.encode()).hexdigest()[:20]


def view(place: Any, post_count: int | None = None) -> dict[str, Any] | None:
    """The one way a place is shown: a post's place, a place page's, a search result's.
    ``place`` is anything with ``name``, ``lat`` and ``lng`` (a post's Place, a PlaceEntry
    summary); the id is the post's, or derived from those."""
    if place is None:
        return None
    shown = {
        "place_id": getattr(place, "place_id", None)
        or place_id(place.name, float(place.lat), float(place.lng)),
        "name": place.name,
        "lat": float(place.lat),
        "lng": float(place.lng),
    }
    if post_count is not None:
        shown["post_count"] = max(0, post_count)
    return shown
