"""Place pages: the posts taken at a place, newest first, with its public post count.

What a place is (the id, how it is matched and shown) is the post's: ``posts.place``.
"""

from __future__ import annotations

from typing import Any

from chalicelib.core.dynamodb import pool
from chalicelib.core.errors import NotFound
from chalicelib.discovery import listings
from chalicelib.discovery.models import PlaceEntry
from chalicelib.posts import place as post_place


def index(post_id: str, author_id: str, place: dict[str, Any], public: bool) -> None:
    listings.add(
        PlaceEntry,
        place["place_id"],
        post_id,
        author_id,
        public,
        name=place["name"],
        lat=float(place["lat"]),
        lng=float(place["lng"]),
    )


def unindex(post_id: str, place_id: str) -> None:
    listings.remove(PlaceEntry, place_id, post_id)


def page(viewer_id: str, place_id: str, limit: int, cursor: str | None) -> dict[str, Any]:
    """A place's posts the viewer may see. A place only private accounts posted from, or
    only an account across a block from the viewer, exists only for those who may see one of
    its posts: to anyone else it is 404, like a place that never was (its name and
    coordinates are those accounts' own)."""
    summary = pool().submit(listings.summary, PlaceEntry, place_id)
    listing = listings.page(PlaceEntry, place_id, viewer_id, limit, cursor)
    place = summary.result()
    if place is None or (not listing.items and listings.hidden_from(viewer_id, [place])):
        raise NotFound("No such place", code="place_not_found")
    return {"place": post_place.view(place, listings.public_count(place)), **listing.to_dict()}
