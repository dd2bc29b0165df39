"""PynamoDB models, one per table of infra/template.yaml (docs/data-model.md lists the
access patterns each one serves).

Tables are named from settings; the connection for transactions is created once per process.
"""

from __future__ import annotations

import functools
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)
from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.indexes import (
    AllProjection,
    GlobalSecondaryIndex,
    KeysOnlyProjection,
    LocalSecondaryIndex,
)
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.errors import Conflict
from chalicelib.settings import settings


def _meta(table: str, index: str | None = None, projection: Any = None) -> type:
    s = settings()
    attrs: dict[str, object] = {"region": s.region, "host": s.endpoint_url}
    if index is None:
        attrs["table_name"] = s.table(table)
    else:
        attrs.update(index_name=index, projection=projection or KeysOnlyProjection())
    return type("Meta", (), attrs)


@functools.cache
def connection() -> Connection:
    """The low-level connection that TransactWrite/TransactGet need."""
    s = settings()
    return Connection(region=s.region, host=s.endpoint_url)


class User(Model):
    Meta = _meta("users")

    user_id = UnicodeAttribute(hash_key=True)
    username = UnicodeAttribute()
    email = UnicodeAttribute()
    full_name = UnicodeAttribute(default="")
    bio = UnicodeAttribute(default="")
    is_private = BooleanAttribute(default=False)
    password_hash = UnicodeAttribute()
    created_at = NumberAttribute()
    followers_count = NumberAttribute(default=0)
    following_count = NumberAttribute(default=0)
    posts_count = NumberAttribute(default=0)
    # Set once the account outgrew fan-out on write: its posts are merged into feeds on read.
    feed_pull = BooleanAttribute(null=True)


class UniqueKey(Model):
    """A claim on a unique value: ``username#alice`` or ``email#alice@example.com``."""

    Meta = _meta("unique-keys")

    key = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute()


class Session(Model):
    """A login session: one refresh-token family, rotated in place on every refresh."""

    Meta = _meta("sessions")

    session_id = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute()
    secret_hash = UnicodeAttribute()
    # Hashes of secrets already rotated away: presenting one again means the token leaked.
    previous_hashes = ListAttribute(of=UnicodeAttribute, default=list)
    revoked = BooleanAttribute(default=False)
    created_at = NumberAttribute()
    expires_at = TTLAttribute()


class LoginAttempts(Model):
    Meta = _meta("login-attempts")

    subject = UnicodeAttribute(hash_key=True)
    failures = NumberAttribute(default=0)
    locked_until = NumberAttribute(default=0)
    expires_at = TTLAttribute()


class FollowingByTime(LocalSecondaryIndex):
    Meta = _meta("follows", index="following_by_time")

    follower_id = UnicodeAttribute(hash_key=True)
    created_at = NumberAttribute(range_key=True)


class FollowersByTime(GlobalSecondaryIndex):
    Meta = _meta("follows", index="followers_by_time")

    followee_id = UnicodeAttribute(hash_key=True)
    created_at = NumberAttribute(range_key=True)


class Follow(Model):
    Meta = _meta("follows")

    follower_id = UnicodeAttribute(hash_key=True)
    followee_id = UnicodeAttribute(range_key=True)
    created_at = NumberAttribute()

    following_by_time = FollowingByTime()
    followers_by_time = FollowersByTime()


class RequestsByTime(LocalSecondaryIndex):
    Meta = _meta("follow-requests", index="requests_by_time")

    target_id = UnicodeAttribute(hash_key=True)
    created_at = NumberAttribute(range_key=True)


class FollowRequest(Model):
    """``requester_id`` asked to follow the private account ``target_id``."""

    Meta = _meta("follow-requests")

    target_id = UnicodeAttribute(hash_key=True)
    requester_id = UnicodeAttribute(range_key=True)
    created_at = NumberAttribute()

    requests_by_time = RequestsByTime()


class Block(Model):
    Meta = _meta("blocks")

    blocker_id = UnicodeAttribute(hash_key=True)
    blocked_id = UnicodeAttribute(range_key=True)
    created_at = NumberAttribute()


