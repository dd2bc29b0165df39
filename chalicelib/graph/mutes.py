"""Muting: an account's posts leave your feeds (home and explore; its stories your tray once
there are stories) without unfollowing it. It is not told and sees no difference: its
profile, its posts opened directly, its comments and messages stay as they were, as on
Instagram. Which surfaces drop a muted author is the visibility policy's rule
(``visibility.feed_keys`` and ``Sight.in_feeds``), read in the page's one BatchGetItem."""

from __future__ import annotations

from chalicelib.core.dynamodb import save_unless_there
from chalicelib.core.errors import ValidationError
from chalicelib.core.ids import now_ms
from chalicelib.graph import people
from chalicelib.graph.models import Mute

MUTED = "muted"
NONE = "none"


def mute(viewer_id: str, username: str) -> str:
    """Idempotent: muting again keeps the first time."""
    target, _ = people.named_by(viewer_id, username)  # a blocker does not exist for you
    if target.user_id == viewer_id:
        raise ValidationError("You cannot mute yourself", code="cannot_mute_self")
    edge = Mute(viewer_id, target.user_id, created_at=now_ms())
    save_unless_there(edge, Mute.muter_id.does_not_exist())
    return MUTED


def unmute(viewer_id: str, username: str) -> str:
    """Idempotent: unmuting an account not muted is a no-op."""
    target, _ = people.named_by(viewer_id, username)
    Mute(viewer_id, target.user_id).delete()
    return NONE


def is_muted(viewer_id: str, user_id: str) -> bool:
    try:
        Mute.get(viewer_id, user_id)
    except Mute.DoesNotExist:
        return False
    return True
