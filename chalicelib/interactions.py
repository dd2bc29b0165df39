"""Implicit feedback for the recommender: who did what to which post or account.

Kept in DynamoDB with a 90-day TTL rather than an S3 log: writes are single small items from
many places (stream handlers, routes), the job reads them with one parallel Scan, and expiry
is free. docs/recommender.md says more.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.errors import ValidationError
from chalicelib.ids import new_id, now_ms
from chalicelib.tables import Interaction

KEEP_FOR = timedelta(days=90)
WEIGHTS = {"like": 3.0, "comment": 4.0, "save": 5.0, "share": 5.0, "follow": 3.0,
           "search": 2.0, "view": 0.5}  # fmt: skip
MAX_EVENTS = 100
MAX_DWELL_MS = 10 * 60 * 1000


def record(user_id: str, item_type: str, item_id: str, kind: str,
           weight: float | None = None) -> None:  # fmt: skip
    """Any part of the app can call this (a like, a DM share, a search click...)."""
    _item(user_id, item_type, item_id, kind, WEIGHTS[kind] if weight is None else weight).save()


def record_events(user_id: str, events: object) -> dict[str, int]:
    """``POST /events``: views and dwell times the app reports, at most 100 per call, each
    (post, kind) once per call."""
    if not isinstance(events, list) or not 1 <= len(events) <= MAX_EVENTS:
        raise ValidationError(f"events must be a list of 1-{MAX_EVENTS} events", field="events")
    seen: dict[tuple[str, str], float] = {}
    for event in events:
        if not isinstance(event, dict) or event.get("kind") not in ("view", "dwell"):
            raise ValidationError('each event needs "kind": view or dwell', field="events")
        post_id = event.get("post_id")
        if not isinstance(post_id, str) or not 0 < len(post_id) <= 64:
            raise ValidationError("each event needs a post_id", field="events")
        weight = WEIGHTS["view"]
        if event["kind"] == "dwell":
            dwell = event.get("dwell_ms")
            valid = isinstance(dwell, int) and not isinstance(dwell, bool)
            if not valid or not 0 <= dwell <= MAX_DWELL_MS:
                raise ValidationError(f"dwell_ms must be 0-{MAX_DWELL_MS}", field="events")
            weight = min(2.0, dwell / 10_000)  # ten seconds on a post is worth a view more
        seen[(post_id, event["kind"])] = max(weight, seen.get((post_id, event["kind"]), 0))
    with Interaction.batch_write() as batch:
        for (post_id, kind), weight in seen.items():
            batch.save(_item(user_id, "post", post_id, kind, weight))
    return {"accepted": len(seen), "duplicates": len(events) - len(seen)}


def _item(user_id: str, item_type: str, item_id: str, kind: str, weight: float) -> Interaction:
    return Interaction(user_id, new_id(), item_type=item_type, item_id=item_id, kind=kind,
                       weight=weight, at=now_ms(),
                       expires_at=datetime.now(UTC) + KEEP_FOR)  # fmt: skip


def as_dict(item: Interaction) -> dict[str, Any]:
    return {"user_id": item.user_id, "item_type": item.item_type, "item_id": item.item_id,
            "kind": item.kind, "weight": float(item.weight), "at": int(item.at)}  # fmt: skip
