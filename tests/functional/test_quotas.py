"""Rate limits through the app in-process (Chalice's test client on moto), with limits set
small through RATE_LIMITS, as an operator would: the public /auth routes per address, the
account's own kinds, and the setting itself."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from chalice.test import Client

from chalicelib.core import ratelimit
from chalicelib.core.settings import RATE_LIMITS, Settings
from tests.functional.events import stack_environment

PASSWORD = "correct horse battery"
ADDRESS = "127.0.0.1"  # Chalice's test client, like `chalice local`, calls from here


@pytest.fixture
def client(aws: None, tmp_path: Path) -> Iterator[Client]:
    ratelimit.reset(f"quota#signin#{ADDRESS}")  # other modules signed up from it too
    with stack_environment(
        RATE_LIMITS="signin=3/60,account=2/600", SEARCH_SQLITE_PATH=str(tmp_path / "s.sqlite")
    ):
        from app import app

        with Client(app, project_dir=str(tmp_path)) as test_client:
            yield test_client
    ratelimit.reset(f"quota#signin#{ADDRESS}")


def call(client: Client, method: str, path: str, body: object = None, token: str = "") -> object:
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    raw = b"" if body is None else json.dumps(body)
    return client.http.request(method, path, headers=headers, body=raw)


def register(client: Client) -> object:
    name = "q_" + secrets.token_hex(5)
    body = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
    return call(client, "POST", "/auth/register", body)


def test_the_public_auth_routes_are_limited_per_address(client: Client) -> None:
    answers = [register(client) for _ in range(4)]
    assert [a.status_code for a in answers] == [201, 201, 201, 429]
    refused = answers[-1]
    assert refused.json_body["error"]["code"] == "rate_limited"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    # A signed-in account's own actions are not the address's: they go on.
    token = answers[0].json_body["access_token"]
    assert call(client, "GET", "/me", token=token).status_code == 200


def test_an_accounts_kind_of_action_stops_at_its_limit_and_changes_nothing(
    client: Client,
) -> None:
    token = register(client).json_body["access_token"]
    for bio in ("one", "two"):
        assert call(client, "PATCH", "/me", {"bio": bio}, token).status_code == 200
    refused = call(client, "PATCH", "/me", {"bio": "three"}, token)
    assert refused.status_code == 429
    assert refused.json_body["error"]["code"] == "rate_limited"
    assert 1 <= int(refused.headers["Retry-After"]) <= 600
    assert call(client, "GET", "/me", token=token).json_body["bio"] == "two"


def test_rate_limits_change_only_the_kinds_named() -> None:
    limits = Settings.from_env({"RATE_LIMITS": "comment=5/10, post=1/3600"}).rate_limits
    assert limits["comment"] == (5, 10) and limits["post"] == (1, 3600)
    assert {k: v for k, v in limits.items() if k not in ("comment", "post")} == {
        k: v for k, v in RATE_LIMITS.items() if k not in ("comment", "post")
    }
    with pytest.raises(ValueError, match="the kinds are"):
        Settings.from_env({"RATE_LIMITS": "likes=5/10"})
