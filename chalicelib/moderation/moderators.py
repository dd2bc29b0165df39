"""Who is a moderator: an account with ``moderator`` set, by an operator (``grant``), never
through the API. Everyone else gets 403 ``forbidden`` from the moderation routes: the
routes are in the public API document anyway, so a 404 would hide nothing, and a clear
refusal is easier to support."""

from __future__ import annotations

from chalicelib.accounts import profiles
from chalicelib.accounts.models import User
from chalicelib.core.errors import Forbidden


def require(user_id: str) -> None:
    user = profiles.by_id(user_id)
    if not user.moderator:
        raise Forbidden("Only moderators may do this", code="forbidden")


def set_role(username: str, granted: bool = True) -> User:
    """Grants (or revokes) the role; the account must exist."""
    user = profiles.by_username(username)
    user.update(actions=[User.moderator.set(True) if granted else User.moderator.remove()])
    return user
