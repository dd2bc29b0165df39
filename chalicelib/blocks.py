"""Blocking: cuts every tie between two accounts and keeps them invisible to each other."""

from __future__ import annotations

from chalicelib import follows, profiles, relationships
from chalicelib.errors import Conflict, ValidationError
from chalicelib.ids import now_ms
from chalicelib.tables import Block, Follow, FollowRequest, Transaction, TransactionCancelled

_ATTEMPTS = 5


def block(viewer_id: str, username: str) -> None:
    target = profiles.by_username(username)
    if target.user_id == viewer_id:
        raise ValidationError("You cannot block yourself", code="cannot_block_self")
    # Read what ties exist, then cut them all in one transaction whose conditions say they
    # still exist; if someone followed or unfollowed meanwhile, read again and retry.
    for _ in range(_ATTEMPTS):
        relationship = relationships.between(viewer_id, target.user_id)
        try:
            _cut_ties(viewer_id, target.user_id, relationship)
            return
        except TransactionCancelled:
            continue
    raise Conflict("The relationship kept changing; try again", code="concurrent_change")


def unblock(viewer_id: str, username: str) -> None:
    target = profiles.by_username(username)
    Block(viewer_id, target.user_id).delete()


def _cut_ties(viewer_id: str, target_id: str, relationship: relationships.Relationship) -> None:
    with Transaction() as transaction:
        transaction.save(Block(viewer_id, target_id, created_at=now_ms()))
        # One update per user: a transaction may touch each item only once.
        deltas: dict[str, dict[str, int]] = {viewer_id: {}, target_id: {}}
        # Each edge either goes (it must still exist) or must still be absent: a follow that
        # lands between the read and this write cancels it, and the caller reads again.
        # Once the block is written no follow can land (follows check for blocks).
        for follower, followee, seen in ((viewer_id, target_id, relationship.following),
                                         (target_id, viewer_id, relationship.followed_by)):
            if not seen:
                transaction.condition_check(Follow, follower, followee,
                                            Follow.follower_id.does_not_exist(), label="edge")
                continue
            transaction.delete(Follow(follower, followee), condition=Follow.follower_id.exists(),
                               label="edge")  # fmt: skip
            deltas[follower]["following_count"] = -1
            deltas[followee]["followers_count"] = -1
        for user_id, user_deltas in deltas.items():
            if user_deltas:
                follows.count(transaction, user_id, user_deltas)
        # Deleting a request that is not there is harmless, so no condition is needed.
        transaction.delete(FollowRequest(target_id, viewer_id))
        transaction.delete(FollowRequest(viewer_id, target_id))
