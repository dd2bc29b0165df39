"""Posts and what hangs off them: /uploads, /posts (likes, comments, saves, people tags), a
profile's grid (/users/{username}/posts), the posts an account is tagged on
(/users/{username}/tagged) and your saved posts (/me/saved)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Response

from chalicelib.core.deferred import deferred
from chalicelib.core.http import ApiBlueprint, caller, json_body, page_args

if TYPE_CHECKING:  # imported on a route's first call: chalicelib/core/deferred.py
    from chalicelib.core import uploads
    from chalicelib.posts import authoring, cards, comments, likes, saves, tags
else:
    uploads = deferred("chalicelib.core", "uploads")
    authoring, cards, comments, likes, saves, tags = deferred(
        "chalicelib.posts", "authoring, cards, comments, likes, saves, tags"
    )

upload_slots = ApiBlueprint(__name__)  # url_prefix /uploads
posts_api = ApiBlueprint(__name__)  # url_prefix /posts
grid = ApiBlueprint(__name__)  # url_prefix /users/{username}/posts
tagged = ApiBlueprint(__name__)  # url_prefix /users/{username}/tagged
saved = ApiBlueprint(__name__)  # url_prefix /me/saved


@upload_slots.route("/", methods=["POST"])
def create_upload() -> Response:
    request = upload_slots.current_request
    body = json_body(request)
    slot = uploads.create(caller(request).user_id, body.get("content_type"), body.get("size"))
    return Response(slot, status_code=201)


@posts_api.route("/", methods=["POST"])
def create_post() -> Response:
    request = posts_api.current_request
    body = json_body(request)
    viewer_id = caller(request).user_id
    post = authoring.create(
        viewer_id,
        upload_ids=body.get("upload_ids"),
        caption=body.get("caption", ""),
        filter_name=body.get("filter", "normal"),
        place=body.get("place"),
        media=body.get("media"),
    )
    return Response(cards.view(post, viewer_id), status_code=201)


@posts_api.route("/{post_id}", methods=["GET"])
def get_post(post_id: str) -> dict[str, Any]:
    viewer_id = caller(posts_api.current_request).user_id
    return cards.read(viewer_id, post_id)


@posts_api.route("/{post_id}", methods=["PATCH"])
def edit_post(post_id: str) -> dict[str, Any]:
    request = posts_api.current_request
    viewer_id = caller(request).user_id
    post = authoring.edit(viewer_id, post_id, json_body(request))
    return cards.view(post, viewer_id)


@posts_api.route("/{post_id}", methods=["DELETE"])
def delete_post(post_id: str) -> Response:
    authoring.delete(caller(posts_api.current_request).user_id, post_id)
    return Response("", status_code=204)


@posts_api.route("/{post_id}/tags/me", methods=["DELETE"])
def untag_me(post_id: str) -> Response:
    tags.remove_me(caller(posts_api.current_request).user_id, post_id)
    return Response("", status_code=204)


@posts_api.route("/{post_id}/like", methods=["POST"])
def like(post_id: str) -> dict[str, Any]:
    return likes.like(caller(posts_api.current_request).user_id, post_id)


@posts_api.route("/{post_id}/like", methods=["DELETE"])
def unlike(post_id: str) -> dict[str, Any]:
    return likes.unlike(caller(posts_api.current_request).user_id, post_id)


@posts_api.route("/{post_id}/likes", methods=["GET"])
def list_likes(post_id: str) -> dict[str, Any]:
    request = posts_api.current_request
    return likes.likers(caller(request).user_id, post_id, *page_args(request)).to_dict()


@posts_api.route("/{post_id}/comments", methods=["GET"])
def list_comments(post_id: str) -> dict[str, Any]:
    request = posts_api.current_request
    order = (request.query_params or {}).get("order")
    return comments.listing(caller(request).user_id, post_id, order, *page_args(request)).to_dict()


@posts_api.route("/{post_id}/comments", methods=["POST"])
def add_comment(post_id: str) -> Response:
    request = posts_api.current_request
    comment = comments.add(caller(request).user_id, post_id, json_body(request).get("text"))
    return Response(comment, status_code=201)


@posts_api.route("/{post_id}/comments/{comment_id}/approve", methods=["POST"])
def approve_comment(post_id: str, comment_id: str) -> dict[str, Any]:
    return comments.approve(caller(posts_api.current_request).user_id, post_id, comment_id)


@posts_api.route("/{post_id}/comments/{comment_id}", methods=["DELETE"])
def delete_comment(post_id: str, comment_id: str) -> Response:
    comments.remove(caller(posts_api.current_request).user_id, post_id, comment_id)
    return Response("", status_code=204)


@posts_api.route("/{post_id}/save", methods=["POST"])
def save(post_id: str) -> dict[str, Any]:
    return saves.save(caller(posts_api.current_request).user_id, post_id)


@posts_api.route("/{post_id}/save", methods=["DELETE"])
def unsave(post_id: str) -> dict[str, Any]:
    return saves.unsave(caller(posts_api.current_request).user_id, post_id)


@grid.route("/", methods=["GET"])
def user_posts(username: str) -> dict[str, Any]:
    request = grid.current_request
    return cards.by_author(caller(request).user_id, username, *page_args(request))


@tagged.route("/", methods=["GET"])
def tagged_posts(username: str) -> dict[str, Any]:
    request = tagged.current_request
    return tags.tagged(caller(request).user_id, username, *page_args(request))


@saved.route("/", methods=["GET"])
def saved_posts() -> dict[str, Any]:
    request = saved.current_request
    return saves.saved(caller(request).user_id, *page_args(request)).to_dict()
