"""The stories context's tables: stories, the per-reader tray index, who saw a story, close
friends. Every story-bound row carries the story's expiry as its TTL, so DynamoDB removes
them together; reads check the expiry themselves because TTL deletions lag (up to days)."""

from __future__ import annotations

from pynamodb.attributes import (
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from chalicelib.core.dynamodb import Model, meta


class StoryRendition(MapAttribute):
    """One stored size of a story's photo: ``story`` (9:16, 1080 x 1920) or ``preview``
    (9:16, 360 x 640: the tray and a reply's message). A video story has those two of its
    poster frame and ``720p`` / ``480p`` (9:16 MP4s) besides: every file of a story is in
    this one list, so whatever deletes a story's files finds them all."""

    name = UnicodeAttribute()
    key = UnicodeAttribute()
    width = NumberAttribute()
    height = NumberAttribute()
    # Unset on the JPEGs (stories written before videos have none): image/jpeg.
    content_type = UnicodeAttribute(null=True)


class StoriesByAuthor(GlobalSecondaryIndex):
    # All attributes: a profile's stories are one Query, not a Query and a BatchGetItem.
    Meta = meta("stories", index="stories_by_author", projection=AllProjection())

    author_id = UnicodeAttribute(hash_key=True)
    story_id = UnicodeAttribute(range_key=True)


class Story(Model):
    Meta = meta("stories")

    story_id = UnicodeAttribute(hash_key=True)  # time-sorted: oldest first sorts on it
    author_id = UnicodeAttribute()
    upload_id = UnicodeAttribute()
    audience = UnicodeAttribute()  # everyone | close_friends
    status = UnicodeAttribute()  # processing | ready | failed
    # photo | video, from the upload's declared type; unset on stories before videos: photo.
    type = UnicodeAttribute(null=True)
    duration_ms = NumberAttribute(null=True)  # a video's, once ready
    created_at = NumberAttribute()  # ms
    expires_at = TTLAttribute()
    renditions = ListAttribute(of=StoryRendition, null=True)
    placeholder = UnicodeAttribute(null=True)
    failure_reason = UnicodeAttribute(null=True)
    text = UnicodeAttribute(null=True)  # its words, with @mentions
    # Who its mentions reached (set by the stories stream): their activity items go with it.
    mentioned_ids = ListAttribute(of=UnicodeAttribute, null=True)

    by_author = StoriesByAuthor()


class TrayByAuthor(GlobalSecondaryIndex):
    Meta = meta("story-trays", index="trays_by_author")

    author_id = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute(range_key=True)


class TrayEntry(Model):
    """One row of a reader's tray (``user_id``): an account they follow with a live story
    for them, and its newest one. Written by the stories stream (``stories.tray``). The same
    partition holds the reader's seen markers (``entry_key`` ``~seen#<author_id>``: the newest
    story of that author they saw), so the whole tray, seen or not, is one Query."""

    Meta = meta("story-trays")

    user_id = UnicodeAttribute(hash_key=True)
    entry_key = UnicodeAttribute(range_key=True)  # author_id, or "~seen#<author_id>"
    author_id = UnicodeAttribute()
    story_id = UnicodeAttribute()  # the author's newest live story for this reader / seen
    expires_at = TTLAttribute()

    by_author = TrayByAuthor()


class ViewsByViewer(GlobalSecondaryIndex):
    Meta = meta("story-views", index="views_by_viewer")

    viewer_id = UnicodeAttribute(hash_key=True)
    story_id = UnicodeAttribute(range_key=True)


class StoryView(Model):
    """``viewer_id`` saw ``story_id``: once (a conditional put), for the owner's viewers list."""

    Meta = meta("story-views")

    story_id = UnicodeAttribute(hash_key=True)
    viewer_id = UnicodeAttribute(range_key=True)
    viewed_at = NumberAttribute()
    expires_at = TTLAttribute()

    by_viewer = ViewsByViewer()


class CloseFriendsOf(GlobalSecondaryIndex):
    Meta = meta("close-friends", index="close_friends_of")

    friend_id = UnicodeAttribute(hash_key=True)
    owner_id = UnicodeAttribute(range_key=True)


class CloseFriend(Model):
    """``owner_id`` counts ``friend_id`` among their close friends (not told)."""

    Meta = meta("close-friends")

    owner_id = UnicodeAttribute(hash_key=True)
    friend_id = UnicodeAttribute(range_key=True)
    created_at = NumberAttribute()

    of_friend = CloseFriendsOf()


class Highlight(Model):
    """``owner_id`` keeps ``story_id`` on its profile past the story's 24 hours: a copy of what
    showing it needs (the story item itself expires; its files stay while a highlight names
    them: ``reactions``)."""

    Meta = meta("highlights")

    owner_id = UnicodeAttribute(hash_key=True)
    story_id = UnicodeAttribute(range_key=True)  # time-sorted: oldest first
    audience = UnicodeAttribute()
    story_created_at = NumberAttribute()
    type = UnicodeAttribute(null=True)  # as the story's
    duration_ms = NumberAttribute(null=True)
    renditions = ListAttribute(of=StoryRendition)
    placeholder = UnicodeAttribute(null=True)
    created_at = NumberAttribute()
