"""Another account as a viewer sees it: by the name in a path, with their relationship.

An account that blocked the viewer does not exist for them on any route that names it.
"""

from __future__ import annotations

from typing import Any

from chalicelib.accounts import profiles, standing
from chalicelib.accounts.models import User
from chalicelib.core.dynamodb import existing_keys
from chalicelib.core.errors import NotFound
from chalicelib.graph import relationships
from chalicelib.graph.models import Mute, Restrict
from chalicelib.graph.relationships import Relationship


def named_by(viewer_id: str, username: str) -> tuple[User, Relationship]:
    """The account a viewer names in a path, and how the viewer stands to it. An account
    that blocked the viewer does not exist for them: 404, as for a name nobody has, whatever
    the route (a different answer would tell them they are blocked)."""
    user = profiles.by_username(username)
    relationship = relationships.between(viewer_id, user.user_id)
    if relationship.blocked_by:
        raise NotFound("No such user", code="user_not_found")
    if user.user_id != viewer_id and standing.suspended(user):
        raise NotFound("No such user", code="user_not_found")  # back when it ends
    return user, relationship


def profile(user: User, relationship: Relationship) -> dict[str, Any]:
    return {**profiles.details(user), "relationship": relationship.public()}


def view(viewer_id: str, username: str) -> dict[str, Any]:
    """The profile page, with what the viewer alone chose about the account (muted,
    restricted: one more BatchGetItem) so the app can offer to undo it. Never whether the
    account muted or restricted the viewer: neither is ever told."""
    user, relationship = named_by(viewer_id, username)
    return {**profile(user, relationship), **_my_choices(viewer_id, user.user_id)}


def _my_choices(viewer_id: str, user_id: str) -> dict[str, bool]:
    if viewer_id == user_id:
        return {"muted": False, "restricted": False}
    muted, restricted = (Mute, viewer_id, user_id), (Restrict, viewer_id, user_id)
    found = existing_keys([muted, restricted])
    return {"muted": muted in found, "restricted": restricted in found}
