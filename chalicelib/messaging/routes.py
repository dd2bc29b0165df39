"""Direct messages over REST: the inbox, conversations, history, sending without a socket."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Response

from chalicelib.core.deferred import deferred
from chalicelib.core.http import ApiBlueprint, caller, json_body, page_args

if TYPE_CHECKING:  # imported on a route's first call: chalicelib/core/deferred.py
    from chalicelib.messaging import conversations, messages
else:
    conversations, messages = deferred("chalicelib.messaging", "conversations, messages")

dms = ApiBlueprint(__name__)  # url_prefix /conversations


@dms.route("/", methods=["GET"])
def inbox() -> dict[str, Any]:
    request = dms.current_request
    folder = (request.query_params or {}).get("folder")
    return conversations.inbox(caller(request).user_id, folder, *page_args(request)).to_dict()


@dms.route("/", methods=["POST"])
def start() -> Response:
    request = dms.current_request
    body, viewer_id = json_body(request), caller(request).user_id
    conversation = conversations.start(viewer_id, body.get("usernames"), body.get("name"))
    return Response(
        conversations.describe(viewer_id, conversation.conversation_id), status_code=201
    )


@dms.route("/{conversation_id}", methods=["GET"])
def describe(conversation_id: str) -> dict[str, Any]:
    return conversations.describe(caller(dms.current_request).user_id, conversation_id)


@dms.route("/{conversation_id}/accept", methods=["POST"])
def accept(conversation_id: str) -> dict[str, Any]:
    viewer_id = caller(dms.current_request).user_id
    conversations.accept(viewer_id, conversation_id)
    return conversations.describe(viewer_id, conversation_id)


@dms.route("/{conversation_id}/members", methods=["POST"])
def add_members(conversation_id: str) -> dict[str, Any]:
    request = dms.current_request
    viewer_id = caller(request).user_id
    conversations.add_members(viewer_id, conversation_id, json_body(request).get("usernames"))
    return conversations.describe(viewer_id, conversation_id)


@dms.route("/{conversation_id}/members/me", methods=["DELETE"])
def leave(conversation_id: str) -> Response:
    conversations.leave(caller(dms.current_request).user_id, conversation_id)
    return Response("", status_code=204)


@dms.route("/{conversation_id}/messages", methods=["GET"])
def history(conversation_id: str) -> dict[str, Any]:
    request = dms.current_request
    return messages.history(caller(request).user_id, conversation_id, *page_args(request)).to_dict()


@dms.route("/{conversation_id}/messages", methods=["POST"])
def send(conversation_id: str) -> Response:
    request = dms.current_request
    body = {**json_body(request), "conversation_id": conversation_id}
    message = messages.send(caller(request).user_id, body)
    return Response(message, status_code=200 if message.pop("duplicate") else 201)


@dms.route("/{conversation_id}/read", methods=["POST"])
def read(conversation_id: str) -> dict[str, Any]:
    return messages.mark_read(caller(dms.current_request).user_id, conversation_id)
