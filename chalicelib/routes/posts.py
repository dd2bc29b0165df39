"""Uploads and posts: POST /uploads, POST /posts, GET /posts/{id}."""

from __future__ import annotations

from typing import Any

from chalice import Response

from chalicelib import posts, uploads
from chalicelib.routes.http import ApiBlueprint, caller, json_body

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
    post = posts.create(
        caller(request).user_id,
        upload_ids=body.get("upload_ids"),
        caption=body.get("caption", ""),
        filter_name=body.get("filter", "normal"),
        place=body.get("place"),
    )
    return Response(posts.view(post), status_code=201)


@posts_api.route("/posts/{post_id}", methods=["GET"])
def get_post(post_id: str) -> dict[str, Any]:
    return posts.view(posts.get_visible(caller(posts_api.current_request).user_id, post_id))
