"""POST /auth/register, /auth/login, /auth/refresh, /auth/logout."""

from __future__ import annotations

from typing import Any

from chalice import Response

from chalicelib import accounts, profiles
from chalicelib.routes.http import ApiBlueprint, json_body
from chalicelib.tokens import AccessToken

auth = ApiBlueprint(__name__)


@auth.route("/auth/register", methods=["POST"])
def register() -> Response:
    body = json_body(auth.current_request)
    signed_in = accounts.register(
        username=body.get("username"),
        email=body.get("email"),
        password=body.get("password"),
        full_name=body.get("full_name", ""),
    )
    return Response(_signed_in(signed_in), status_code=201)


@auth.route("/auth/login", methods=["POST"])
def login() -> dict[str, Any]:
    body = json_body(auth.current_request)
    login_name = body.get("login", body.get("username", body.get("email")))
    return _signed_in(accounts.login(login_name, body.get("password")))


@auth.route("/auth/refresh", methods=["POST"])
def refresh() -> dict[str, Any]:
    refreshed = accounts.refresh(json_body(auth.current_request).get("refresh_token"))
    return _tokens(refreshed.access_token, refreshed.refresh_token)


@auth.route("/auth/logout", methods=["POST"])
def logout() -> Response:
    accounts.logout(json_body(auth.current_request).get("refresh_token"))
    return Response("", status_code=204)


def _signed_in(signed_in: accounts.SignedIn) -> dict[str, Any]:
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
