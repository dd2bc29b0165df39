"""Accounts and tokens over HTTP, including every refusal the mobile app can meet."""

from __future__ import annotations

import base64
import json
import secrets
import time
from concurrent.futures import ThreadPoolExecutor

import jwt
import pytest

from tests.integration.conftest import PASSWORD, Api, error_code

pytestmark = pytest.mark.integration


def test_register_login_refresh_logout(api: Api) -> None:
    account = api.register()
    me = api.call("GET", "/me", token=account.access_token)
    assert me.status_code == 200
    assert me.json()["username"] == account.username
    assert "password_hash" not in me.json()

    for login_name in (account.username.upper(), account.email):
        login = api.call("POST", "/auth/login", {"login": login_name, "password": PASSWORD})
        assert login.status_code == 200, login.text
        assert login.json()["token_type"] == "Bearer"

    refreshed = api.call("POST", "/auth/refresh", {"refresh_token": account.refresh_token})
    assert refreshed.status_code == 200
    new_refresh = refreshed.json()["refresh_token"]
    assert new_refresh != account.refresh_token
    assert api.call("GET", "/me", token=refreshed.json()["access_token"]).status_code == 200

    assert api.call("POST", "/auth/logout", {"refresh_token": new_refresh}).status_code == 204
    after = api.call("POST", "/auth/refresh", {"refresh_token": new_refresh})
    assert after.status_code == 401


def test_replaying_a_rotated_refresh_token_revokes_the_session(api: Api) -> None:
    stolen = api.register().refresh_token
    legit = api.call("POST", "/auth/refresh", {"refresh_token": stolen}).json()["refresh_token"]
    replay = api.call("POST", "/auth/refresh", {"refresh_token": stolen})
    assert replay.status_code == 401
    assert error_code(replay) == "refresh_token_reused"
    assert api.call("POST", "/auth/refresh", {"refresh_token": legit}).status_code == 401


def test_two_concurrent_registrations_of_one_name_exactly_one_wins(api: Api) -> None:
    name = "race_" + secrets.token_hex(4)

    def attempt(index: int) -> int:
        body = {"username": name, "email": f"{name}{index}@example.com", "password": PASSWORD}
        return api.call("POST", "/auth/register", body).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(attempt, range(8)))
    assert sorted(statuses) == [201] + [409] * 7


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"username": "ok_name", "email": "x@example.com"}, "validation_error"),
        (
            {"username": "bad name", "email": "x@example.com", "password": PASSWORD},
            "validation_error",
        ),
        (
            {"username": "a" * 31, "email": "x@example.com", "password": PASSWORD},
            "validation_error",
        ),
        (
            {"username": "ok_name", "email": "not-an-email", "password": PASSWORD},
            "validation_error",
        ),
        (
            {"username": "ok_name", "email": "x@example.com", "password": "short"},
            "validation_error",
        ),
        ({"username": 12, "email": "x@example.com", "password": PASSWORD}, "validation_error"),
        ({"username": "admin", "email": "x@example.com", "password": PASSWORD}, "username_taken"),
    ],
)
def test_bad_registrations_get_a_clear_4xx(api: Api, body: dict, code: str) -> None:
    response = api.call("POST", "/auth/register", body)
    assert 400 <= response.status_code < 500
    assert error_code(response) == code
    assert response.json()["error"]["message"]


def test_a_taken_username_is_409_and_a_taken_email_is_not(api: Api) -> None:
    taken = api.register()
    same_name = api.call(
        "POST",
        "/auth/register",
        {"username": taken.username.upper(), "email": "new@example.com", "password": PASSWORD},
    )
    assert (same_name.status_code, error_code(same_name)) == (409, "username_taken")
    same_email = api.call(
        "POST",
        "/auth/register",
        {
            "username": "n_" + secrets.token_hex(4),
            "email": taken.email.upper(),
            "password": PASSWORD,
        },
    )
    # Registration does not say whether an email has an account (test_account_mail_http.py).
    assert same_email.status_code == 201, same_email.text
    assert same_email.json()["user"]["email_verified"] is False


@pytest.mark.parametrize(
    ("raw", "content_type", "status", "code"),
    [
        (b"{not json", "application/json", 400, "invalid_json"),
        (b"[1, 2]", "application/json", 400, "invalid_json"),
        (b"\xff\xfe", "application/json", 400, "invalid_json"),
        (b"x" * 70_000, "application/json", 413, "payload_too_large"),
        (b"username=a", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
    ],
)
def test_malformed_bodies_are_refused_without_a_500(
    api: Api, raw: bytes, content_type: str, status: int, code: str
) -> None:
    response = api.call("POST", "/auth/register", raw=raw, headers={"Content-Type": content_type})
    assert response.status_code == status, response.text
    assert error_code(response) == code


def test_login_failures_look_the_same_and_then_lock(api: Api) -> None:
    account = api.register()
    wrong = api.call("POST", "/auth/login", {"login": account.username, "password": "nope-nope"})
    unknown = api.call(
        "POST", "/auth/login", {"login": "ghost_" + secrets.token_hex(4), "password": "nope-nope"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    for _ in range(4):
        api.call("POST", "/auth/login", {"login": account.username, "password": "nope-nope"})
    locked = api.call("POST", "/auth/login", {"login": account.username, "password": PASSWORD})
    assert locked.status_code == 429
    assert error_code(locked) == "too_many_attempts"
    assert int(locked.headers["Retry-After"]) > 0


def test_failures_sent_side_by_side_each_count(api: Api) -> None:
    account = api.register()

    def fail(_: int) -> int:
        body = {"login": account.username, "password": "nope-nope"}
        return api.call("POST", "/auth/login", body).status_code

    with ThreadPoolExecutor(max_workers=5) as pool:
        assert set(pool.map(fail, range(5))) == {401}
    locked = api.call("POST", "/auth/login", {"login": account.username, "password": PASSWORD})
    assert locked.status_code == 429


def _forge(claims: dict, key: str, algorithm: str = "HS256") -> str:
    return jwt.encode(claims, key, algorithm=algorithm)


def _segment(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def test_bad_access_tokens_are_401(api: Api, local_cloud) -> None:  # noqa: ANN001
    account = api.register()
    real = jwt.decode(account.access_token, options={"verify_signature": False})
    secret = local_cloud.env["JWT_SECRET"]
    header, payload, signature = account.access_token.split(".")
    forged_payload = _segment({**real, "sub": "someone-else"})
    bad_tokens = {
        "alg none": f"{_segment({'alg': 'none', 'typ': 'JWT'})}.{_segment(real)}.",
        "wrong key": _forge(real, "not-the-server-secret-but-long-enough-1234"),
        "wrong algorithm": _forge(real, secret, "HS512"),
        "expired": _forge({**real, "exp": int(time.time()) - 10}, secret),
        "tampered": f"{header}.{forged_payload}.{signature}",
        "wrong audience": _forge({**real, "aud": "another-service"}, secret),
        "garbage": "not-a-token",
    }
    for name, token in bad_tokens.items():
        response = api.call("GET", "/me", token=token)
        assert response.status_code == 401, name
        assert error_code(response) in {"invalid_token", "token_expired"}, name
    assert error_code(api.call("GET", "/me", token=bad_tokens["expired"])) == "token_expired"
    missing = api.call("GET", "/me")
    assert (missing.status_code, error_code(missing)) == (401, "unauthenticated")
