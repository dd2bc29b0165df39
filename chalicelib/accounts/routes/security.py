"""/me/password and /me/2fa: changing your password, two-factor authentication."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Response

from chalicelib.core.deferred import deferred
from chalicelib.core.http import ApiBlueprint, caller, json_body

if TYPE_CHECKING:  # imported on a route's first call: chalicelib/core/deferred.py
    from chalicelib.accounts import auth, profiles, two_factor
else:
    auth, profiles, two_factor = deferred("chalicelib.accounts", "auth, profiles, two_factor")

security = ApiBlueprint(__name__)  # url_prefix /me


@security.route("/password", methods=["POST"])
def change_password() -> Response:
    request = security.current_request
    body, me = json_body(request), caller(request)
    auth.change_password(
        me.user_id, me.session_id, body.get("current_password"), body.get("new_password")
    )
    return Response("", status_code=204)


@security.route("/2fa", methods=["POST"])
def enrol_two_factor() -> dict[str, str]:
    return two_factor.enrol(profiles.by_id(caller(security.current_request).user_id))


@security.route("/2fa/confirm", methods=["POST"])
def confirm_two_factor() -> dict[str, Any]:
    request = security.current_request
    me = caller(request)
    codes = two_factor.confirm(
        profiles.by_id(me.user_id), me.session_id, json_body(request).get("code")
    )
    return {"recovery_codes": codes}


@security.route("/2fa", methods=["DELETE"])
def disable_two_factor() -> Response:
    request = security.current_request
    body = json_body(request)
    user = profiles.by_id(caller(request).user_id)
    two_factor.disable(user, body.get("code"), body.get("recovery_code"))
    return Response("", status_code=204)
