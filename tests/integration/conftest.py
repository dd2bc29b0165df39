"""Integration tests drive the local cloud (emulator process, Chalice's HTTP server, the
event bus) over HTTP, as the mobile app does."""

from __future__ import annotations

import io
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from PIL import Image

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


def eventually(check: Callable[[], Any], what: str, timeout: float = 30) -> Any:
    """Streams are asynchronous: wait until ``check`` returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.25)


@pytest.fixture(scope="module")
def photo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (200, 120, 60)).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def publish(api: Api, photo: bytes) -> Callable[..., str]:
    """``publish(account, caption="", place=None)``: a post, returned once it is ready."""

    def make(account: Account, caption: str = "", place: dict | None = None) -> str:
        slot = api.call("POST", "/uploads", {"content_type": "image/jpeg", "size": len(photo)},
                        token=account.access_token).json()  # fmt: skip
        sent = requests.post(slot["url"], data=slot["fields"], timeout=30,
                             files={"file": ("p.jpg", photo, "image/jpeg")})  # fmt: skip
        assert sent.status_code in (200, 201, 204)
        body: dict[str, Any] = {"upload_ids": [slot["upload_id"]], "caption": caption}
        if place:
            body["place"] = place
        created = api.call("POST", "/posts", body, token=account.access_token)
        assert created.status_code == 201, created.text
        post_id = created.json()["post_id"]
        eventually(lambda: api.call("GET", f"/posts/{post_id}", token=account.access_token)
                   .json().get("status") == "ready", f"post {post_id} to be ready")  # fmt: skip
        return post_id

    return make
