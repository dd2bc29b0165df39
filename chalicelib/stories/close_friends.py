"""Your close friends (``PUT``/``DELETE /me/close-friends/{username}``): the audience of your
``close_friends`` stories. Not told to them; idempotent both ways. Someone you cannot see
(a block either way) cannot be added. The trays catch up at once: the list changes whom the
author's newest close-friends story reaches (``tray.refresh``)."""

from __future__ import annotations

from chalicelib.accounts import profiles
from chalicelib.core.errors import ValidationError
from chalicelib.core.ids import now_ms
from chalicelib.graph import relationships, visibility
from chalicelib.stories import tray
from chalicelib.stories.models import CloseFriend


def add(owner_id: str, username: str) -> dict[str, object]:
    friend = profiles.by_username(username)
    if friend.user_id == owner_id:
        raise ValidationError(
            "You cannot be your own close friend", code="cannot_close_friend_self"
        )
    visibility.require_account(relationships.between(owner_id, friend.user_id))
    CloseFriend(owner_id, friend.user_id, created_at=now_ms()).save()
    tray.refresh(owner_id)
    return {"username": friend.username, "close_friend": True}


def remove(owner_id: str, username: str) -> dict[str, object]:
    friend = profiles.by_username(username)
    if friend.user_id != owner_id:
        visibility.require_account(relationships.between(owner_id, friend.user_id))
    CloseFriend(owner_id, friend.user_id).delete()
    tray.refresh(owner_id)
    return {"username": friend.username, "close_friend": False}
