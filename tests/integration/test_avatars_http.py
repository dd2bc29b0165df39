"""Profile photos end to end on the local cloud, over HTTP and the websocket as the app uses
them: a face photo uploaded with a presigned POST, ``PUT /me/avatar``, the media function
through S3's notification and the media queue, ``avatar.ready`` on the owner's phone, and the
avatar in every summary of the owner (followers, post cards, comments, conversations,
search) from the same round trips; a replacement uploaded before its PUT, a corrupt photo,
``DELETE /me/avatar``, and the slots that may not be taken."""

from __future__ import annotations

import asyncio
import io
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import requests
import websockets
from PIL import ExifTags, Image

from tests.conftest import RunningCloud
from tests.integration.conftest import Account, Api, error_code, eventually

pytestmark = pytest.mark.integration

DATA = Path(__file__).resolve().parents[1] / "functional" / "media" / "data"
FACES = DATA / "sample.jpg"  # three people, the largest face right of centre
OTHER_FACES = DATA / "dlib-faces" / "2008_002506.jpg"
APP1, APP2, COM, SOS = 0xE1, 0xE2, 0xFE, 0xDA


def with_gps(path: Path) -> bytes:
    """A face photo as a phone writes it: EXIF with the camera and where it was taken."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (48.0, 51.0, 29.0)
    buffer = io.BytesIO()
    Image.open(path).save(buffer, "JPEG", quality=92, exif=exif.tobytes(), comment=b"home")
    return buffer.getvalue()


def slot(api: Api, account: Account, size: int) -> dict[str, Any]:
    made = api.call(
        "POST", "/uploads", {"content_type": "image/jpeg", "size": size}, token=account.access_token
    )
    assert made.status_code == 201, made.text
    return made.json()


def send(made: dict[str, Any], data: bytes) -> None:
    sent = requests.post(
        made["url"], data=made["fields"], files={"file": ("me.jpg", data, "image/jpeg")}, timeout=30
    )
    assert sent.status_code in (200, 201, 204), sent.text


def put_avatar(api: Api, account: Account, upload_id: str) -> requests.Response:
    return api.call("PUT", "/me/avatar", {"upload_id": upload_id}, token=account.access_token)


def me(api: Api, account: Account) -> dict[str, Any]:
    return api.call("GET", "/me", token=account.access_token).json()


def wait_for_avatar(api: Api, account: Account, status: str, upload_id: str) -> dict[str, Any]:
    """GET /me until the avatar of ``upload_id`` is ``status``."""

    def arrived() -> dict[str, Any] | None:
        found = me(api, account)
        avatar = found["avatar"]
        if avatar and avatar["status"] == status:
            urls = [r["url"] for r in (avatar["renditions"] or {}).values()]
            if status != "ready" or all(upload_id in url for url in urls):
                return found
        return None

    return eventually(arrived, f"the avatar to be {status}", timeout=90)


def fetch(url: str) -> bytes:
    got = requests.get(url, timeout=30)
    assert got.status_code == 200, url
    return got.content


def header_segments(jpeg: bytes) -> set[int]:
    markers, at = set(), 2
    while at + 4 <= len(jpeg) and jpeg[at] == 0xFF and jpeg[at + 1] != SOS:
        markers.add(jpeg[at + 1])
        at += 2 + int.from_bytes(jpeg[at + 2 : at + 4], "big")
    return markers


def stored(cloud: RunningCloud, user_id: str) -> set[str]:
    listed = cloud.client("s3").list_objects_v2(
        Bucket=cloud.env["MEDIA_BUCKET"], Prefix=f"avatars/{user_id}/"
    )
    return {item["Key"] for item in listed.get("Contents", [])}


def without_urls(avatar: dict[str, Any] | None) -> Any:
    """An avatar as stored: presigned URLs are signed anew on every read."""
    if avatar is None or avatar["renditions"] is None:
        return avatar
    return {
        **avatar,
        "renditions": {
            name: {**r, "url": r["url"].split("?")[0]} for name, r in avatar["renditions"].items()
        },
    }


@pytest.fixture(scope="module")
def owner(api: Api, local_cloud: RunningCloud) -> tuple[Account, dict[str, Any], list[dict]]:
    """An account whose face photo (with GPS EXIF) is set *before* it is uploaded, with the
    owner's phone on the websocket: (account, GET /me once ready, the events it got)."""
    account = api.register()
    data = with_gps(FACES)
    made = slot(api, account, len(data))

    async def set_and_listen() -> list[dict]:
        async with websockets.connect(f"{local_cloud.ws_url}?token={account.access_token}") as ws:
            answer = await asyncio.to_thread(put_avatar, api, account, made["upload_id"])
            assert answer.status_code == 202, answer.text
            assert answer.json() == {
                "status": "processing",
                "renditions": None,
                "placeholder": None,
            }
            await asyncio.to_thread(send, made, data)
            events: list[dict] = []
            while not any(e.get("type", "").startswith("avatar.") for e in events):
                events.append(json.loads(await asyncio.wait_for(ws.recv(), timeout=90)))
            return events

    events = asyncio.run(set_and_listen())
    return account, wait_for_avatar(api, account, "ready", made["upload_id"]), events