Key = tuple[type[Model], str, str | None]  # (model, hash key, range key or None)


def batch_get(keys: list[Key]) -> dict[Key, Model]:
    """The items behind these keys, across any tables, in one BatchGetItem per 100 keys, the
    chunks sent side by side: a page's posts, authors and flags cost one round trip."""
    keys = list(dict.fromkeys(keys))  # BatchGetItem refuses a request with duplicate keys
    chunks = [keys[start : start + 100] for start in range(0, len(keys), 100)]
    if len(chunks) == 1:
        # In the calling thread: no hop through the pool, and safe to call from a pool task.
        return _batch_get_chunk(chunks[0])
    found: dict[Key, Model] = {}
    for part in pool().map(_batch_get_chunk, chunks):
        found.update(part)
    return found


def existing_keys(keys: list[Key]) -> set[Key]:
    """Which of these items exist: how relationship flags for a whole page cost one trip."""
    return set(batch_get(keys))


@functools.cache
def pool() -> ThreadPoolExecutor:
    """Threads for DynamoDB calls sent side by side (botocore clients are thread-safe)."""
    return ThreadPoolExecutor(max_workers=8, thread_name_prefix="dynamodb")


def _batch_get_chunk(chunk: list[Key]) -> dict[Key, Model]:
    by_table = {model.Meta.table_name: model for model, _, _ in chunk}
    request: dict[str, dict] = {}
    for model, hash_key, range_key in chunk:
        hash_name, range_name = _key_names(model)
        key = {hash_name: {"S": hash_key}}
        if range_name is not None:
            key[range_name] = {"S": range_key}
        request.setdefault(model.Meta.table_name, {"Keys": []})["Keys"].append(key)
    found: dict[Key, Model] = {}
    for attempt in range(10):
        time.sleep(0.05 * attempt)  # back off only when DynamoDB returned unprocessed keys
        response = connection().client.batch_get_item(RequestItems=request)
        for table_name, items in response.get("Responses", {}).items():
            model = by_table[table_name]
            hash_name, range_name = _key_names(model)
            for item in items:
                range_key = item[range_name]["S"] if range_name else None
                found[(model, item[hash_name]["S"], range_key)] = model.from_raw_data(item)
        request = response.get("UnprocessedKeys") or {}
        if not request:
            return found
    raise RuntimeError("DynamoDB kept returning unprocessed keys")


def _key_names(model: type[Model]) -> tuple[str, str | None]:
    range_attribute = model._range_key_attribute()
    return model._hash_key_attribute().attr_name, range_attribute and range_attribute.attr_name


class TransactionCancelled(Exception):
    """A transaction refused because of its conditions; ``failed`` names which ones."""

    def __init__(self, failed: set[str]) -> None:
        super().__init__(f"transaction conditions failed: {sorted(failed)}")
        self.failed = failed


class Transaction:
    """PynamoDB's TransactWrite, with a label on each conditional operation.

    PynamoDB sends condition checks, then deletes, then puts, then updates, whatever the
    order of the calls, and DynamoDB reports failed conditions by position in what was sent.
    The labels say by name which conditions failed: ``TransactionCancelled.failed``.
    """

    _KINDS = ("condition_check", "delete", "save", "update")

    def __init__(self) -> None:
        self._write = TransactWrite(connection=connection())
        self._labels: dict[str, list[str]] = {kind: [] for kind in self._KINDS}

    def __enter__(self) -> Transaction:
        self._write.__enter__()
        return self

    def __exit__(self, exc_type: Any, exc: Any, traceback: Any) -> None:
        try:
            self._write.__exit__(exc_type, exc, traceback)
        except TransactWriteError as error:
            sent = [label for kind in self._KINDS for label in self._labels[kind]]
            reasons = error.cancellation_reasons or []
            failed = {
                label
                for label, reason in zip(sent, reasons, strict=False)
                if reason is not None and reason.code == "ConditionalCheckFailed" and label
            }
            if failed:
                raise TransactionCancelled(failed) from error
            if any(r is not None and r.code == "TransactionConflict" for r in reasons):
                # Another transaction held one of the items: nothing was written, and the
                # client's retry will most likely go through.
                raise Conflict(
                    "Someone changed this at the same moment; try again",
                    code="concurrent_change",
                ) from error
            raise

    def save(self, model: Model, condition: Any = None, label: str = "") -> None:
        self._labels["save"].append(label)
        self._write.save(model, condition=condition)

    def update(self, model: Model, actions: list, condition: Any = None, label: str = "") -> None:
        self._labels["update"].append(label)
        self._write.update(model, actions=actions, condition=condition)

    def delete(self, model: Model, condition: Any = None, label: str = "") -> None:
        self._labels["delete"].append(label)
        self._write.delete(model, condition=condition)

    def condition_check(
        self, model_cls: type[Model], hash_key: str, range_key: str | None, condition: Any,
        label: str,
    ) -> None:
        self._labels["condition_check"].append(label)
        self._write.condition_check(model_cls, hash_key, range_key, condition=condition)



