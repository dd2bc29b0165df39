"""The registry of live websocket connections, and pushing events to a user's devices.

A user may be connected from several devices; an event for the user goes to each. A
connection API Gateway reports gone is forgotten on the spot; the rest expire with their TTL.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from chalicelib.ids import now_ms
from chalicelib.tables import LiveConnection

# API Gateway closes any websocket after two hours.
MAX_CONNECTION_SECONDS = 2 * 3600


class Gone(Exception):
    """Raised by a sender when the connection no longer exists."""


Sender = Callable[[str, str], None]  # (connection_id, payload) -> None, raises Gone


def register(user_id: str, connection_id: str) -> None:
    LiveConnection(
        user_id,
        connection_id,
        connected_at=now_ms(),
        expires_at=datetime.fromtimestamp(time.time() + MAX_CONNECTION_SECONDS, UTC),
    ).save()


def forget(connection_id: str) -> None:
    for entry in LiveConnection.by_connection.query(connection_id):
        LiveConnection(entry.user_id, connection_id).delete()


def user_of(connection_id: str) -> str | None:
    """Who opened this connection (API Gateway tells a message handler only its id)."""
    for entry in LiveConnection.by_connection.query(connection_id):
        return entry.user_id
    return None


def of_user(user_id: str) -> list[str]:
    return [entry.connection_id for entry in LiveConnection.query(user_id)]


def push(user_id: str, event: dict[str, Any], send: Sender, skip: str | None = None) -> int:
    """Send an event to every live connection of a user (but ``skip``); returns how many got
    it."""
    payload = json.dumps(event, separators=(",", ":"))
    delivered = 0
    for connection_id in of_user(user_id):
        if connection_id == skip:
            continue
        try:
            send(connection_id, payload)
            delivered += 1
        except Gone:
            LiveConnection(user_id, connection_id).delete()
    return delivered


def management_api_sender(endpoint_url: str) -> Sender:
    """A sender through API Gateway's @connections API at ``endpoint_url``
    (``https://{api-id}.execute-api.{region}.amazonaws.com/{stage}`` in AWS, the local
    websocket gateway in `make run`)."""
    from chalicelib.clients import client

    api = client("apigatewaymanagementapi", endpoint_url)

    def send(connection_id: str, payload: str) -> None:
        try:
            api.post_to_connection(ConnectionId=connection_id, Data=payload.encode())
        except api.exceptions.GoneException:
            raise Gone(connection_id) from None

    return send


def notify(user_id: str, event: dict[str, Any], skip: str | None = None) -> int:
    """Push an event to a user from anywhere (a route, a stream consumer, the media function):
    through the configured websocket endpoint, or nowhere when none is configured."""
    from chalicelib.settings import settings

    endpoint = settings().websocket_endpoint_url
    if not endpoint:
        return 0
    return push(user_id, event, management_api_sender(endpoint), skip)
