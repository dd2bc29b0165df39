"""Live websocket connections: one row each, and each user's presence (their ids)."""

from __future__ import annotations

from pynamodb.attributes import (
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)
from pynamodb.indexes import GlobalSecondaryIndex

from chalicelib.core.dynamodb import Model, meta


class Presence(Model):
    """The connection ids of one user's live devices (``LiveConnection`` rows, summed up)."""

    Meta = meta("presence")

    user_id = UnicodeAttribute(hash_key=True)
    live = UnicodeSetAttribute(null=True)
    expires_at = TTLAttribute(null=True)


class ConnectionsByConnection(GlobalSecondaryIndex):
    Meta = meta("connections", index="by_connection")

    connection_id = UnicodeAttribute(hash_key=True)


class LiveConnection(Model):
    """A live websocket connection of a user."""

    Meta = meta("connections")

    user_id = UnicodeAttribute(hash_key=True)
    connection_id = UnicodeAttribute(range_key=True)
    session_id = UnicodeAttribute(null=True)  # the login session: logout closes its sockets
    connected_at = NumberAttribute()
    expires_at = TTLAttribute()

    by_connection = ConnectionsByConnection()
