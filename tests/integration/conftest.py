"""Integration tests drive the local cloud (emulator process, Chalice's HTTP server, the
event bus) over HTTP, as the mobile app does."""

from __future__ import annotations

import io
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from PIL import Image

from local_cloud import mailbox
from local_cloud.harness import RunningCloud

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
        return self.send(method, self.base_url + path, data, sent)

    def send(
        self, method: str, url: str, data: bytes | None, headers: dict[str, str]
    ) -> requests.Response:
        return self.session.request(method, url, data=data, headers=headers, timeout=30)

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
            name,
            f"{name}@example.com",
            body["access_token"],
            body["refresh_token"],
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


# -- mail ----------------------------------------------------------------------------------

TOKEN = re.compile(r"token=([A-Za-z0-9_-]+)")


def mails(cloud: RunningCloud, to: str, subject_contains: str = "") -> list[dict[str, Any]]:
    """The mail the cloud sent to ``to`` so far, oldest first, read from its mailbox
    (local_cloud/mailbox.py: each mail a JSON file with to, subject, text...)."""
    wanted = subject_contains.lower()
    return [
        mail
        for mail in mailbox.read(mailbox.folder(cloud.state_dir), to=to)
        if wanted in mail["subject"].lower()
    ]


def wait_for_mail(
    cloud: RunningCloud, to: str, subject_contains: str, n: int = 1, timeout: float = 30
) -> dict[str, Any]:
    """The ``n``-th mail (oldest first) to ``to`` whose subject holds ``subject_contains``,
    once it is there: account mail leaves through the account-jobs queue, and in the
    LocalStack lane the launcher copies it from LocalStack into the mailbox."""

    def arrived() -> dict[str, Any] | None:
        found = mails(cloud, to, subject_contains)
        return found[n - 1] if len(found) >= n else None

    return eventually(arrived, f"mail #{n} to {to} about {subject_contains!r}", timeout)


def token_in(mail: dict[str, Any]) -> str:
    """The token of a mail's link."""
    found = TOKEN.search(mail["text"] or "")
    assert found, f"no token in {mail['subject']!r}: {mail['text']!r}"
    return found.group(1)


@pytest.fixture(scope="module")
def photo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (200, 120, 60)).save(buffer, "JPEG")
    return buffer.getvalue()


def upload_photo(api: Api, account: Account, photo: bytes) -> str:
    """A JPEG sent to a fresh upload slot, as the app does: the slot's id."""
    slot = api.call(
        "POST",
        "/uploads",
        {"content_type": "image/jpeg", "size": len(photo)},
        token=account.access_token,
    ).json()
    sent = requests.post(
        slot["url"],
        data=slot["fields"],
        timeout=30,
        files={"file": ("p.jpg", photo, "image/jpeg")},
    )
    assert sent.status_code in (200, 201, 204)
    return slot["upload_id"]


@pytest.fixture(scope="module")
def publish(api: Api, photo: bytes) -> Callable[..., str]:
    """``publish(account, caption="", place=None)``: a post, returned once it is ready."""

    def make(account: Account, caption: str = "", place: dict | None = None) -> str:
        upload_id = upload_photo(api, account, photo)
        body: dict[str, Any] = {"upload_ids": [upload_id], "caption": caption}
        if place:
            body["place"] = place
        created = api.call("POST", "/posts", body, token=account.access_token)
        assert created.status_code == 201, created.text
        post_id = created.json()["post_id"]
        eventually(
            lambda: (
                api.call("GET", f"/posts/{post_id}", token=account.access_token)
                .json()
                .get("status")
                == "ready"
            ),
            f"post {post_id} to be ready",
        )
        return post_id

    return make
