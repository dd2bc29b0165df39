"""Restricting: a quieter block. The restricted account's new comments on your posts are
seen only by it and by you until you approve them (``posts.comments``), and do not count
until then; its new conversations with you land in your message requests
(``messaging.conversations``). It is not told: to it, everything looks as before."""

from __future__ import annotations

from chalicelib.core.dynamodb import save_unless_there
from chalicelib.core.errors import ValidationError
from chalicelib.core.ids import now_ms
from chalicelib.graph import people
from chalicelib.graph.models import Restrict

RESTRICTED = "restricted"
NONE = "none"


def restrict(viewer_id: str, username: str) -> str:
    """Idempotent: restricting again keeps the first time."""
    target, _ = people.named_by(viewer_id, username)  # a blocker does not exist for you
    if target.user_id == viewer_id:
        raise ValidationError("You cannot restrict yourself", code="cannot_restrict_self")
    edge = Restrict(viewer_id, target.user_id, created_at=now_ms())
    save_unless_there(edge, Restrict.restricter_id.does_not_exist())
    return RESTRICTED


def unrestrict(viewer_id: str, username: str) -> str:
    """Idempotent. Comments still waiting stay waiting: lifting a restriction approves
    nothing by itself (the owner approves or deletes each)."""
    target, _ = people.named_by(viewer_id, username)
    Restrict(viewer_id, target.user_id).delete()
    return NONE


def is_restricted(owner_id: str, user_id: str) -> bool:
    """Whether ``owner_id`` restricted ``user_id`` (one consistent GetItem: a restriction
    written a moment ago holds for the very next comment)."""
    if owner_id == user_id:
        return False
    try:
        Restrict.get(owner_id, user_id, consistent_read=True)
    except Restrict.DoesNotExist:
        return False
    return True
