"""The websocket side of the API: who may connect, and what each client frame does.

Actions: ``send`` (a message; answered with ``message.ack`` echoing the ``client_id``),
``typing`` and ``read`` (pushed to the other members; no answer). A malformed frame, an
unknown action or a refused one gets an ``error`` event on that connection: the socket stays.
"""

from __future__ import annotations

import json
from typing import Any

from chalicelib.accounts import sessions
from chalicelib.connections import registry
from chalicelib.core import inputs, quotas
from chalicelib.core.errors import GlimpseError, Unauthenticated, ValidationError
from chalicelib.core.observability import logger
from chalicelib.core.principal import Principal
from chalicelib.messaging import messages

MAX_FRAME_BYTES = 32 * 1024


def authenticate(query: dict[str, str] | None) -> Principal:
    """A socket is opened with ``?token=<access token>`` of a live session; anything else is
    refused."""
    token = (query or {}).get("token", "")
    if not token:
        raise Unauthenticated("Connect with ?token=<access token>")
    return sessions.authenticate(token)


def connect(query: dict[str, str] | None, connection_id: str) -> tuple[int, str]:
    """``$connect``: (status, message). A non-2xx status makes the gateway refuse the socket."""
    try:
        principal = authenticate(query)
    except GlimpseError as refused:
        return refused.status, refused.message
    registry.register(principal.user_id, principal.session_id, connection_id)
    return 200, ""


def reply(body: str | None, connection_id: str) -> str | None:
    """The frame sent back to a client frame, if any."""
    answer = handle_frame(body, connection_id)
    return None if answer is None else json.dumps(answer, separators=(",", ":"))


def parse_frame(body: str | None) -> dict[str, Any]:
    if body is None or len(body.encode("utf-8", "surrogatepass")) > MAX_FRAME_BYTES:
        raise ValidationError("Frames must be JSON objects of at most 32 KB", code="bad_frame")
    try:
        frame = inputs.parse_json(body, what="The frame")
    except ValidationError as refused:
        if refused.code == "invalid_json":
            raise ValidationError(refused.message, code="bad_frame") from None
        raise
    if not isinstance(frame, dict) or not isinstance(frame.get("action"), str):
        raise ValidationError('Frames need an "action"', code="bad_frame")
    return frame


def handle_frame(body: str | None, connection_id: str) -> dict[str, Any] | None:
    frame: dict[str, Any] = {}
    try:
        frame = parse_frame(body)
        owner = registry.owner_of(connection_id)
        if owner is None:
            raise Unauthenticated("This connection has expired; connect again")
        user_id, session_id = owner
        sessions.require_live(Principal(user_id, session_id))
        action = frame["action"]
        quotas.take_frame(action, user_id)
        if action == "send":
            message = messages.send(user_id, frame, origin=connection_id)
            return {
                "type": "message.ack",
                "client_id": frame.get("client_id"),
                "duplicate": message.pop("duplicate"),
                "message": message,
            }
        if action in ("typing", "read"):
            conversation_id = frame.get("conversation_id")
            if not isinstance(conversation_id, str):
                raise ValidationError('"conversation_id" is missing', field="conversation_id")
            if action == "typing":
                messages.typing(user_id, conversation_id)
            else:
                messages.mark_read(user_id, conversation_id)
            return None
        raise ValidationError(f"Unknown action {action!r}", code="unknown_action")
    except GlimpseError as error:
        return error_event(error, frame.get("client_id"))
    except Exception:
        # A bug must not cost the client its socket: log it, answer an error event.
        logger.exception("websocket frame failed", extra={"connection_id": connection_id})
        return {"type": "error", "code": "internal_error", "message": "Something went wrong"}


def error_event(error: GlimpseError, client_id: object = None) -> dict[str, Any]:
    event = {"type": "error", "code": error.code, "message": error.message}
    if "retry_after" in error.details:
        event["retry_after"] = error.details["retry_after"]  # seconds, as Retry-After says
    if isinstance(client_id, str):
        event["client_id"] = client_id  # which of the client's messages was refused
    return event
