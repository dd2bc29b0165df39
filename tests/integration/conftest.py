"""Integration tests drive the local cloud (emulator process, Chalice's HTTP server, the
event bus) over HTTP, as the mobile app does."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import pytest
import requests

pytestmark = pytest.mark.integration

PASSWORD = "correct horse battery"


@dataclass
class Account:
    username: str
    email: str
    access_token: str
    refresh_token: str
    user_id: str


class Api:
    """A thin HTTP client bound to the local API, speaking JSON."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        token: str | None = None,
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> requests.Response:
        sent = {"Content-Type": "application/json"}
        if token:
            sent["Authorization"] = f"Bearer {token}"
        sent.update(headers or {})
        data = raw if raw is not None else (None if body is None else _json(body))
        return self.session.request(
            method, self.base_url + path, data=data, headers=sent, timeout=30
        )

    def register(self, private: bool = False, username: str | None = None) -> Account:
        name = username or "u_" + secrets.token_hex(5)
        response = self.call(
            "POST",
            "/auth/register",
            {"username": name, "email": f"{name}@example.com", "password": PASSWORD},
        )
        assert response.status_code == 201, response.text
        body = response.json()
        account = Account(
            name, f"{name}@example.com", body["access_token"], body["refresh_token"],
            body["user"]["user_id"],
        )
        if private:
            update = self.call("PATCH", "/me", {"is_private": True}, token=account.access_token)
            assert update.status_code == 200, update.text
        return account


def _json(body: Any) -> bytes:
    import json

    return json.dumps(body).encode()


@pytest.fixture(scope="session")
def api(local_cloud) -> Api:  # noqa: ANN001 - the fixture comes from tests/conftest.py
    return Api(local_cloud.api_url)


def error_code(response: requests.Response) -> str:
    return response.json()["error"]["code"]
