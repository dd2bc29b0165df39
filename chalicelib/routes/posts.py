"""Posts and what hangs off them: uploads, posts, likes, comments, saves."""

from __future__ import annotations

from typing import Any

from chalice import Response

from chalicelib import comments, likes, posts, saves, uploads
from chalicelib.routes.http import ApiBlueprint, caller, json_body, page_args

posts_api = ApiBlueprint(__name__)


@posts_api.route("/uploads", methods=["POST"])
def create_upload() -> Response:
    request = posts_api.current_request
    body = json_body(request)
    slot = uploads.create(caller(request).user_id, body.get("content_type"), body.get("size"))
    return Response(slot, status_code=201)


@posts_api.route("/posts", methods=["POST"])
def create_post() -> Response:
    request = posts_api.current_request
    body = json_body(request)
    viewer_id = caller(request).user_id
    post = posts.create(
        viewer_id,
        upload_ids=body.get("upload_ids"),
        caption=body.get("caption", ""),
        filter_name=body.get("filter", "normal"),
        place=body.get("place"),
    )
    return Response(posts.view(post, viewer_id), status_code=201)


@posts_api.route("/posts/{post_id}", methods=["GET"])
def get_post(post_id: str) -> dict[str, Any]:
    viewer_id = caller(posts_api.current_request).user_id
    return posts.read(viewer_id, post_id)


@posts_api.route("/posts/{post_id}", methods=["PATCH"])
def edit_post(post_id: str) -> dict[str, Any]:
    request = posts_api.current_request
    viewer_id = caller(request).user_id
    post = posts.update_caption(viewer_id, post_id, json_body(request).get("caption"))
    return posts.view(post, viewer_id)


@posts_api.route("/posts/{post_id}", methods=["DELETE"])
def delete_post(post_id: str) -> Response:
    posts.delete(caller(posts_api.current_request).user_id, post_id)
    return Response("", status_code=204)


@posts_api.route("/posts/{post_id}/like", methods=["POST"])
def like(post_id: str) -> dict[str, Any]:
    return likes.like(caller(posts_api.current_request).user_id, post_id)


@posts_api.route("/posts/{post_id}/like", methods=["DELETE"])
def unlike(post_id: str) -> dict[str, Any]:
    return likes.unlike(caller(posts_api.current_request).user_id, post_id)


@posts_api.route("/posts/{post_id}/likes", methods=["GET"])
def list_likes(post_id: str) -> dict[str, Any]:
    request = posts_api.current_request
    return likes.likers(caller(request).user_id, post_id, *page_args(request)).to_dict()


@posts_api.route("/posts/{post_id}/comments", methods=["GET"])
def list_comments(post_id: str) -> dict[str, Any]:
    request = posts_api.current_request
    order = (request.query_params or {}).get("order")
    return comments.listing(caller(request).user_id, post_id, order,
                            *page_args(request)).to_dict()  # fmt: skip


@posts_api.route("/posts/{post_id}/comments", methods=["POST"])
def add_comment(post_id: str) -> Response:
    request = posts_api.current_request
    comment = comments.add(caller(request).user_id, post_id, json_body(request).get("text"))
    return Response(comment, status_code=201)


@posts_api.route("/posts/{post_id}/comments/{comment_id}", methods=["DELETE"])
def delete_comment(post_id: str, comment_id: str) -> Response:
    comments.remove(caller(posts_api.current_request).user_id, post_id, comment_id)
    return Response("", status_code=204)


@posts_api.route("/posts/{post_id}/save", methods=["POST"])
def save(post_id: str) -> dict[str, Any]:
    return saves.save(caller(posts_api.current_request).user_id, post_id)


@posts_api.route("/posts/{post_id}/save", methods=["DELETE"])
def unsave(post_id: str) -> dict[str, Any]:
    return saves.unsave(caller(posts_api.current_request).user_id, post_id)
