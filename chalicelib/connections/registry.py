"""The registry of live websocket connections, and pushing events to users' devices.

A user may be connected from several devices; an event for the user goes to each. Each
connection has its row (found by connection id when the socket closes) and is listed in the
user's presence item, so the devices of all the members of a conversation come from one
BatchGetItem. A connection API Gateway reports gone is forgotten on the spot; the rest expire
with their TTL.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from pynamodb.exceptions import UpdateError

from chalicelib.connections.models import LiveConnection, Presence
from chalicelib.core.dynamodb import batch_get, pool
from chalicelib.core.ids import now_ms

# API Gateway closes any websocket after two hours.
MAX_CONNECTION_SECONDS = 2 * 3600


class Gone(Exception):
    """Raised by a sender when the connection no longer exists."""


Sender = Callable[[str, str], None]  # (connection_id, payload) -> None, raises Gone

# connection id -> (user id, session id): a connection never changes hands, so a warm Lambda
# asks once.
_owners: dict[str, tuple[str, str]] = {}


def register(user_id: str, session_id: str, connection_id: str) -> None:
    expires_at = datetime.fromtimestamp(time.time() + MAX_CONNECTION_SECONDS, UTC)
    LiveConnection(
        user_id, connection_id, session_id=session_id, connected_at=now_ms(), expires_at=expires_at
    ).save()
    Presence(user_id).update(
        actions=[Presence.live.add({connection_id}), Presence.expires_at.set(expires_at)]
    )


def forget(connection_id: str) -> None:
    for entry in LiveConnection.by_connection.query(connection_id):
        _drop(entry.user_id, connection_id)
    _owners.pop(connection_id, None)


def owner_of(connection_id: str) -> tuple[str, str] | None:
    """(user id, session id) of whoever opened this connection (API Gateway tells a message
    handler only its id)."""
    if connection_id not in _owners:
        if len(_owners) > 10_000:
            _owners.clear()
        for key in LiveConnection.by_connection.query(connection_id):
            # The index holds keys only: the row itself says which session opened it.
            entry = LiveConnection.get(key.user_id, connection_id)
            _owners[connection_id] = (entry.user_id, entry.session_id or "")
    return _owners.get(connection_id)


def close_session(user_id: str, session_id: str) -> int:
    """A session ended (logout, revocation): each of its sockets is told ``session.revoked``
    and closed through the @connections API. Returns how many were closed."""
    ids = [
        entry.connection_id
        for entry in LiveConnection.query(user_id)
        if entry.session_id == session_id
    ]
    endpoint = _endpoint()
    if not ids or not endpoint:
        return 0
    api = _management_api(endpoint)
    payload = json.dumps({"type": "session.revoked"}).encode()
    for connection_id in ids:
        try:
            api.post_to_connection(ConnectionId=connection_id, Data=payload)
            api.delete_connection(ConnectionId=connection_id)
        except api.exceptions.GoneException:
            pass
        _drop(user_id, connection_id)
        _owners.pop(connection_id, None)
    return len(ids)


def live(user_ids: list[str]) -> dict[str, set[str]]:
    """The live connection ids of each of these users, in one BatchGetItem per 100 users."""
    found = batch_get([(Presence, user_id, None) for user_id in set(user_ids)])
    return {
        user_id: set(found[(Presence, user_id, None)].live or ())
        if (Presence, user_id, None) in found
        else set()
        for user_id in user_ids
    }


def push(user_id: str, event: dict[str, Any], send: Sender, skip: str | None = None) -> int:
    """Send an event to every live connection of a user (but ``skip``); returns how many got
    it."""
    return push_many({user_id: event}, send, {user_id: skip} if skip else None)


def push_many(
    events: dict[str, dict[str, Any]],
    send: Sender,
    skip: dict[str, str] | None = None,
    devices: dict[str, set[str]] | None = None,
) -> int:
    """Each user's event to each of their devices (but ``skip[user]``), all sent side by side;
    ``devices`` when the caller already looked them up (``live``)."""
    devices = live(list(events)) if devices is None else devices
    sends = [
        (user_id, connection_id, json.dumps(events[user_id], separators=(",", ":")))
        for user_id, ids in devices.items()
        for connection_id in ids
        if connection_id != (skip or {}).get(user_id)
    ]

    def deliver(job: tuple[str, str, str]) -> int:
        user_id, connection_id, payload = job
        try:
            send(connection_id, payload)
            return 1
        except Gone:
            _drop(user_id, connection_id)
            return 0

    return sum(pool().map(deliver, sends))


def management_api_sender(endpoint_url: str) -> Sender:
    """A sender through API Gateway's @connections API at ``endpoint_url``
    (``https://{api-id}.execute-api.{region}.amazonaws.com/{stage}`` in AWS, the local
    websocket gateway in `make run`)."""
    api = _management_api(endpoint_url)

    def send(connection_id: str, payload: str) -> None:
        try:
            api.post_to_connection(ConnectionId=connection_id, Data=payload.encode())
        except api.exceptions.GoneException:
            raise Gone(connection_id) from None

    return send


def notify(user_id: str, event: dict[str, Any]) -> int:
    """Push an event to a user from anywhere (a route, a stream consumer, the media function):
    through the configured websocket endpoint, or nowhere when none is configured."""
    return notify_many({user_id: event})


def notify_many(
    events: dict[str, dict[str, Any]],
    skip: dict[str, str] | None = None,
    devices: dict[str, set[str]] | None = None,
) -> int:
    endpoint = _endpoint()
    if not endpoint or not events:
        return 0
    return push_many(events, management_api_sender(endpoint), skip, devices)


def _endpoint() -> str | None:
    from chalicelib.core.settings import settings

    return settings().websocket_endpoint_url


def _management_api(endpoint_url: str) -> Any:
    from chalicelib.core.clients import client

    return client("apigatewaymanagementapi", endpoint_url)


def _drop(user_id: str, connection_id: str) -> None:
    LiveConnection(user_id, connection_id).delete()
    try:
        # Only an existing item: a socket closing after its account's presence went (or
        # expired) must not write an empty one back.
        Presence(user_id).update(
            actions=[Presence.live.delete({connection_id})], condition=Presence.user_id.exists()
        )
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise


def forget_user(user_id: str) -> int:
    """An account's end: every connection row it still has (its sockets were closed with its
    sessions) and its presence item go. Returns how many rows went."""
    rows = list(LiveConnection.query(user_id))
    with LiveConnection.batch_write() as batch:
        for row in rows:
            batch.delete(row)
            _owners.pop(row.connection_id, None)
    Presence(user_id).delete()
    return len(rows)
