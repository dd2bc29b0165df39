"""Blocking: cuts every tie between two accounts and keeps them invisible to each other;
and the list of the accounts you blocked (``GET /me/blocked``), where you may lift them."""

from __future__ import annotations

from chalicelib.accounts import profiles
from chalicelib.accounts.models import User
from chalicelib.core.dynamodb import Transaction, TransactionCancelled, batch_get
from chalicelib.core.errors import Conflict, NotFound, ValidationError
from chalicelib.core.ids import now_ms
from chalicelib.core.pagination import Page, decode_cursor, encode_cursor
from chalicelib.graph import follows, people, relationships
from chalicelib.graph.models import Block, Follow, FollowRequest

_ATTEMPTS = 5


def block(viewer_id: str, username: str) -> None:
    target, _ = people.named_by(viewer_id, username)  # a blocker does not exist for you
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
    relationship = relationships.between(viewer_id, target.user_id)
    # Your own block you may always lift, even where the other blocked you as well (two
    # blocks written at the same moment); otherwise a blocker does not exist for you.
    if relationship.blocked_by and not relationship.blocked:
        raise NotFound("No such user", code="user_not_found")
    Block(viewer_id, target.user_id).delete()


def blocked(viewer_id: str, limit: int, cursor: str | None) -> Page:
    """The accounts the viewer blocked, newest block first: a Query, then one BatchGetItem
    of the accounts and the edges. Unlike every other list of people, these rows are across
    a block by definition, so ``visibility.look`` (which hides them) is not the filter here:
    only the viewer's own blocks are listed, and an account being deleted is left out."""
    start = decode_cursor(
        cursor, {"blocker_id", "blocked_id", "created_at"}, ("blocker_id", viewer_id)
    )
    result = Block.blocks_by_time.query(
        viewer_id, scan_index_forward=False, limit=limit, last_evaluated_key=start
    )
    edges = [(edge.blocked_id, int(edge.created_at)) for edge in result]
    wanted = [(User, user_id, None) for user_id, _ in edges]
    for user_id, _ in edges:
        wanted += relationships.edge_keys(viewer_id, user_id).values()
    found = batch_get(wanted)
    items = []
    for user_id, created_at in edges:
        user = found.get((User, user_id, None))
        if not isinstance(user, User) or user.deleted_at is not None:
            continue
        relationship = relationships.from_found(viewer_id, user_id, found)
        items.append(
            {
                **profiles.summary(user),
                "relationship": relationship.public(),
                "blocked_at": created_at,
            }
        )
    return Page(items=items, next_cursor=encode_cursor(result.last_evaluated_key))


def _cut_ties(viewer_id: str, target_id: str, relationship: relationships.Relationship) -> None:
    with Transaction() as transaction:
        transaction.save(Block(viewer_id, target_id, created_at=now_ms()))
        # One update per user: a transaction may touch each item only once.
        deltas: dict[str, dict[str, int]] = {viewer_id: {}, target_id: {}}
        # Each edge either goes (it must still exist) or must still be absent: a follow that
        # lands between the read and this write cancels it, and the caller reads again.
        # Once the block is written no follow can land (follows check for blocks).
        for follower, followee, seen in (
            (viewer_id, target_id, relationship.following),
            (target_id, viewer_id, relationship.followed_by),
        ):
            if not seen:
                transaction.condition_check(
                    Follow, follower, followee, Follow.follower_id.does_not_exist(), label="edge"
                )
                continue
            transaction.delete(
                Follow(follower, followee), condition=Follow.follower_id.exists(), label="edge"
            )
            deltas[follower]["following_count"] = -1
            deltas[followee]["followers_count"] = -1
        for user_id, user_deltas in deltas.items():
            if user_deltas:
                follows.count(transaction, user_id, user_deltas)
        # Deleting a request that is not there is harmless, so no condition is needed.
        transaction.delete(FollowRequest(target_id, viewer_id))
        transaction.delete(FollowRequest(viewer_id, target_id))