class Rendition(MapAttribute):
    """One stored size of an image: ``name`` is 1080, 640, 320 or thumb."""

    name = UnicodeAttribute()
    key = UnicodeAttribute()
    width = NumberAttribute()
    height = NumberAttribute()
    bytes = NumberAttribute()


class FaceBox(MapAttribute):
    """A detected face, normalised to 0..1 of the oriented image."""

    x = NumberAttribute()
    y = NumberAttribute()
    w = NumberAttribute()
    h = NumberAttribute()


class PostImage(MapAttribute):
    upload_id = UnicodeAttribute()
    status = UnicodeAttribute(default="processing")
    width = NumberAttribute(null=True)
    height = NumberAttribute(null=True)
    placeholder = UnicodeAttribute(null=True)
    renditions = ListAttribute(of=Rendition, default=list)
    faces = ListAttribute(of=FaceBox, default=list)
    failure_reason = UnicodeAttribute(null=True)


class Place(MapAttribute):
    place_id = UnicodeAttribute(null=True)
    name = UnicodeAttribute()
    lat = NumberAttribute()
    lng = NumberAttribute()


class PostsByAuthor(GlobalSecondaryIndex):
    Meta = _meta("posts", index="posts_by_author")

    author_id = UnicodeAttribute(hash_key=True)
    post_id = UnicodeAttribute(range_key=True)


class Post(Model):
    Meta = _meta("posts")

    post_id = UnicodeAttribute(hash_key=True)
    author_id = UnicodeAttribute()
    created_at = NumberAttribute()
    status = UnicodeAttribute(default="processing")  # processing | ready | failed
    failure_reason = UnicodeAttribute(null=True)
    caption = UnicodeAttribute(default="")
    filter = UnicodeAttribute(default="normal")
    place = Place(null=True)
    images = ListAttribute(of=PostImage, default=list)
    likes_count = NumberAttribute(default=0)
    comments_count = NumberAttribute(default=0)
    # Parsed from the caption when it is written (chalicelib/captions.py).
    hashtags = ListAttribute(of=UnicodeAttribute, default=list)
    mentions = ListAttribute(of=UnicodeAttribute, default=list)

    by_author = PostsByAuthor()


class Upload(Model):
    """A presigned upload slot: usable once, by its owner, until it expires."""

    Meta = _meta("uploads")

    upload_id = UnicodeAttribute(hash_key=True)
    owner_id = UnicodeAttribute()
    key = UnicodeAttribute()
    content_type = UnicodeAttribute()
    max_bytes = NumberAttribute()
    created_at = NumberAttribute()
    expires_at = TTLAttribute()
    # Set when a post takes the upload, and which of its images it is.
    post_id = UnicodeAttribute(null=True)
    image_index = NumberAttribute(null=True)
    # Set by the media function when the object landed before any post took it.
    arrived_etag = UnicodeAttribute(null=True)


# --- interactions and the home feed ------------------------------------------------------

# The sort key of a hashtag's or place's own item (its count, its name), below every post id,
# so "newest posts first" queries never meet it (they ask for post_id >= FIRST_POST_ID).
SUMMARY_KEY = "!"
FIRST_POST_ID = "0"


