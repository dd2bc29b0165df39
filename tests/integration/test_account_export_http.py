"""Downloading your data over HTTP, against the local cloud: ``POST /me/export`` asks, the
job builds a zip in the exports bucket, ``GET /me/export`` hands out a presigned link that
expires, a mail says it is ready. The zip is checked file by file: the photos are the
largest renditions, the sessions carry no secrets."""

from __future__ import annotations

import io
import json
import random
import time
import zipfile
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from PIL import Image

from tests.conftest import RunningCloud
from tests.integration.conftest import (
    PASSWORD,
    Account,
    Api,
    error_code,
    eventually,
    wait_for_mail,
)

pytestmark = pytest.mark.integration

EXPORT_URL_SECONDS = 3600  # settings().export_url_seconds, the default
FILES = {
    "profile.json",
    "posts.json",
    "comments.json",
    "likes.json",
    "saves.json",
    "followers.json",
    "following.json",
    "messages.json",
    "searches.json",
    "sessions.json",
}


def call(api: Api, who: Account, method: str, path: str, body: Any = None, ok: int = 200) -> Any:
    response = api.call(method, path, body, token=who.access_token)
    assert response.status_code == ok, f"{method} {path}: {response.status_code} {response.text}"
    return response.json() if response.content else None


def big_photo(seed: int) -> bytes:
    """1600×1200 with some texture: every rendition size (1080, 640, 320, thumb) is made."""
    rng = random.Random(seed)
    image = Image.new("RGB", (1600, 1200), (rng.randrange(256), 90, 160))
    for _ in range(200):
        x, y = rng.randrange(1600), rng.randrange(1200)
        image.paste((rng.randrange(256), rng.randrange(256), 0), (x, y, x + 60, y + 60))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def post_photos(api: Api, who: Account, photos: list[bytes], **fields: Any) -> str:
    """A post of several photos, returned once it is ready."""
    ids = []
    for data in photos:
        slot = call(
            api, who, "POST", "/uploads", {"content_type": "image/jpeg", "size": len(data)}, 201
        )
        sent = requests.post(
            slot["url"],
            data=slot["fields"],
            files={"file": ("p.jpg", data, "image/jpeg")},
            timeout=30,
        )
        assert sent.status_code in (200, 201, 204)
        ids.append(slot["upload_id"])
    post_id = call(api, who, "POST", "/posts", {"upload_ids": ids, **fields}, 201)["post_id"]
    eventually(
        lambda: call(api, who, "GET", f"/posts/{post_id}")["status"] == "ready",
        "the post to be ready",
        timeout=60,
    )
    return post_id


