"""PynamoDB models, one per table of infra/template.yaml (docs/data-model.md lists the
access patterns each one serves).

Tables are named from settings; the connection for transactions is created once per process.
"""

from __future__ import annotations

import functools
import time

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
)
from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.indexes import GlobalSecondaryIndex, KeysOnlyProjection, LocalSecondaryIndex
from pynamodb.models import Model

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


def failed_conditions(error: TransactWriteError) -> list[bool]:
    """For each operation of a cancelled transaction, whether its condition was the cause."""
    return [
        reason is not None and reason.code == "ConditionalCheckFailed"
        for reason in (error.cancellation_reasons or [])
    ]