class LikesByTime(LocalSecondaryIndex):
    Meta = _meta("likes", index="likes_by_time")

    post_id = UnicodeAttribute(hash_key=True)
    created_at = NumberAttribute(range_key=True)


class LikesByUser(GlobalSecondaryIndex):
    Meta = _meta("likes", index="likes_by_user")

    user_id = UnicodeAttribute(hash_key=True)
    post_id = UnicodeAttribute(range_key=True)


class Like(Model):
    Meta = _meta("likes")

    post_id = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute(range_key=True)
    author_id = UnicodeAttribute()  # the post's author: whom the activity item is for
    created_at = NumberAttribute()

    by_time = LikesByTime()
    by_user = LikesByUser()


class Comment(Model):
    Meta = _meta("comments")

    post_id = UnicodeAttribute(hash_key=True)
    comment_id = UnicodeAttribute(range_key=True)  # time-sorted: oldest or newest first
    author_id = UnicodeAttribute()
    post_author_id = UnicodeAttribute()
    text = UnicodeAttribute()
    created_at = NumberAttribute()


class SavesByTime(LocalSecondaryIndex):
    # Projects everything (the author too): a page of saves needs no second read.
    Meta = _meta("saves", index="saves_by_time", projection=AllProjection())

    user_id = UnicodeAttribute(hash_key=True)
    saved_at = NumberAttribute(range_key=True)
    post_id = UnicodeAttribute()
    author_id = UnicodeAttribute()


class Save(Model):
    Meta = _meta("saves")

    user_id = UnicodeAttribute(hash_key=True)
    post_id = UnicodeAttribute(range_key=True)
    author_id = UnicodeAttribute()
    saved_at = NumberAttribute()

    by_time = SavesByTime()


class HashtagEntry(Model):
    """A post under a hashtag, or (post_id == SUMMARY_KEY) the hashtag's post count."""

    Meta = _meta("hashtags")

    tag = UnicodeAttribute(hash_key=True)
    post_id = UnicodeAttribute(range_key=True)
    author_id = UnicodeAttribute(null=True)
    post_count = NumberAttribute(null=True)


class PlaceEntry(Model):
    """A post at a place, or (post_id == SUMMARY_KEY) the place itself with its post count."""

    Meta = _meta("places")

    place_id = UnicodeAttribute(hash_key=True)
    post_id = UnicodeAttribute(range_key=True)
    author_id = UnicodeAttribute(null=True)
    name = UnicodeAttribute(null=True)
    lat = NumberAttribute(null=True)
    lng = NumberAttribute(null=True)
    post_count = NumberAttribute(null=True)


class FeedByAuthor(LocalSecondaryIndex):
    Meta = _meta("feeds", index="feed_by_author")

    user_id = UnicodeAttribute(hash_key=True)
    author_post = UnicodeAttribute(range_key=True)


class FeedEntry(Model):
    Meta = _meta("feeds")

    user_id = UnicodeAttribute(hash_key=True)
    post_id = UnicodeAttribute(range_key=True)
    author_id = UnicodeAttribute()
    author_post = UnicodeAttribute()  # f"{author_id}#{post_id}"

    by_author = FeedByAuthor()


class ActivityByTime(LocalSecondaryIndex):
    Meta = _meta("activity", index="activity_by_time", projection=AllProjection())

    user_id = UnicodeAttribute(hash_key=True)
    updated_at = NumberAttribute(range_key=True)


class Activity(Model):
    """Something that happened to a user. Likes of one post share one item
    (``like#<post_id>``) whose count grows; everything else has an item of its own."""

    Meta = _meta("activity")

    user_id = UnicodeAttribute(hash_key=True)
    activity_key = UnicodeAttribute(range_key=True)
    kind = UnicodeAttribute()  # like | comment | follow | follow_request | mention
    actor_id = UnicodeAttribute()  # the latest actor
    count = NumberAttribute(default=1)
    post_id = UnicodeAttribute(null=True)
    comment_id = UnicodeAttribute(null=True)
    text = UnicodeAttribute(null=True)
    updated_at = NumberAttribute()
    expires_at = TTLAttribute(null=True)

    by_time = ActivityByTime()


