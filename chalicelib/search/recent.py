"""Recent searches: what someone searched and the result they opened, newest first, kept for
30 days. The recommender can read the same items as interaction signals (a search click on a
user, tag, place or post)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.core.errors import NotFound, ValidationError
from chalicelib.core.ids import new_id
from chalicelib.discovery import hashtags, listings
from chalicelib.discovery.models import PlaceEntry
from chalicelib.interactions import feedback
from chalicelib.posts import visible
from chalicelib.search.documents import KINDS, PLACE, POST, TAG, USER
from chalicelib.search.models import RecentSearch

KEEP_FOR = timedelta(days=30)
SHOWN = 20


def record(viewer_id: str, body: dict[str, Any]) -> dict[str, Any]:
    query, kind, target = body.get("query"), body.get("type"), body.get("id")
    if not isinstance(query, str) or not query.strip() or len(query) > 100:
        raise ValidationError("query must be 1-100 characters", field="query")
    if kind is not None and kind not in KINDS:
        raise ValidationError(f"type must be one of {', '.join(KINDS)}", field="type")
    if target is not None and (not isinstance(target, str) or not 0 < len(target) <= 128):
        raise ValidationError("id must be the opened result's id", field="id")
    if target is not None:
        target = _check_target(viewer_id, kind, target)
    item = RecentSearch(
        viewer_id,
        new_id(),
        text=query.strip(),
        kind=kind,
        target_id=target,
        expires_at=datetime.now(UTC) + KEEP_FOR,
    )
    item.save()
    if target is not None and kind in ("user", "post"):
        feedback.record(viewer_id, kind, target, "search")  # a search click is a signal
    return _view(item)


def listing(viewer_id: str) -> dict[str, Any]:
    """The latest searches; one whose opened account or post the viewer may no longer see
    (a block, an unfollow, a deletion since) keeps its words but not the id."""
    items = list(RecentSearch.query(viewer_id, scan_index_forward=False, limit=SHOWN))
    sight = visible.look(
        viewer_id,
        users=[i.target_id for i in items if i.kind == USER and i.target_id],
        posts=[(i.target_id, None) for i in items if i.kind == POST and i.target_id],
    )
    for item in items:
        if not _still_visible(sight, item.kind, item.target_id):
            item.target_id = None
    return {"items": [_view(item) for item in items]}


def _check_target(viewer_id: str, kind: str | None, target: str) -> str:
    """The opened result must be one the viewer may see: an id of anything else would let a
    viewer plant signals about it (the recommender reads these) or learn that it exists."""
    if kind is None:
        raise ValidationError("an opened result (id) needs its type", field="type")
    if kind == TAG:
        return hashtags.check_tag(target)
    if kind == PLACE:
        # The rule search and the place page use: no public post there, or only those of
        # an account across a block, and the place is not the viewer's to name.
        summary = listings.summary(PlaceEntry, target)
        if summary is None or listings.hidden_from(viewer_id, [summary]):
            raise NotFound("No such place", code="place_not_found")
        return target
    sight = visible.look(
        viewer_id,
        users=[target] if kind == USER else [],
        posts=[(target, None)] if kind == POST else [],
    )
    if kind == USER and not _still_visible(sight, kind, target):
        raise NotFound("No such user", code="user_not_found")
    if kind == POST and not _still_visible(sight, kind, target):
        raise NotFound("No such post", code="post_not_found")
    return target


def _still_visible(sight: visible.PostSight, kind: str | None, target: str | None) -> bool:
    if target is None:
        return True
    if kind == USER:
        return sight.account(target) is not None
    if kind == POST:
        return sight.post(target) is not None
    return True


def clear(viewer_id: str) -> None:
    with RecentSearch.batch_write() as batch:
        for item in RecentSearch.query(viewer_id, attributes_to_get=["user_id", "search_id"]):
            batch.delete(item)


def _view(item: RecentSearch) -> dict[str, Any]:
    return {
        "query": item.text,
        "type": item.kind,
        "id": item.target_id,
        "search_id": item.search_id,
    }
