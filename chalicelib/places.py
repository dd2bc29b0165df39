"""Places: where a post was taken, and the posts taken there.

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

from chalicelib import listings
from chalicelib.errors import NotFound, ValidationError
from chalicelib.tables import PlaceEntry, pool

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


def index(post_id: str, author_id: str, place: dict[str, Any]) -> None:
    listings.add(PlaceEntry, place["place_id"], post_id, author_id,
                 name=place["name"], lat=float(place["lat"]),
                 lng=float(place["lng"]))  # fmt: skip


def unindex(post_id: str, place_id: str) -> None:
    listings.remove(PlaceEntry, place_id, post_id)


def page(viewer_id: str, place_id: str, limit: int, cursor: str | None) -> dict[str, Any]:
    summary = pool().submit(listings.summary, PlaceEntry, place_id)
    listing = listings.page(PlaceEntry, place_id, viewer_id, limit, cursor)
    place = summary.result()
    if place is None:
        raise NotFound("No such place", code="place_not_found")
    return {
        "place": {"place_id": place_id, "name": place.name, "lat": float(place.lat),
                  "lng": float(place.lng), "post_count": max(0, int(place.post_count or 0))},
        **listing.to_dict(),
    }  # fmt: skip
