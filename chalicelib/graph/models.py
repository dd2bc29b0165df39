"""The social graph's tables: follows, follow requests, blocks, mutes, restricts."""

from __future__ import annotations

from pynamodb.attributes import (
    NumberAttribute,
    UnicodeAttribute,
)
from pynamodb.indexes import GlobalSecondaryIndex, LocalSecondaryIndex

from chalicelib.core.dynamodb import Model, meta


class FollowingByTime(LocalSecondaryIndex):
    Meta = meta("follows", index="following_by_time")

    follower_id = UnicodeAttribute(hash_key=True)
    created_at = NumberAttribute(range_key=True)


class FollowersByTime(GlobalSecondaryIndex):
    Meta = meta("follows", index="followers_by_time")

    followee_id = UnicodeAttribute(hash_key=True)
    created_at = NumberAttribute(range_key=True)


class Follow(Model):
    Meta = meta("follows")

    follower_id = UnicodeAttribute(hash_key=True)
    followee_id = UnicodeAttribute(range_key=True)
    created_at = NumberAttribute()

    following_by_time = FollowingByTime()
    followers_by_time = FollowersByTime()


class RequestsByTime(LocalSecondaryIndex):
    Meta = meta("follow-requests", index="requests_by_time")

    target_id = UnicodeAttribute(hash_key=True)
    created_at = NumberAttribute(range_key=True)


class RequestsByRequester(GlobalSecondaryIndex):
    Meta = meta("follow-requests", index="requests_by_requester")

    requester_id = UnicodeAttribute(hash_key=True)
    target_id = UnicodeAttribute(range_key=True)


class FollowRequest(Model):
    """``requester_id`` asked to follow the private account ``target_id``."""

    Meta = meta("follow-requests")

    target_id = UnicodeAttribute(hash_key=True)
    requester_id = UnicodeAttribute(range_key=True)
    created_at = NumberAttribute()

    requests_by_time = RequestsByTime()
    by_requester = RequestsByRequester()


class BlockedBy(GlobalSecondaryIndex):
    Meta = meta("blocks", index="blocked_by")

    blocked_id = UnicodeAttribute(hash_key=True)
    blocker_id = UnicodeAttribute(range_key=True)


class BlocksByTime(GlobalSecondaryIndex):
    """The accounts one account blocked, newest first (``GET /me/blocked``)."""

    Meta = meta("blocks", index="blocks_by_time")

    blocker_id = UnicodeAttribute(hash_key=True)
    created_at = NumberAttribute(range_key=True)


class Block(Model):
    Meta = meta("blocks")

    blocker_id = UnicodeAttribute(hash_key=True)
    blocked_id = UnicodeAttribute(range_key=True)
    created_at = NumberAttribute()

    blocked_by = BlockedBy()
    blocks_by_time = BlocksByTime()


class MutedBy(GlobalSecondaryIndex):
    Meta = meta("mutes", index="muted_by")

    muted_id = UnicodeAttribute(hash_key=True)
    muter_id = UnicodeAttribute(range_key=True)


class Mute(Model):
    """``muter_id`` muted ``muted_id``: its posts leave the muter's feeds (home, explore),
    nothing else changes. A table of its own rather than a flag on ``follows``: you may mute
    an account you do not follow (explore shows it), and a follow's going must not unmute."""

    Meta = meta("mutes")

    muter_id = UnicodeAttribute(hash_key=True)
    muted_id = UnicodeAttribute(range_key=True)
    created_at = NumberAttribute()

    muted_by = MutedBy()


class RestrictedBy(GlobalSecondaryIndex):
    Meta = meta("restricts", index="restricted_by")

    restricted_id = UnicodeAttribute(hash_key=True)
    restricter_id = UnicodeAttribute(range_key=True)


class Restrict(Model):
    """``restricter_id`` restricted ``restricted_id``: its new comments on the restricter's
    posts wait for approval, its new conversations with the restricter land in requests."""

    Meta = meta("restricts")

    restricter_id = UnicodeAttribute(hash_key=True)
    restricted_id = UnicodeAttribute(range_key=True)
    created_at = NumberAttribute()

    restricted_by = RestrictedBy()
