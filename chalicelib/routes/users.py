"""Other people: /users/{username}, follow, block, followers and following."""

from __future__ import annotations

from typing import Any

from chalicelib import blocks, follows, posts, profiles
from chalicelib.routes.http import ApiBlueprint, caller, page_args

users = ApiBlueprint(__name__)


@users.route("/users/{username}", methods=["GET"])
def get_user(username: str) -> dict[str, Any]:
    return profiles.view(caller(users.current_request).user_id, username)


@users.route("/users/{username}/follow", methods=["POST"])
def follow(username: str) -> dict[str, Any]:
    return {"status": follows.follow(caller(users.current_request).user_id, username)}


@users.route("/users/{username}/follow", methods=["DELETE"])
def unfollow(username: str) -> dict[str, Any]:
    return {"status": follows.unfollow(caller(users.current_request).user_id, username)}


@users.route("/users/{username}/followers", methods=["GET"])
def followers(username: str) -> dict[str, Any]:
    request = users.current_request
    return follows.followers(caller(request).user_id, username, *page_args(request)).to_dict()


@users.route("/users/{username}/following", methods=["GET"])
def following(username: str) -> dict[str, Any]:
    request = users.current_request
    return follows.following(caller(request).user_id, username, *page_args(request)).to_dict()


@users.route("/users/{username}/block", methods=["POST"])
def block(username: str) -> dict[str, Any]:
    blocks.block(caller(users.current_request).user_id, username)
    return {"status": "blocked"}


@users.route("/users/{username}/block", methods=["DELETE"])
def unblock(username: str) -> dict[str, Any]:
    blocks.unblock(caller(users.current_request).user_id, username)
    return {"status": "none"}



@users.route("/users/{username}/posts", methods=["GET"])
def user_posts(username: str) -> dict[str, Any]:
    request = users.current_request
    return posts.by_author(caller(request).user_id, username, *page_args(request))
