"""The home feed's partitions and the activity items."""

from __future__ import annotations

from pynamodb.attributes import (
    ListAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
)
from pynamodb.indexes import AllProjection, LocalSecondaryIndex

from chalicelib.core.dynamodb import Model, meta


class FeedByAuthor(LocalSecondaryIndex):
    Meta = meta("feeds", index="feed_by_author")

    user_id = UnicodeAttribute(hash_key=True)
    author_post = UnicodeAttribute(range_key=True)


class FeedEntry(Model):
    Meta = meta("feeds")

    user_id = UnicodeAttribute(hash_key=True)
    post_id = UnicodeAttribute(range_key=True)
    author_id = UnicodeAttribute()
    author_post = UnicodeAttribute()  # f"{author_id}#{post_id}"

    by_author = FeedByAuthor()


class ActivityByTime(LocalSecondaryIndex):
    Meta = meta("activity", index="activity_by_time", projection=AllProjection())

    user_id = UnicodeAttribute(hash_key=True)
    updated_at = NumberAttribute(range_key=True)


class Activity(Model):
    """Something that happened to a user. Likes of one post share one item
    (``like#<post_id>``) whose count grows; everything else has an item of its own."""

    Meta = meta("activity")

    user_id = UnicodeAttribute(hash_key=True)
    activity_key = UnicodeAttribute(range_key=True)
    kind = UnicodeAttribute()  # like | comment | follow | follow_request | mention | tag
    actor_id = UnicodeAttribute()  # the latest actor
    recent_actor_ids = ListAttribute(of=UnicodeAttribute, null=True)  # likes: newest first
    count = NumberAttribute(default=1)
    post_id = UnicodeAttribute(null=True)
    post_author_id = UnicodeAttribute(null=True)  # whose post: visibility in one batch
    comment_id = UnicodeAttribute(null=True)
    text = UnicodeAttribute(null=True)
    updated_at = NumberAttribute()
    expires_at = TTLAttribute(null=True)

    by_time = ActivityByTime()


class ActivitySeen(Model):
    """When a user last looked at their activity (``POST /activity/seen``): one item in the
    activity table under a key no item has. It has no ``updated_at``, so the listing's index
    never holds it; an account's erasure takes it with the rest of its partition."""

    Meta = meta("activity")

    user_id = UnicodeAttribute(hash_key=True)
    activity_key = UnicodeAttribute(range_key=True)  # always SEEN_KEY
    seen_at = NumberAttribute(default=0)  # ms


SEEN_KEY = "~seen"
