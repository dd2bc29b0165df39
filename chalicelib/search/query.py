"""``GET /search``: what to ask the engine, what the viewer may see, how results rank.

``#`` searches hashtags and ``@`` people (when no type is given). People the viewer follows or
who follow the viewer rank higher (their relationship is read anyway, to drop blocked
accounts). ``type=all`` is a short mixed list, like Instagram's top results.
"""

from __future__ import annotations

from typing import Any

from chalicelib import posts, profiles, relationships
from chalicelib.errors import ValidationError
from chalicelib.pagination import decode_offset, encode_offset
from chalicelib.search.documents import PLACE, POST, TAG, USER, Hit
from chalicelib.search.engines import engine
from chalicelib.tables import SUMMARY_KEY, HashtagEntry, PlaceEntry, User, batch_get

TYPES = {"all": (USER, TAG, PLACE, POST), "users": (USER,), "tags": (TAG,),
         "places": (PLACE,), "posts": (POST,)}  # fmt: skip
QUERY_MAX = 100
TOP_RESULTS = 10
OFFSET_MAX = 1000  # how deep a search may be paged
_TOP_PER_KIND = {USER: 5, TAG: 3, PLACE: 3, POST: 3}


def search(viewer_id: str, q: object, kind: str | None, limit: int,
           cursor: str | None) -> dict[str, Any]:  # fmt: skip
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
    return {"items": [view for _, view in page],
            "next_cursor": encode_offset(offset + limit) if more else None}  # fmt: skip


def _visible(viewer_id: str, hits: list[Hit]) -> list[tuple[float, dict[str, Any]]]:
    """Hits the viewer may see, as result items, best first (graph closeness included)."""
    people = {h.id for h in hits if h.kind == USER} | {h.author_id for h in hits
                                                        if h.kind == POST and h.author_id}
    keys: list[tuple] = [(User, p, None) for p in people]
    for person in people:
        keys += relationships.keys(viewer_id, person).values()
    keys += [(HashtagEntry, h.id, SUMMARY_KEY) for h in hits if h.kind == TAG]
    keys += [(PlaceEntry, h.id, SUMMARY_KEY) for h in hits if h.kind == PLACE]
    found = batch_get(keys)
    cards = {c["post_id"]: c for c in posts.cards(viewer_id, [
        (h.id, h.author_id) for h in hits if h.kind == POST and h.author_id])}  # fmt: skip
    results = []
    for hit in hits:
        score, view = hit.score, None
        if hit.kind == USER and (User, hit.id, None) in found:
            relationship = relationships.from_found(viewer_id, hit.id, found)
            if relationship.blocked or relationship.blocked_by:
                continue
            score += 1.5 * relationship.following + 1.0 * relationship.followed_by
            view = {"type": USER, "user": {**profiles.summary(found[(User, hit.id, None)]),
                                            "relationship": relationship.public()}}
        elif hit.kind == TAG and (HashtagEntry, hit.id, SUMMARY_KEY) in found:
            count = int(found[(HashtagEntry, hit.id, SUMMARY_KEY)].post_count or 0)
            if count > 0:
                view = {"type": TAG, "tag": hit.id, "post_count": count}
        elif hit.kind == PLACE and (PlaceEntry, hit.id, SUMMARY_KEY) in found:
            place = found[(PlaceEntry, hit.id, SUMMARY_KEY)]
            view = {"type": PLACE, "place": {"place_id": hit.id, "name": place.name,
                    "lat": float(place.lat), "lng": float(place.lng),
                    "post_count": int(place.post_count or 0)}}  # fmt: skip
        elif hit.kind == POST and hit.id in cards:
            view = {"type": POST, "post": cards[hit.id]}
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
