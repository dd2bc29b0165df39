"""Following: follow and unfollow, requests to private accounts, and the follower lists.

Every change to an edge and to the two counters it moves is one DynamoDB transaction, so the
counts stay exact under retries and races and never go below zero.
"""

from __future__ import annotations

from pynamodb.exceptions import DeleteError, PutError

from chalicelib.accounts import profiles
from chalicelib.accounts.models import User
from chalicelib.core.dynamodb import Transaction, TransactionCancelled
from chalicelib.core.errors import Conflict, Forbidden, NotFound, ValidationError
from chalicelib.core.ids import now_ms
from chalicelib.core.pagination import Page, decode_cursor, encode_cursor
from chalicelib.graph import people, relationships, visibility
from chalicelib.graph.models import Block, Follow, FollowRequest
from chalicelib.notifications import preferences, push

FOLLOWING = "following"
REQUESTED = "requested"
NONE = "none"

_RETRIES = 3


def follow(viewer_id: str, username: str) -> str:
    target, relationship = people.named_by(viewer_id, username)
    if target.user_id == viewer_id:
        raise ValidationError("You cannot follow yourself", code="cannot_follow_self")
    if relationship.blocked:
        raise Forbidden("Unblock this account before following it", code="user_blocked")
    if relationship.following:
        return FOLLOWING
    if target.is_private:
        if not relationship.requested:
            _put_if_absent(FollowRequest(target.user_id, viewer_id, created_at=now_ms()))
        return REQUESTED
    _add_follow(viewer_id, target.user_id)
    return FOLLOWING


def unfollow(viewer_id: str, username: str) -> str:
    """Stop following, or withdraw a pending request. Doing it twice is harmless."""
    target, relationship = people.named_by(viewer_id, username)
    if relationship.requested:
        FollowRequest(target.user_id, viewer_id).delete()
    if relationship.following:
        remove_follow(viewer_id, target.user_id)
    return NONE


def remove_follower(owner_id: str, username: str) -> None:
    """The owner drops one of its followers: the edge and both counters go in one
    transaction, as an unfollow's (``remove_follow``); the follower is not told (no
    activity: the follows stream only writes one for a new edge) and, to follow a private
    account again, must ask again. Not a follower (any more): nothing to do."""
    follower, _ = people.named_by(owner_id, username)
    if follower.user_id == owner_id:
        raise ValidationError("You cannot remove yourself", code="cannot_remove_self")
    remove_follow(follower.user_id, owner_id)


def approve(owner_id: str, username: str) -> None:
    requester, _ = people.named_by(owner_id, username)
    if requester.user_id == owner_id:
        raise _no_request()
    try:
        _add_follow(
            requester.user_id,
            owner_id,
            consume_request=FollowRequest(owner_id, requester.user_id),
        )
    except _RequestGone:
        raise _no_request() from None
    # The one who asked learns it on their phone if no socket of theirs is live.
    push.deliver(
        requester.user_id,
        preferences.FOLLOW_ACCEPTED,
        f"{profiles.by_id(owner_id).username} accepted your follow request",
        {"user_id": owner_id},
    )


def deny(owner_id: str, username: str) -> None:
    requester, _ = people.named_by(owner_id, username)
    try:
        FollowRequest(owner_id, requester.user_id).delete(
            condition=FollowRequest.requester_id.exists()
        )
    except DeleteError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            raise _no_request() from None
        raise


def _no_request() -> NotFound:
    return NotFound("There is no pending follow request from this user", code="request_not_found")


def approve_all(owner_id: str) -> int:
    """An account that turns public lets everyone who asked in (what users expect)."""
    approved = 0
    for request in FollowRequest.query(owner_id):
        try:
            _add_follow(request.requester_id, owner_id, consume_request=request)
            approved += 1
        except (_RequestGone, NotFound, Forbidden):
            continue
    return approved


def followers(viewer_id: str, username: str, limit: int, cursor: str | None) -> Page:
    owner = _visible_lists_owner(viewer_id, username)
    start = decode_cursor(
        cursor, {"followee_id", "follower_id", "created_at"}, ("followee_id", owner.user_id)
    )
    result = Follow.followers_by_time.query(
        owner.user_id, scan_index_forward=False, limit=limit, last_evaluated_key=start
    )
    edges = [(edge.follower_id, edge.created_at) for edge in result]
    return user_page(viewer_id, edges, result.last_evaluated_key, "followed_at")


