"""``GET``/``PATCH /me/notifications``: which kinds of news may reach a phone. Every kind is
on until turned off; only the kinds turned off are stored."""

from __future__ import annotations

from typing import Any

from chalicelib.core.errors import ValidationError
from chalicelib.notifications.models import NotificationState

MESSAGE, FOLLOW_REQUEST, FOLLOW_ACCEPTED = "message", "follow_request", "follow_accepted"
LIKE, COMMENT, MENTION = "like", "comment", "mention"
KINDS = (MESSAGE, FOLLOW_REQUEST, FOLLOW_ACCEPTED, LIKE, COMMENT, MENTION)
ITEM = "preferences"


def get(user_id: str) -> dict[str, bool]:
    off = _off(user_id)
    return {kind: kind not in off for kind in KINDS}


def update(user_id: str, body: Any) -> dict[str, bool]:
    """Only the kinds named change; the answer is all of them."""
    if not isinstance(body, dict) or not body:
        raise ValidationError("Send a JSON object of kinds to true or false")
    for kind, on in body.items():
        if kind not in KINDS:
            raise ValidationError(
                f"Kinds are {', '.join(KINDS)}", field=str(kind), code="unknown_kind"
            )
        if not isinstance(on, bool):
            raise ValidationError(f'"{kind}" is true or false', field=kind)
    now_off = {kind for kind, on in body.items() if not on}
    now_on = {kind for kind, on in body.items() if on}
    # Two updates, not one: DynamoDB refuses an ADD and a DELETE of the same set in one
    # expression. Each is atomic, so concurrent changes of other kinds are never lost.
    item = NotificationState(user_id, ITEM)
    if now_off:
        item.update(actions=[NotificationState.off.add(now_off)])
    if now_on:
        item.update(actions=[NotificationState.off.delete(now_on)])
    return get(user_id)


def allows(user_id: str, kind: str) -> bool:
    return kind not in _off(user_id)


def _off(user_id: str) -> set[str]:
    try:
        return set(NotificationState.get(user_id, ITEM, consistent_read=True).off or ())
    except NotificationState.DoesNotExist:
        return set()
