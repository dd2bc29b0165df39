"""/me (DELETE) and /me/export: deleting your account, downloading your data."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Response

from chalicelib.core.deferred import deferred
from chalicelib.core.http import ApiBlueprint, caller, json_body

if TYPE_CHECKING:  # imported on a route's first call: chalicelib/core/deferred.py
    from chalicelib.accounts import closing
    from chalicelib.lifecycle import export
else:
    closing = deferred("chalicelib.accounts", "closing")
    export = deferred("chalicelib.lifecycle", "export")

account = ApiBlueprint(__name__)  # url_prefix /me


@account.route("/", methods=["DELETE"])
def delete_me() -> Response:
    request = account.current_request
    closing.close(caller(request).user_id, json_body(request).get("password"))
    return Response({"status": "deleting"}, status_code=202)


@account.route("/export", methods=["POST"])
def request_export() -> Response:
    return Response(export.request(caller(account.current_request).user_id), status_code=202)


@account.route("/export", methods=["GET"])
def export_status() -> dict[str, Any]:
    return export.status(caller(account.current_request).user_id)