def test_an_export_holds_the_account_and_its_largest_photos(
    api: Api, publish, local_cloud: RunningCloud
) -> None:
    me, friend, other = api.register(), api.register(), api.register()
    assert call(api, me, "GET", "/me/export") == {
        "status": "none",
        "url": None,
        "expires_at": None,
        "requested_at": None,
        "ready_at": None,
    }
    # Something of everything: posts (one of two photos, with a place and a filter), a
    # comment, likes, a save, follows both ways, a 1:1 and a group, a search, two sessions.
    place = {"name": "Export café", "lat": 45.5, "lng": 9.25}
    first = post_photos(
        api, me, [big_photo(1), big_photo(2)], caption="two #views", place=place, filter="juno"
    )
    second = post_photos(api, me, [big_photo(3)], caption="one more")
    details = [
        {"alt_text": "the first view", "tags": [{"username": friend.username, "x": 0.5, "y": 1}]},
        {},
    ]
    call(api, me, "PATCH", f"/posts/{first}", {"media": details})
    theirs = publish(friend, "the friend's")
    call(api, me, "POST", f"/posts/{theirs}/like")
    call(api, me, "POST", f"/posts/{first}/like")
    call(api, me, "POST", f"/posts/{theirs}/comments", {"text": "exported words"}, 201)
    call(api, me, "POST", f"/posts/{theirs}/save")
    call(api, me, "POST", f"/users/{friend.username}/follow")
    call(api, friend, "POST", f"/users/{me.username}/follow")
    call(api, other, "POST", f"/users/{me.username}/follow")
    direct = call(api, me, "POST", "/conversations", {"usernames": [friend.username]}, 201)
    call(
        api,
        me,
        "POST",
        f"/conversations/{direct['conversation_id']}/messages",
        {"text": "mine"},
        201,
    )
    call(
        api,
        friend,
        "POST",
        f"/conversations/{direct['conversation_id']}/messages",
        {"text": "theirs"},
        201,
    )
    group = call(
        api,
        me,
        "POST",
        "/conversations",
        {"usernames": [friend.username, other.username], "name": "g"},
        201,
    )
    call(
        api,
        other,
        "POST",
        f"/conversations/{group['conversation_id']}/messages",
        {"text": "hi all"},
        201,
    )
    call(
        api,
        me,
        "POST",
        "/search/recent",
        {"query": friend.username, "type": "user", "id": friend.user_id},
        201,
    )
    second_login = api.call(
        "POST",
        "/auth/login",
        {"login": me.username, "password": PASSWORD},
        headers={"User-Agent": "Glimpse/2.0 (tablet)"},
    )
    assert second_login.status_code == 200

    asked = api.call("POST", "/me/export", token=me.access_token)
    assert asked.status_code == 202, asked.text
    assert asked.json()["status"] in ("building", "ready")
    started = time.monotonic()
    again = call(api, me, "POST", "/me/export", ok=202)  # while building: the same export
    assert again["requested_at"] == asked.json()["requested_at"]
    ready = eventually(
        lambda: (found := call(api, me, "GET", "/me/export"))["status"] == "ready" and found,
        "the export to be ready",
        timeout=60,
    )
    took = time.monotonic() - started
    now_ms = time.time() * 1000
    assert abs(ready["expires_at"] - (now_ms + EXPORT_URL_SECONDS * 1000)) < 60_000
    assert ready["ready_at"] >= ready["requested_at"]
    assert parse_qs(urlparse(ready["url"]).query)["X-Amz-Expires"] == [str(EXPORT_URL_SECONDS)]
    # A link another account asks for is its own: nobody else's export.
    assert call(api, friend, "GET", "/me/export")["status"] == "none"

    download = requests.get(ready["url"], timeout=30)
    assert download.status_code == 200, download.text[:300]
    archive = zipfile.ZipFile(io.BytesIO(download.content))
    names = set(archive.namelist())
    photos = {f"posts/{first}/0.jpg", f"posts/{first}/1.jpg", f"posts/{second}/0.jpg"}
    assert FILES | photos == names, names

    def read(name: str) -> Any:
        return json.loads(archive.read(name))

    profile = read("profile.json")
    assert (profile["user_id"], profile["username"], profile["email"]) == (
        me.user_id,
        me.username,
        me.email,
    )
    assert profile["followers_count"] == 2 and profile["following_count"] == 1
    posts = {p["post_id"]: p for p in read("posts.json")}
    assert set(posts) == {first, second}
    assert posts[first]["caption"] == "two #views"
    assert posts[first]["hashtags"] == ["views"]
    assert posts[first]["filter"] == "juno"
    assert posts[first]["place"] == place
    assert [image["alt_text"] for image in posts[first]["images"]] == ["the first view", None]
    assert [image["tags"] for image in posts[first]["images"]] == [
        [{"username": friend.username, "x": 0.5, "y": 1.0}],
        [],
    ]
    assert [image["file"] for image in posts[first]["images"]] == [
        f"posts/{first}/0.jpg",
        f"posts/{first}/1.jpg",
    ]
    # Each photo is its post's largest rendition, byte for byte.
    for post_id in (first, second):
        shown = call(api, me, "GET", f"/posts/{post_id}")
        for index, image in enumerate(shown["images"]):
            largest = max(image["renditions"].values(), key=lambda r: r["width"] * r["height"])
            exported = archive.read(f"posts/{post_id}/{index}.jpg")
            assert exported == requests.get(largest["url"], timeout=30).content
            assert Image.open(io.BytesIO(exported)).size == (largest["width"], largest["height"])
            assert largest["width"] == 1080
            assert posts[post_id]["images"][index]["width"] == 1080
    assert [c["text"] for c in read("comments.json")] == ["exported words"]
    assert {like["post_id"] for like in read("likes.json")} == {theirs, first}
    assert [s["post_id"] for s in read("saves.json")] == [theirs]
    assert {f["username"] for f in read("followers.json")} == {friend.username, other.username}
    assert [f["username"] for f in read("following.json")] == [friend.username]
    conversations = {c["conversation_id"]: c for c in read("messages.json")}
    assert set(conversations) == {direct["conversation_id"], group["conversation_id"]}
    in_direct = conversations[direct["conversation_id"]]["messages"]
    assert [(m["from"], m["text"]) for m in in_direct] == [
        (me.username, "mine"),
        (friend.username, "theirs"),
    ]  # oldest first
    assert [m["text"] for m in conversations[group["conversation_id"]]["messages"]] == ["hi all"]
    assert read("searches.json")[0]["id"] == friend.user_id
    sessions = read("sessions.json")
    assert len(sessions) == 2
    assert "Glimpse/2.0 (tablet)" in {s["user_agent"] for s in sessions}
    everything = b"".join(archive.read(name) for name in FILES).decode()
    for secret in (me.refresh_token, me.refresh_token.split(".", 1)[1], PASSWORD, "scrypt$"):
        assert secret not in everything
    assert not {"secret_hash", "previous_hashes", "password_hash"} & {
        key for s in sessions for key in s
    }

    # The mail says it is ready (and carries no link: the app asks GET /me/export).
    mail = wait_for_mail(local_cloud, me.email, "data is ready")
    assert "http" not in (mail["text"] or "")

    # At most three a day: two more builds, then 429.
    for _ in range(2):
        call(api, me, "POST", "/me/export", ok=202)
        eventually(
            lambda: call(api, me, "GET", "/me/export")["status"] == "ready",
            "another export",
            timeout=60,
        )
    refused = api.call("POST", "/me/export", token=me.access_token)
    assert refused.status_code == 429 and error_code(refused) == "rate_limited"
    assert int(refused.headers["Retry-After"]) > 0
    print(  # noqa: T201 - the figure the README quotes
        f"\nexport of 3 photos (1080 px) and the JSON files: ready {took:.1f} s after the "
        f"request, {len(download.content)} bytes"
    )
