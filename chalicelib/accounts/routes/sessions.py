"""/me/sessions: the devices signed in to your account, and ending them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Response

from chalicelib.core.deferred import deferred
from chalicelib.core.http import ApiBlueprint, caller

if TYPE_CHECKING:  # imported on a route's first call: chalicelib/core/deferred.py
    from chalicelib.accounts import sessions
else:
    sessions = deferred("chalicelib.accounts", "sessions")

my_sessions = ApiBlueprint(__name__)  # url_prefix /me/sessions


@my_sessions.route("/", methods=["GET"])
def list_sessions() -> dict[str, Any]:
    me = caller(my_sessions.current_request)
    return {"items": sessions.listing(me.user_id, me.session_id), "next_cursor": None}


@my_sessions.route("/{session_id}", methods=["DELETE"])
def end_session(session_id: str) -> Response:
    sessions.end_one(caller(my_sessions.current_request).user_id, session_id)
    return Response("", status_code=204)


@my_sessions.route("/", methods=["DELETE"])
def end_other_sessions() -> dict[str, int]:
    me = caller(my_sessions.current_request)
    return {"ended": sessions.end_all(me.user_id, keep=me.session_id)}
