"""Recent searches: what someone searched and the result they opened, newest first, kept for
30 days. The recommender can read the same items as interaction signals (a search click on a
user, tag, place or post)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib import interactions
from chalicelib.errors import ValidationError
from chalicelib.ids import new_id
from chalicelib.search.documents import KINDS
from chalicelib.tables import RecentSearch

KEEP_FOR = timedelta(days=30)
SHOWN = 20


def record(viewer_id: str, body: dict[str, Any]) -> dict[str, Any]:
    query, kind, target = body.get("query"), body.get("type"), body.get("id")
    if not isinstance(query, str) or not query.strip() or len(query) > 100:
        raise ValidationError("query must be 1-100 characters", field="query")
    if kind is not None and kind not in KINDS:
        raise ValidationError(f"type must be one of {', '.join(KINDS)}", field="type")
    if target is not None and (not isinstance(target, str) or len(target) > 128):
        raise ValidationError("id must be the opened result's id", field="id")
    item = RecentSearch(viewer_id, new_id(), text=query.strip(), kind=kind, target_id=target,
                        expires_at=datetime.now(UTC) + KEEP_FOR)  # fmt: skip
    item.save()
    if target is not None and kind in ("user", "post"):
        interactions.record(viewer_id, kind, target, "search")  # a search click is a signal
    return _view(item)


def listing(viewer_id: str) -> dict[str, Any]:
    items = RecentSearch.query(viewer_id, scan_index_forward=False, limit=SHOWN)
    return {"items": [_view(item) for item in items]}


def clear(viewer_id: str) -> None:
    with RecentSearch.batch_write() as batch:
        for item in RecentSearch.query(viewer_id, attributes_to_get=["user_id", "search_id"]):
            batch.delete(item)


def _view(item: RecentSearch) -> dict[str, Any]:
    return {"query": item.text, "type": item.kind, "id": item.target_id,
            "search_id": item.search_id}  # fmt: skip
