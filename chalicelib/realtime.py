"""The websocket side of the API: who may connect, and the frames the server sends.

The direct-messages work adds the connection registry and the chat actions here; for now a
connection is authenticated and any action gets a clear error frame back.
"""

from __future__ import annotations

import json
from typing import Any

from chalicelib import connections
from chalicelib.errors import GlimpseError, Unauthenticated, ValidationError
from chalicelib.tokens import Principal, verify_access_token

MAX_FRAME_BYTES = 32 * 1024


def authenticate(query: dict[str, str] | None) -> Principal:
    """A socket is opened with ``?token=<access token>``; anything else is refused."""
    token = (query or {}).get("token", "")
    if not token:
        raise Unauthenticated("Connect with ?token=<access token>")
    return verify_access_token(token)


def connect(query: dict[str, str] | None, connection_id: str) -> tuple[int, str]:
    """``$connect``: (status, message). A non-2xx status makes the gateway refuse the socket."""
    try:
        principal = authenticate(query)
    except GlimpseError as refused:
        return refused.status, refused.message
    connections.register(principal.user_id, connection_id)
    return 200, ""


def reply(body: str | None) -> str:
    """The frame sent back to a client frame."""
    return json.dumps(handle_frame(body), separators=(",", ":"))


def parse_frame(body: str | None) -> dict[str, Any]:
    if body is None or len(body.encode()) > MAX_FRAME_BYTES:
        raise ValidationError("Frames must be JSON objects of at most 32 KB", code="bad_frame")
    try:
        frame = json.loads(body)
    except ValueError:
        raise ValidationError("Frames must be JSON objects", code="bad_frame") from None
    if not isinstance(frame, dict) or not isinstance(frame.get("action"), str):
        raise ValidationError('Frames need an "action"', code="bad_frame")
    return frame


def handle_frame(body: str | None) -> dict[str, Any]:
    """The server's answer to one client frame (an error event until chat actions exist)."""
    try:
        frame = parse_frame(body)
        raise ValidationError(f"Unknown action {frame['action']!r}", code="unknown_action")
    except GlimpseError as error:
        return error_event(error)


def error_event(error: GlimpseError) -> dict[str, Any]:
    return {"type": "error", "code": error.code, "message": error.message}