def test_the_avatar_turns_ready_and_its_owner_is_told(owner) -> None:
    account, shown, events = owner
    (ready,) = [e for e in events if e["type"].startswith("avatar.")]
    assert ready["type"] == "avatar.ready"
    assert without_urls(ready["avatar"]) == without_urls(shown["avatar"])
    assert shown["avatar"]["status"] == "ready" and shown["avatar_failure_reason"] is None
    assert isinstance(shown["avatar"]["placeholder"], str) and shown["avatar"]["placeholder"]


def test_the_renditions_are_square_jpegs_without_metadata(owner, local_cloud) -> None:
    account, shown, _ = owner
    renditions = shown["avatar"]["renditions"]
    assert {n: (r["width"], r["height"]) for n, r in renditions.items()} == {
        "large": (320, 320),
        "small": (110, 110),
    }
    for rendition in renditions.values():
        data = fetch(rendition["url"])
        image = Image.open(io.BytesIO(data))
        assert image.format == "JPEG" and image.size == (rendition["width"], rendition["height"])
        assert len(image.getexif()) == 0 and not {APP1, APP2, COM} & header_segments(data)
    assert len(stored(local_cloud, account.user_id)) == 2


def test_every_summary_of_the_owner_carries_the_avatar(
    owner, api: Api, publish: Callable[..., str]
) -> None:
    account, shown, _ = owner
    expected = without_urls(shown["avatar"])
    friend = api.register()
    token = friend.access_token

    def summaries_of_owner(items: list[dict]) -> list[dict]:
        return [i for i in items if i.get("user_id") == account.user_id]

    # followers: the owner follows the friend
    followed = api.call("POST", f"/users/{friend.username}/follow", token=account.access_token)
    assert followed.status_code == 200, followed.text
    followers = api.call("GET", f"/users/{friend.username}/followers", token=token).json()
    (row,) = summaries_of_owner(followers["items"])
    assert without_urls(row["avatar"]) == expected

    # a post card's author and a comment's author
    post_id = publish(account, "with my face")
    card = api.call("GET", f"/posts/{post_id}", token=token).json()
    assert without_urls(card["author"]["avatar"]) == expected
    comment = api.call(
        "POST", f"/posts/{post_id}/comments", {"text": "me again"}, token=account.access_token
    )
    assert comment.status_code == 201, comment.text
    assert without_urls(comment.json()["author"]["avatar"]) == expected
    comments = api.call("GET", f"/posts/{post_id}/comments", token=token).json()["items"]
    assert [without_urls(c["author"]["avatar"]) for c in comments] == [expected]

    # a conversation's members
    started = api.call("POST", "/conversations", {"usernames": [account.username]}, token=token)
    assert started.status_code in (200, 201), started.text
    conversation = api.call(
        "GET", f"/conversations/{started.json()['conversation_id']}", token=token
    ).json()
    (member,) = summaries_of_owner(conversation["members"])
    assert without_urls(member["avatar"]) == expected

    # search (the index follows the users stream; the avatar is read with the user)
    def found() -> list[dict]:
        answer = api.call("GET", f"/search?q={quote(account.username)}&type=users", token=token)
        users = [i["user"] for i in answer.json()["items"] if i["type"] == "user"]
        return summaries_of_owner(users)

    (user,) = eventually(found, "the owner in search")
    assert without_urls(user["avatar"]) == expected
    # the profile page, and the friend's own summary (no photo) says so
    profile = api.call("GET", f"/users/{account.username}", token=token).json()
    assert without_urls(profile["avatar"]) == expected
    assert me(api, friend)["avatar"] is None


