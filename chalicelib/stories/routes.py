"""Stories: /stories (post one, the tray), /stories/{story_id} (delete, seen, viewers, reply), a
profile's live stories (/users/{username}/stories), your close friends
(/me/close-friends/{username}) and highlights (/me/highlights, /users/{username}/highlights)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Response

from chalicelib.core.deferred import deferred
from chalicelib.core.http import ApiBlueprint, caller, json_body, page_args

if TYPE_CHECKING:  # imported on a route's first call: chalicelib/core/deferred.py
    from chalicelib.accounts import profiles
    from chalicelib.stories import authoring, close_friends, highlights, reading, reply, seen, tray
else:
    profiles = deferred("chalicelib.accounts", "profiles")
    authoring, close_friends, highlights, reading, reply, seen, tray = deferred(
        "chalicelib.stories", "authoring, close_friends, highlights, reading, reply, seen, tray"
    )

stories_api = ApiBlueprint(__name__)  # url_prefix /stories
profile_stories = ApiBlueprint(__name__)  # url_prefix /users/{username}/stories
my_close_friends = ApiBlueprint(__name__)  # url_prefix /me/close-friends
my_highlights = ApiBlueprint(__name__)  # url_prefix /me/highlights
profile_highlights = ApiBlueprint(__name__)  # url_prefix /users/{username}/highlights


@stories_api.route("/", methods=["POST"])
def post_story() -> Response:
    request = stories_api.current_request
    body = json_body(request)
    author = profiles.by_id(caller(request).user_id)
    story = authoring.create(
        author.user_id,
        body.get("upload_id"),
        body.get("audience", "everyone"),
        body.get("text"),
    )
    return Response(reading.view(story, author, author.user_id, {}), status_code=201)


@stories_api.route("/", methods=["GET"])
def story_tray() -> dict[str, Any]:
    request = stories_api.current_request
    limit, cursor = page_args(request)
    return tray.read(caller(request).user_id, limit, cursor)


@stories_api.route("/{story_id}", methods=["DELETE"])
def delete_story(story_id: str) -> Response:
    authoring.delete(caller(stories_api.current_request).user_id, story_id)
    return Response(body="", status_code=204)


@profile_stories.route("/", methods=["GET"])
def stories_of(username: str) -> dict[str, Any]:
    return reading.of_author(caller(profile_stories.current_request).user_id, username)


@stories_api.route("/{story_id}/seen", methods=["POST"])
def story_seen(story_id: str) -> dict[str, Any]:
    return seen.mark(caller(stories_api.current_request).user_id, story_id)


@stories_api.route("/{story_id}/viewers", methods=["GET"])
def story_viewers(story_id: str) -> dict[str, Any]:
    request = stories_api.current_request
    limit, cursor = page_args(request)
    return seen.viewers(caller(request).user_id, story_id, limit, cursor)


@stories_api.route("/{story_id}/reply", methods=["POST"])
def reply_to_story(story_id: str) -> Response:
    request = stories_api.current_request
    body = json_body(request)
    message = reply.reply(caller(request).user_id, story_id, body.get("text"))
    return Response(message, status_code=201)


@my_close_friends.route("/{username}", methods=["PUT"])
def add_close_friend(username: str) -> dict[str, Any]:
    return close_friends.add(caller(my_close_friends.current_request).user_id, username)


@my_close_friends.route("/{username}", methods=["DELETE"])
def remove_close_friend(username: str) -> dict[str, Any]:
    return close_friends.remove(caller(my_close_friends.current_request).user_id, username)


@my_highlights.route("/", methods=["POST"])
def add_highlight() -> Response:
    request = my_highlights.current_request
    kept = highlights.add(caller(request).user_id, json_body(request).get("story_id"))
    return Response(kept, status_code=201)


@my_highlights.route("/", methods=["GET"])
def my_highlight_list() -> dict[str, Any]:
    return highlights.mine(caller(my_highlights.current_request).user_id)


@my_highlights.route("/{story_id}", methods=["DELETE"])
def remove_highlight(story_id: str) -> Response:
    highlights.remove(caller(my_highlights.current_request).user_id, story_id)
    return Response("", status_code=204)


@profile_highlights.route("/", methods=["GET"])
def highlights_of(username: str) -> dict[str, Any]:
    return highlights.of_user(caller(profile_highlights.current_request).user_id, username)
