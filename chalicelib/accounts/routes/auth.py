"""/auth: register, log in (and its second step), refresh, log out (public: no access token
needed)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Response

from chalicelib.core.deferred import deferred
from chalicelib.core.http import ApiBlueprint, json_body

if TYPE_CHECKING:  # imported on a route's first call: chalicelib/core/deferred.py
    from chalicelib.accounts import auth, profiles
    from chalicelib.accounts.tokens import AccessToken
else:
    auth, profiles = deferred("chalicelib.accounts", "auth, profiles")

sign_in = ApiBlueprint(__name__)  # url_prefix /auth


@sign_in.route("/register", methods=["POST"])
def register() -> Response:
    body = json_body(sign_in.current_request)
    signed_in = auth.register(
        username=body.get("username"),
        email=body.get("email"),
        password=body.get("password"),
        full_name=body.get("full_name", ""),
        user_agent=_user_agent(),
    )
    return Response(_signed_in(signed_in), status_code=201)


@sign_in.route("/login", methods=["POST"])
def login() -> dict[str, Any]:
    body = json_body(sign_in.current_request)
    login_name = body.get("login", body.get("username", body.get("email")))
    outcome = auth.login(login_name, body.get("password"), _user_agent())
    if isinstance(outcome, auth.SecondStep):
        return {"two_factor_required": True, "challenge": outcome.challenge}
    return _signed_in(outcome)


@sign_in.route("/login/2fa", methods=["POST"])
def login_second_step() -> dict[str, Any]:
    body = json_body(sign_in.current_request)
    signed_in = auth.complete_login(
        body.get("challenge"), body.get("code"), body.get("recovery_code"), _user_agent()
    )
    return _signed_in(signed_in)


@sign_in.route("/refresh", methods=["POST"])
def refresh() -> dict[str, Any]:
    refreshed = auth.refresh(json_body(sign_in.current_request).get("refresh_token"))
    return _tokens(refreshed.access_token, refreshed.refresh_token)


@sign_in.route("/logout", methods=["POST"])
def logout() -> Response:
    auth.logout(json_body(sign_in.current_request).get("refresh_token"))
    return Response("", status_code=204)


def _user_agent() -> str | None:
    return (sign_in.current_request.headers or {}).get("user-agent")


def _signed_in(signed_in: auth.SignedIn) -> dict[str, Any]:
    return {
        "user": profiles.me(signed_in.user),
        **_tokens(signed_in.access_token, signed_in.refresh_token),
    }


def _tokens(access: AccessToken, refresh_token: str) -> dict[str, Any]:
    return {
        "access_token": access.token,
        "token_type": "Bearer",
        "expires_in": access.expires_in,
        "refresh_token": refresh_token,
    }
