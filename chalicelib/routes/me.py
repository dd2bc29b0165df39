"""The caller's own account: /me, /me/follow-requests, /me/saved."""

from __future__ import annotations

from typing import Any

from chalice import Response

from chalicelib import follows, profiles, saves
from chalicelib.routes.http import ApiBlueprint, caller, json_body, page_args

me = ApiBlueprint(__name__)


@me.route("/me", methods=["GET"])
def get_me() -> dict[str, Any]:
    return profiles.me(profiles.by_id(caller(me.current_request).user_id))


@me.route("/me", methods=["PATCH"])
def update_me() -> dict[str, Any]:
    request = me.current_request
    return profiles.me(profiles.update_me(caller(request).user_id, json_body(request)))


@me.route("/me/follow-requests", methods=["GET"])
def list_follow_requests() -> dict[str, Any]:
    request = me.current_request
    return follows.pending_requests(caller(request).user_id, *page_args(request)).to_dict()


@me.route("/me/follow-requests/{username}", methods=["POST"])
def approve_follow_request(username: str) -> dict[str, Any]:
    follows.approve(caller(me.current_request).user_id, username)
    return {"status": "approved"}


@me.route("/me/follow-requests/{username}", methods=["DELETE"])
def deny_follow_request(username: str) -> Response:
    follows.deny(caller(me.current_request).user_id, username)
    return Response("", status_code=204)


@me.route("/me/saved", methods=["GET"])
def saved_posts() -> dict[str, Any]:
    request = me.current_request
    return saves.saved(caller(request).user_id, *page_args(request)).to_dict()
