"""Other people: /users/{username} (profile, follow, block, mute, restrict, followers,
following), the
follow requests to you (/me/follow-requests), and your own edges (/me/blocked,
/me/followers/{username})."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Response

from chalicelib.core.deferred import deferred
from chalicelib.core.http import ApiBlueprint, caller, page_args

if TYPE_CHECKING:  # imported on a route's first call: chalicelib/core/deferred.py
    from chalicelib.graph import blocks, follows, mutes, people, restricts
else:
    blocks, follows, mutes, people, restricts = deferred(
        "chalicelib.graph", "blocks, follows, mutes, people, restricts"
    )

users = ApiBlueprint(__name__)  # url_prefix /users
requests = ApiBlueprint(__name__)  # url_prefix /me/follow-requests
mine = ApiBlueprint(__name__)  # url_prefix /me


@users.route("/{username}", methods=["GET"])
def get_user(username: str) -> dict[str, Any]:
    return people.view(caller(users.current_request).user_id, username)


@users.route("/{username}/follow", methods=["POST"])
def follow(username: str) -> dict[str, Any]:
    return {"status": follows.follow(caller(users.current_request).user_id, username)}


@users.route("/{username}/follow", methods=["DELETE"])
def unfollow(username: str) -> dict[str, Any]:
    return {"status": follows.unfollow(caller(users.current_request).user_id, username)}


@users.route("/{username}/followers", methods=["GET"])
def followers(username: str) -> dict[str, Any]:
    request = users.current_request
    return follows.followers(caller(request).user_id, username, *page_args(request)).to_dict()


@users.route("/{username}/following", methods=["GET"])
def following(username: str) -> dict[str, Any]:
    request = users.current_request
    return follows.following(caller(request).user_id, username, *page_args(request)).to_dict()


@users.route("/{username}/block", methods=["POST"])
def block(username: str) -> dict[str, Any]:
    blocks.block(caller(users.current_request).user_id, username)
    return {"status": "blocked"}


@users.route("/{username}/block", methods=["DELETE"])
def unblock(username: str) -> dict[str, Any]:
    blocks.unblock(caller(users.current_request).user_id, username)
    return {"status": "none"}


@users.route("/{username}/mute", methods=["POST"])
def mute(username: str) -> dict[str, Any]:
    return {"status": mutes.mute(caller(users.current_request).user_id, username)}


@users.route("/{username}/mute", methods=["DELETE"])
def unmute(username: str) -> dict[str, Any]:
    return {"status": mutes.unmute(caller(users.current_request).user_id, username)}


@users.route("/{username}/restrict", methods=["POST"])
def restrict(username: str) -> dict[str, Any]:
    return {"status": restricts.restrict(caller(users.current_request).user_id, username)}


@users.route("/{username}/restrict", methods=["DELETE"])
def unrestrict(username: str) -> dict[str, Any]:
    return {"status": restricts.unrestrict(caller(users.current_request).user_id, username)}


@requests.route("/", methods=["GET"])
def list_follow_requests() -> dict[str, Any]:
    request = requests.current_request
    return follows.pending_requests(caller(request).user_id, *page_args(request)).to_dict()


@requests.route("/{username}", methods=["POST"])
def approve_follow_request(username: str) -> dict[str, Any]:
    follows.approve(caller(requests.current_request).user_id, username)
    return {"status": "approved"}


@requests.route("/{username}", methods=["DELETE"])
def deny_follow_request(username: str) -> Response:
    follows.deny(caller(requests.current_request).user_id, username)
    return Response("", status_code=204)


@mine.route("/blocked", methods=["GET"])
def list_blocked() -> dict[str, Any]:
    request = mine.current_request
    return blocks.blocked(caller(request).user_id, *page_args(request)).to_dict()


@mine.route("/followers/{username}", methods=["DELETE"])
def remove_follower(username: str) -> Response:
    follows.remove_follower(caller(mine.current_request).user_id, username)
    return Response("", status_code=204)
