"""How two accounts stand to each other: the follow, request and block edges between them,
read in one round trip. What a viewer may see because of them is decided in
``chalicelib.visibility``, nowhere else."""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from chalicelib.core.dynamodb import existing_keys
from chalicelib.graph.models import Block, Follow, FollowRequest


class Relationship(NamedTuple):
    following: bool = False  # the viewer follows the other account
    requested: bool = False  # the viewer asked to follow it and waits for approval
    followed_by: bool = False  # the other account follows the viewer
    blocked: bool = False  # the viewer blocked the other account
    blocked_by: bool = False  # the other account blocked the viewer: it must stay invisible

    def public(self) -> dict[str, bool]:
        """What the viewer may know: that they are blocked is never shown to them."""
        view = self._asdict()
        del view["blocked_by"]
        return view


SELF = Relationship()


def between(viewer_id: str, other_id: str) -> Relationship:
    if viewer_id == other_id:
        return SELF
    found = existing_keys(list(edge_keys(viewer_id, other_id).values()))
    return from_found(viewer_id, other_id, found)


def from_found(viewer_id: str, other_id: str, found: Mapping | set) -> Relationship:
    """The relationship, from a batch that fetched its ``edge_keys`` (with other keys)."""
    if viewer_id == other_id:
        return SELF
    return Relationship(
        **{flag: key in found for flag, key in edge_keys(viewer_id, other_id).items()}
    )


def edge_keys(viewer_id: str, other_id: str) -> dict[str, tuple]:
    """The items whose existence makes up a relationship, to fetch with other keys at once."""
    return {
        "following": (Follow, viewer_id, other_id),
        "requested": (FollowRequest, other_id, viewer_id),
        "followed_by": (Follow, other_id, viewer_id),
        "blocked": (Block, viewer_id, other_id),
        "blocked_by": (Block, other_id, viewer_id),
    }
