"""An account's end in the graph: its follows both ways (with everyone's counts corrected),
its follow requests, blocks, mutes and restrictions both ways (``lifecycle.deletion``).

Each edge goes as an unfollow does (``follows.remove_follow``: the edge and both counters in
one transaction), so repeating it finds nothing left to do and never counts twice.
"""

from __future__ import annotations

from collections.abc import Callable

from pynamodb.exceptions import DeleteError, UpdateError

from chalicelib.accounts.models import User
from chalicelib.core.errors import Conflict
from chalicelib.graph import follows
from chalicelib.graph.models import Block, Follow, FollowRequest, Mute, Restrict


def forget(user_id: str, tick: Callable[[], None]) -> dict[str, int]:
    """Every edge of the account; returns how many of each kind went."""
    gone = {"follows": 0, "follow_requests": 0, "blocks": 0, "mutes": 0, "restricts": 0}
    for edge in Follow.query(user_id):
        tick()
        gone["follows"] += cut(user_id, edge.followee_id)
    for edge in Follow.followers_by_time.query(user_id):
        tick()
        gone["follows"] += cut(edge.follower_id, user_id)
    requests = [*FollowRequest.query(user_id), *FollowRequest.by_requester.query(user_id)]
    blocks = [*Block.query(user_id), *Block.blocked_by.query(user_id)]
    with FollowRequest.batch_write() as batch:
        for request in requests:
            tick()
            batch.delete(FollowRequest(request.target_id, request.requester_id))
    with Block.batch_write() as batch:
        for block in blocks:
            tick()
            batch.delete(Block(block.blocker_id, block.blocked_id))
    mutes = [*Mute.query(user_id), *Mute.muted_by.query(user_id)]
    with Mute.batch_write() as batch:
        for muted in mutes:
            tick()
            batch.delete(Mute(muted.muter_id, muted.muted_id))
    restricted = [*Restrict.query(user_id), *Restrict.restricted_by.query(user_id)]
    with Restrict.batch_write() as batch:
        for edge in restricted:
            tick()
            batch.delete(Restrict(edge.restricter_id, edge.restricted_id))
    gone["follow_requests"], gone["blocks"] = len(requests), len(blocks)
    gone["mutes"], gone["restricts"] = len(mutes), len(restricted)
    return gone


def cut(follower_id: str, followee_id: str) -> bool:
    """One follow edge gone with its two counters; False if it was gone already. Should a
    counter refuse (it drifted to 0, data-model note 4, or its account is gone), the edge
    goes alone and each counter that can still move does: the edge never outlives the
    account, and no counter goes below zero."""
    try:
        return follows.remove_follow(follower_id, followee_id)
    except Conflict:
        pass
    try:
        Follow(follower_id, followee_id).delete(condition=Follow.follower_id.exists())
    except DeleteError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    for user_id, counter in (
        (follower_id, User.following_count),
        (followee_id, User.followers_count),
    ):
        try:
            User(user_id).update(
                actions=[counter.add(-1)], condition=User.user_id.exists() & (counter >= 1)
            )
        except UpdateError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise
    return True
