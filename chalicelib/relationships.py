"""How two accounts stand to each other, read in one round trip.

Every route that shows one user to another asks here first, so the visibility rules (blocks
hide both ways, private accounts show their lists only to approved followers) live in one place.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from chalicelib.errors import Forbidden, NotFound
from chalicelib.tables import Block, Follow, FollowRequest, User, existing_keys


@dataclass(frozen=True)
class Relationship:
    following: bool = False  # the viewer follows the other account
    requested: bool = False  # the viewer asked to follow it and waits for approval
    followed_by: bool = False  # the other account follows the viewer
    blocked: bool = False  # the viewer blocked the other account
    blocked_by: bool = False  # the other account blocked the viewer: it must stay invisible

    def public(self) -> dict[str, bool]:
        """What the viewer may know: that they are blocked is never shown to them."""
        view = asdict(self)
        del view["blocked_by"]
        return view


SELF = Relationship()


def between(viewer_id: str, other_id: str) -> Relationship:
    if viewer_id == other_id:
        return SELF
    keys = _keys(viewer_id, other_id)
    found = existing_keys(list(keys.values()))
    return Relationship(**{flag: key in found for flag, key in keys.items()})


def towards_many(viewer_id: str, other_ids: list[str]) -> dict[str, Relationship]:
    """Relationships with every account of a page: five keys each, so one BatchGetItem per
    20 accounts (one for a default page), never a call per account."""
    keys = {other: _keys(viewer_id, other) for other in other_ids if other != viewer_id}
    found = existing_keys([key for flags in keys.values() for key in flags.values()])
    result = {other: SELF for other in other_ids}
    for other, flags in keys.items():
        result[other] = Relationship(**{flag: key in found for flag, key in flags.items()})
    return result


def can_see_posts(viewer_id: str, owner: User, relationship: Relationship) -> bool:
    """The one rule for posts, and everything hanging off them (likes, comments): the owner
    sees them; blocked accounts see nothing of each other; a private account's posts are for
    its approved followers."""
    if owner.user_id == viewer_id:
        return True
    if relationship.blocked or relationship.blocked_by:
        return False
    return not owner.is_private or relationship.following


def keys(viewer_id: str, other_id: str) -> dict[str, tuple]:
    """The items whose existence makes up a relationship, to fetch with other keys at once."""
    return _keys(viewer_id, other_id)


def from_found(viewer_id: str, other_id: str, found: set | dict) -> Relationship:
    if viewer_id == other_id:
        return SELF
    return Relationship(**{flag: key in found for flag, key in _keys(viewer_id, other_id).items()})


def require_visible(relationship: Relationship) -> None:
    """Blocked accounts do not exist for each other's lists and posts."""
    if relationship.blocked_by or relationship.blocked:
        raise NotFound("No such user", code="user_not_found")


def require_can_see_content(viewer_id: str, owner: User, relationship: Relationship) -> None:
    """A private account's followers, following and posts are for approved followers only."""
    require_visible(relationship)
    if owner.is_private and owner.user_id != viewer_id and not relationship.following:
        raise Forbidden(
            "This account is private; follow it to see its content", code="private_account"
        )


def _keys(viewer_id: str, other_id: str) -> dict[str, tuple]:
    return {
        "following": (Follow, viewer_id, other_id),
        "requested": (FollowRequest, other_id, viewer_id),
        "followed_by": (Follow, other_id, viewer_id),
        "blocked": (Block, viewer_id, other_id),
        "blocked_by": (Block, other_id, viewer_id),
    }
