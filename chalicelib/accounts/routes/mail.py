"""Account mail: what its links lead to (/auth, public: verify an address, forgot and reset a
password) and asking for another verification mail (/me)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Response

from chalicelib.core.deferred import deferred
from chalicelib.core.http import ApiBlueprint, caller, json_body

if TYPE_CHECKING:  # imported on a route's first call: chalicelib/core/deferred.py
    from chalicelib.accounts import recovery, verification
else:
    recovery, verification = deferred("chalicelib.accounts", "recovery, verification")

mail_links = ApiBlueprint(__name__)  # url_prefix /auth
my_email = ApiBlueprint(__name__)  # url_prefix /me


@mail_links.route("/email/verify", methods=["POST"])
def verify_email() -> dict[str, Any]:
    address = verification.verify(json_body(mail_links.current_request).get("token"))
    return {"email": address, "email_verified": True}


@mail_links.route("/password/forgot", methods=["POST"])
def forgot_password() -> Response:
    recovery.forgot(json_body(mail_links.current_request).get("login"))
    return Response("", status_code=202)


@mail_links.route("/password/reset", methods=["POST"])
def reset_password() -> Response:
    body = json_body(mail_links.current_request)
    recovery.reset(body.get("token"), body.get("password"))
    return Response("", status_code=204)


@my_email.route("/email/resend", methods=["POST"])
def resend_verification() -> Response:
    verification.resend(caller(my_email.current_request).user_id)
    return Response("", status_code=202)
