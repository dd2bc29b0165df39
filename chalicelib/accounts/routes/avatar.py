"""/me/avatar: your profile photo, from an upload through the media pipeline."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalice import Response

from chalicelib.core.deferred import deferred
from chalicelib.core.http import ApiBlueprint, caller, json_body

if TYPE_CHECKING:  # imported on a route's first call: chalicelib/core/deferred.py
    from chalicelib.accounts import avatars
else:
    avatars = deferred("chalicelib.accounts", "avatars")

avatar = ApiBlueprint(__name__)  # url_prefix /me


@avatar.route("/avatar", methods=["PUT"])
def set_avatar() -> Response:
    request = avatar.current_request
    body = json_body(request)
    # 202: the photo is being processed; avatar.ready / avatar.failed tell the owner's devices.
    shown = avatars.set_photo(caller(request).user_id, body.get("upload_id"))
    return Response(shown, status_code=202)


@avatar.route("/avatar", methods=["DELETE"])
def delete_avatar() -> Response:
    avatars.remove(caller(avatar.current_request).user_id)
    return Response("", status_code=204)