def following(viewer_id: str, username: str, limit: int, cursor: str | None) -> Page:
    owner = _visible_lists_owner(viewer_id, username)
    start = decode_cursor(
        cursor, {"follower_id", "followee_id", "created_at"}, ("follower_id", owner.user_id)
    )
    result = Follow.following_by_time.query(
        owner.user_id, scan_index_forward=False, limit=limit, last_evaluated_key=start
    )
    edges = [(edge.followee_id, edge.created_at) for edge in result]
    return user_page(viewer_id, edges, result.last_evaluated_key, "followed_at")


def pending_requests(owner_id: str, limit: int, cursor: str | None) -> Page:
    start = decode_cursor(
        cursor, {"target_id", "requester_id", "created_at"}, ("target_id", owner_id)
    )
    result = FollowRequest.requests_by_time.query(
        owner_id, scan_index_forward=False, limit=limit, last_evaluated_key=start
    )
    edges = [(request.requester_id, request.created_at) for request in result]
    return user_page(owner_id, edges, result.last_evaluated_key, "requested_at")


def remove_follow(follower_id: str, followee_id: str) -> bool:
    """Delete one edge with its counters; False if it was already gone."""
    try:
        with Transaction() as transaction:
            transaction.delete(
                Follow(follower_id, followee_id),
                condition=Follow.follower_id.exists(),
                label="edge",
            )
            count(transaction, follower_id, {"following_count": -1})
            count(transaction, followee_id, {"followers_count": -1})
    except TransactionCancelled as cancelled:
        if "edge" in cancelled.failed:
            return False
        raise Conflict(
            "The counters changed meanwhile; try again", code="concurrent_change"
        ) from None
    return True


class _RequestGone(Exception):
    pass


def _add_follow(
    follower_id: str, followee_id: str, consume_request: FollowRequest | None = None
) -> None:
    edge = Follow(follower_id, followee_id, created_at=now_ms())
    try:
        with Transaction() as transaction:
            transaction.save(edge, condition=Follow.follower_id.does_not_exist(), label="edge")
            count(transaction, follower_id, {"following_count": +1})
            count(transaction, followee_id, {"followers_count": +1})
            # A block written a moment ago wins over this follow.
            for blocker, blocked in ((follower_id, followee_id), (followee_id, follower_id)):
                transaction.condition_check(
                    Block, blocker, blocked, Block.blocker_id.does_not_exist(), label="block"
                )
            if consume_request is not None:
                transaction.delete(
                    consume_request,
                    condition=FollowRequest.requester_id.exists(),
                    label="request",
                )
    except TransactionCancelled as cancelled:
        if "block" in cancelled.failed:
            raise NotFound("No such user", code="user_not_found") from None
        if "request" in cancelled.failed:
            raise _RequestGone() from None
        if "edge" in cancelled.failed:
            if consume_request is not None:
                consume_request.delete()
            return  # already following: nothing to do
        # a counter's condition: one of the two accounts no longer exists
        raise NotFound("No such user", code="user_not_found") from None


def count(transaction: Transaction, user_id: str, deltas: dict[str, int]) -> None:
    """Move one user's counters (by attribute name) within a transaction; a decrement is
    refused, and the whole transaction with it, rather than take a counter below zero."""
    condition = User.user_id.exists()
    actions = []
    for name, delta in deltas.items():
        counter = getattr(User, name)
        if delta < 0:
            condition &= counter >= -delta
        actions.append(counter.add(delta))
    transaction.update(User(user_id), actions=actions, condition=condition, label="counts")


def _put_if_absent(item: FollowRequest) -> None:
    try:
        item.save(condition=FollowRequest.requester_id.does_not_exist())
    except PutError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise


def _visible_lists_owner(viewer_id: str, username: str) -> User:
    owner = profiles.by_username(username)
    visibility.require_content(viewer_id, owner, relationships.between(viewer_id, owner.user_id))
    return owner


def user_page(
    viewer_id: str, edges: list[tuple[str, int]], last_key: dict | None, time_field: str
) -> Page:
    """Users of one page with the viewer's relationship to each: a Query, then one
    BatchGetItem of the users and the relationship edges, whatever the page size. Accounts
    in a block relation with the viewer are left out (``visibility``)."""
    sight = visibility.look(viewer_id, users=[user_id for user_id, _ in edges])
    items = []
    for user_id, created_at in edges:
        user = sight.account(user_id)
        if user is None:
            continue
        items.append(
            {
                **profiles.summary(user),
                "relationship": sight.relationship(user_id).public(),
                time_field: int(created_at),
            }
        )
    return Page(items=items, next_cursor=encode_cursor(last_key))