def test_a_photo_uploaded_before_the_put_replaces_the_avatar(owner, api, local_cloud) -> None:
    account, shown, _ = owner
    before = stored(local_cloud, account.user_id)
    data = OTHER_FACES.read_bytes()
    made = slot(api, account, len(data))
    send(made, data)  # lands first: the media function keeps it waiting
    time.sleep(1)

    answer = put_avatar(api, account, made["upload_id"])

    assert answer.status_code == 202, answer.text
    # processing, and meanwhile everyone still sees the previous photo
    assert answer.json()["status"] == "processing"
    assert without_urls(answer.json())["renditions"] == without_urls(shown["avatar"])["renditions"]
    ready = wait_for_avatar(api, account, "ready", made["upload_id"])
    for rendition in ready["avatar"]["renditions"].values():
        image = Image.open(io.BytesIO(fetch(rendition["url"])))
        assert image.size == (rendition["width"],) * 2
    # the previous photo's objects are gone, the new ones are there
    after = stored(local_cloud, account.user_id)
    assert len(after) == 2 and not after & before
    assert all(made["upload_id"] in key for key in after)


def test_a_corrupt_photo_fails_with_a_reason_and_lands_in_the_dlq(api, local_cloud) -> None:
    account = api.register()
    data = FACES.read_bytes()[:3000]
    made = slot(api, account, len(data))
    assert put_avatar(api, account, made["upload_id"]).status_code == 202
    send(made, data)

    failed = wait_for_avatar(api, account, "failed", made["upload_id"])

    assert failed["avatar_failure_reason"] == "file is truncated or corrupt"
    assert failed["avatar"] == {"status": "failed", "renditions": None, "placeholder": None}
    assert stored(local_cloud, account.user_id) == set()
    sqs = local_cloud.client("sqs")
    dead_letters = local_cloud.env["MEDIA_DEAD_LETTER_QUEUE_URL"]

    def dead_lettered() -> bool:
        received = sqs.receive_message(
            QueueUrl=dead_letters, MaxNumberOfMessages=10, WaitTimeSeconds=1, VisibilityTimeout=0
        )
        return any(made["upload_id"] in m["Body"] for m in received.get("Messages", []))

    eventually(dead_lettered, "the DLQ to get the photo", timeout=60)


def test_delete_removes_the_avatar_and_its_objects(api, local_cloud) -> None:
    account = api.register()
    data = FACES.read_bytes()
    made = slot(api, account, len(data))
    send(made, data)
    assert put_avatar(api, account, made["upload_id"]).status_code == 202
    wait_for_avatar(api, account, "ready", made["upload_id"])
    assert len(stored(local_cloud, account.user_id)) == 2

    gone = api.call("DELETE", "/me/avatar", token=account.access_token)

    assert gone.status_code == 204
    assert me(api, account)["avatar"] is None
    assert stored(local_cloud, account.user_id) == set()
    assert api.call("DELETE", "/me/avatar", token=account.access_token).status_code == 204


def test_only_a_free_upload_of_ones_own_can_be_taken(api: Api) -> None:
    someone, other = api.register(), api.register()
    theirs = slot(api, other, 1000)
    refused = put_avatar(api, someone, theirs["upload_id"])
    assert (refused.status_code, error_code(refused)) == (400, "invalid_upload")

    posted = slot(api, someone, 1000)
    created = api.call(
        "POST", "/posts", {"upload_ids": [posted["upload_id"]]}, token=someone.access_token
    )
    assert created.status_code == 201, created.text
    refused = put_avatar(api, someone, posted["upload_id"])
    assert (refused.status_code, error_code(refused)) == (400, "invalid_upload")

    mine = slot(api, someone, 1000)
    assert put_avatar(api, someone, mine["upload_id"]).status_code == 202
    again = put_avatar(api, someone, mine["upload_id"])
    assert (again.status_code, error_code(again)) == (400, "invalid_upload")
    reused = api.call(
        "POST", "/posts", {"upload_ids": [mine["upload_id"]]}, token=someone.access_token
    )
    assert (reused.status_code, error_code(reused)) == (400, "invalid_upload")
    bad = api.call("PUT", "/me/avatar", {"upload_id": 7}, token=someone.access_token)
    assert (bad.status_code, error_code(bad)) == (400, "validation_error")
    # the refusals changed nothing of anyone's
    assert me(api, other)["avatar"] is None
