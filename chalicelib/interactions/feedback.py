"""Implicit feedback for the recommender: who did what to which post or account.

Kept in DynamoDB with a 90-day TTL rather than an S3 log: writes are single small items from
many places (stream handlers, routes), the job reads them with one parallel Scan, and expiry
is free. docs/recommender.md says more.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.core.ids import new_id, now_ms
from chalicelib.interactions.models import Interaction

KEEP_FOR = timedelta(days=90)
WEIGHTS = {
    "like": 3.0,
    "comment": 4.0,
    "save": 5.0,
    "share": 5.0,
    "follow": 3.0,
    "search": 2.0,
    "view": 0.5,
    # "Not interested" (POST /feed/explore/{post_id}/hide): negative, the recommender reads
    # it as a hide, not an engagement.
    "hide": -5.0,
}


def record(
    user_id: str, item_type: str, item_id: str, kind: str, weight: float | None = None
) -> None:
    """Any part of the app can call this (a like, a DM share, a search click...)."""
    item(user_id, item_type, item_id, kind, WEIGHTS[kind] if weight is None else weight).save()


def item(user_id: str, item_type: str, item_id: str, kind: str, weight: float) -> Interaction:
    """One interaction, not yet saved (to write many in one batch)."""
    return Interaction(
        user_id,
        new_id(),
        item_type=item_type,
        item_id=item_id,
        kind=kind,
        weight=weight,
        at=now_ms(),
        expires_at=datetime.now(UTC) + KEEP_FOR,
    )


def as_dict(item: Interaction) -> dict[str, Any]:
    return {
        "user_id": item.user_id,
        "item_type": item.item_type,
        "item_id": item.item_id,
        "kind": item.kind,
        "weight": float(item.weight),
        "at": int(item.at),
    }