class RecentSearch(Model):
    """A search someone made and the result they opened (time-sorted ``search_id``)."""

    Meta = _meta("recent-searches")

    user_id = UnicodeAttribute(hash_key=True)
    search_id = UnicodeAttribute(range_key=True)
    text = UnicodeAttribute()  # not "query": that name is Model.query
    kind = UnicodeAttribute(null=True)
    target_id = UnicodeAttribute(null=True)
    expires_at = TTLAttribute()


class Interaction(Model):
    """One piece of implicit feedback: a user did something to a post or an account."""

    Meta = _meta("interactions")

    user_id = UnicodeAttribute(hash_key=True)
    interaction_id = UnicodeAttribute(range_key=True)  # time-sorted
    item_type = UnicodeAttribute()  # post | user
    item_id = UnicodeAttribute()
    kind = UnicodeAttribute()  # like, comment, save, share, follow, search, view
    weight = NumberAttribute()
    at = NumberAttribute()  # milliseconds
    expires_at = TTLAttribute()


class Recommendation(Model):
    """A user's explore list (``kind`` "explore") or suggested accounts ("users")."""

    Meta = _meta("recommendations")

    user_id = UnicodeAttribute(hash_key=True)
    kind = UnicodeAttribute(range_key=True)
    items = ListAttribute(default=list)  # [{"id", "author_id"?, "reason", "score"}]
    computed_at = NumberAttribute()
    expires_at = TTLAttribute()


# --- direct messages -----------------------------------------------------------------------


class Conversation(Model):
    Meta = _meta("conversations")

    conversation_id = UnicodeAttribute(hash_key=True)
    kind = UnicodeAttribute()  # direct | group
    name = UnicodeAttribute(null=True)
    member_ids = ListAttribute(of=UnicodeAttribute, default=list)
    created_by = UnicodeAttribute()
    created_at = NumberAttribute()
    last_message_id = UnicodeAttribute(null=True)
    last_preview = UnicodeAttribute(null=True)
    last_sender_id = UnicodeAttribute(null=True)


class InboxByActivity(LocalSecondaryIndex):
    Meta = _meta("inbox", index="inbox_by_activity", projection=AllProjection())

    user_id = UnicodeAttribute(hash_key=True)
    updated_at = NumberAttribute(range_key=True)


class InboxEntry(Model):
    """A member's view of one conversation."""

    Meta = _meta("inbox")

    user_id = UnicodeAttribute(hash_key=True)
    conversation_id = UnicodeAttribute(range_key=True)
    # active, or request: from someone the member does not follow, until accepted.
    folder = UnicodeAttribute(default="active")
    updated_at = NumberAttribute()
    unread = NumberAttribute(default=0)
    last_read_id = UnicodeAttribute(null=True)

    by_activity = InboxByActivity()


class Message(Model):
    Meta = _meta("messages")

    conversation_id = UnicodeAttribute(hash_key=True)
    message_id = UnicodeAttribute(range_key=True)
    sender_id = UnicodeAttribute(null=True)
    client_id = UnicodeAttribute(null=True)
    text = UnicodeAttribute(null=True)
    post_id = UnicodeAttribute(null=True)
    created_at = NumberAttribute(null=True)
    # On a "~client#<sender>#<client_id>" item: the message that client id produced.
    refers_to = UnicodeAttribute(null=True)


class Presence(Model):
    """The connection ids of one user's live devices (``LiveConnection`` rows, summed up)."""

    Meta = _meta("presence")

    user_id = UnicodeAttribute(hash_key=True)
    live = UnicodeSetAttribute(null=True)
    expires_at = TTLAttribute(null=True)


class ConnectionsByConnection(GlobalSecondaryIndex):
    Meta = _meta("connections", index="by_connection")

    connection_id = UnicodeAttribute(hash_key=True)


class LiveConnection(Model):
    """A live websocket connection of a user."""

    Meta = _meta("connections")

    user_id = UnicodeAttribute(hash_key=True)
    connection_id = UnicodeAttribute(range_key=True)
    connected_at = NumberAttribute()
    expires_at = TTLAttribute()

    by_connection = ConnectionsByConnection()
