"""``GET /search``: what to ask the engine, what the viewer may see, how results rank.

``#`` searches hashtags and ``@`` people (when no type is given). People the viewer follows or
who follow the viewer rank higher (their relationship is read anyway, to drop blocked
accounts). ``type=all`` is a short mixed list, like Instagram's top results.
"""

from __future__ import annotations

from typing import Any

from chalicelib.accounts import profiles
from chalicelib.core.dynamodb import pool
from chalicelib.core.errors import ValidationError
from chalicelib.core.pagination import decode_offset, encode_offset
from chalicelib.discovery import listings
from chalicelib.discovery.models import SUMMARY_KEY, HashtagEntry, PlaceEntry
from chalicelib.graph import visibility
from chalicelib.posts import cards, place
from chalicelib.search.documents import PLACE, POST, TAG, USER, Hit
from chalicelib.search.engines import engine

TYPES = {
    "all": (USER, TAG, PLACE, POST),
    "users": (USER,),
    "tags": (TAG,),
    "places": (PLACE,),
    "posts": (POST,),
}
QUERY_MAX = 100
TOP_RESULTS = 10
OFFSET_MAX = 1000  # how deep a search may be paged
_TOP_PER_KIND = {USER: 5, TAG: 3, PLACE: 3, POST: 3}


def search(
    viewer_id: str, q: object, kind: str | None, limit: int, cursor: str | None
) -> dict[str, Any]:
    if not isinstance(q, str) or not q.strip() or len(q) > QUERY_MAX:
        raise ValidationError(f"q must be 1-{QUERY_MAX} characters", field="q")
    kind = kind or "all"
    if kind not in TYPES:
        raise ValidationError(f"type must be one of {', '.join(TYPES)}", field="type")
    text = q.strip()
    if kind == "all" and text[0] in "#@":
        kind = "tags" if text[0] == "#" else "users"
    text = text.lstrip("#@")
    offset = decode_offset(cursor, maximum=OFFSET_MAX)
    wanted = TOP_RESULTS if kind == "all" else offset + limit
    hits = engine().search(text, TYPES[kind], wanted * 3 + 10)
    items = _visible(viewer_id, hits)
    if kind == "all":
        items = _top_mix(items)[: min(limit, TOP_RESULTS)]
        return {"items": [view for _, view in items], "next_cursor": None}
    page = items[offset : offset + limit]
    more = len(items) > offset + limit
    return {
        "items": [view for _, view in page],
        "next_cursor": encode_offset(offset + limit) if more else None,
    }


def _visible(viewer_id: str, hits: list[Hit]) -> list[tuple[float, dict[str, Any]]]:
    """Hits the viewer may see, as result items, best first (graph closeness included). A
    tag or place counts, and is found, by its public posts only, and not by someone across a
    block from the one account whose posts they all are (``listings.hidden_from``)."""
    summaries = [(HashtagEntry, h.id, SUMMARY_KEY) for h in hits if h.kind == TAG]
    summaries += [(PlaceEntry, h.id, SUMMARY_KEY) for h in hits if h.kind == PLACE]
    sight = visibility.look(
        viewer_id, users=[h.id for h in hits if h.kind == USER], extra=summaries
    )
    post_refs = [(h.id, h.author_id) for h in hits if h.kind == POST and h.author_id]
    found_cards = pool().submit(cards.of, viewer_id, post_refs)
    hidden = listings.hidden_from(viewer_id, [sight.found.get(key) for key in summaries])
    post_cards = {c["post_id"]: c for c in found_cards.result()}
    results = []
    for hit in hits:
        score, view = hit.score, None
        if hit.kind == USER and (user := sight.account(hit.id)) is not None:
            relationship = sight.relationship(hit.id)
            score += 1.5 * relationship.following + 1.0 * relationship.followed_by
            view = {
                "type": USER,
                "user": {**profiles.summary(user), "relationship": relationship.public()},
            }
        elif hit.kind == TAG:
            summary = sight.found.get((HashtagEntry, hit.id, SUMMARY_KEY))
            if summary is not None and summary not in hidden:
                view = {"type": TAG, "tag": hit.id, "post_count": listings.public_count(summary)}
        elif hit.kind == PLACE:
            summary = sight.found.get((PlaceEntry, hit.id, SUMMARY_KEY))
            if summary is not None and summary not in hidden:
                count = listings.public_count(summary)
                view = {"type": PLACE, "place": place.view(summary, count)}
        elif hit.kind == POST and hit.id in post_cards:
            view = {"type": POST, "post": post_cards[hit.id]}
        if view is not None:
            results.append((score, view))
    results.sort(key=lambda item: item[0], reverse=True)
    return results


def _top_mix(items: list[tuple[float, dict]]) -> list[tuple[float, dict]]:
    taken: dict[str, int] = {}
    mixed = []
    for score, view in items:
        if taken.get(view["type"], 0) < _TOP_PER_KIND[view["type"]]:
            taken[view["type"]] = taken.get(view["type"], 0) + 1
            mixed.append((score, view))
    return mixed
