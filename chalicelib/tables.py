"""PynamoDB models, one per table of infra/template.yaml (docs/data-model.md lists the
access patterns each one serves).

Tables are named from settings; the connection for transactions is created once per process.
"""

from __future__ import annotations

import functools
import time
from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
)
from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.indexes import GlobalSecondaryIndex, KeysOnlyProjection, LocalSecondaryIndex
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.errors import Conflict
from chalicelib.settings import settings


def _meta(table: str, index: str | None = None) -> type:
    s = settings()
    attrs: dict[str, object] = {"region": s.region, "host": s.endpoint_url}
    if index is None:
        attrs["table_name"] = s.table(table)
    else:
        attrs.update(index_name=index, projection=KeysOnlyProjection())
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


def existing_keys(keys: list[tuple[type[Model], str, str]]) -> set[tuple[type[Model], str, str]]:
    """Which of these (model, hash key, range key) items exist, in one BatchGetItem per 100
    keys across any tables: how relationship flags for a whole page cost one round trip."""
    keys = list(dict.fromkeys(keys))  # BatchGetItem refuses a request with duplicate keys
    found: set[tuple[type[Model], str, str]] = set()
    by_table = {model.Meta.table_name: model for model, _, _ in keys}
    for start in range(0, len(keys), 100):
        chunk = keys[start : start + 100]
        request: dict[str, dict] = {}
        for model, hash_key, range_key in chunk:
            hash_name, range_name = _key_names(model)
            table = request.setdefault(model.Meta.table_name, {"Keys": []})
            table["Keys"].append({hash_name: {"S": hash_key}, range_name: {"S": range_key}})
        for attempt in range(10):
            time.sleep(0.05 * attempt)  # back off only when DynamoDB returned unprocessed keys
            response = connection().client.batch_get_item(RequestItems=request)
            for table_name, items in response.get("Responses", {}).items():
                model = by_table[table_name]
                hash_name, range_name = _key_names(model)
                for item in items:
                    found.add((model, item[hash_name]["S"], item[range_name]["S"]))
            request = response.get("UnprocessedKeys") or {}
            if not request:
                break
        else:
            raise RuntimeError("DynamoDB kept returning unprocessed keys")
    return found


def _key_names(model: type[Model]) -> tuple[str, str]:
    return model._hash_key_attribute().attr_name, model._range_key_attribute().attr_name


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
