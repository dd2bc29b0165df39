"""Stories over HTTP against the local cloud: a real JPEG through S3's notification, the
media function and the stories stream into a follower's tray; not a stranger's; a
close-friends story; gone the moment it expires (its expiry moved into the past in the
emulator's table: time moved forward, not waited for); seen, viewers, deletion."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.conftest import RunningCloud
from tests.integration.conftest import Account, Api, eventually

pytestmark = pytest.mark.integration


def _post_story(api: Api, who: Account, photo: bytes, audience: str = "everyone") -> str:
    slot = api.call(
        "POST",
        "/uploads",
        {"content_type": "image/jpeg", "size": len(photo)},
        token=who.access_token,
    ).json()
    sent = requests.post(
        slot["url"], data=slot["fields"], timeout=30, files={"file": ("s.jpg", photo, "image/jpeg")}
    )
    assert sent.status_code in (200, 201, 204)
    made = api.call(
        "POST",
        "/stories",
        {"upload_id": slot["upload_id"], "audience": audience},
        token=who.access_token,
    )
    assert made.status_code == 201, made.text
    assert made.json()["status"] == "processing" and made.json()["audience"] == audience
    return made.json()["story_id"]


def _stories(api: Api, who: Account, of: Account) -> requests.Response:
    return api.call("GET", f"/users/{of.username}/stories", token=who.access_token)


def _tray(api: Api, who: Account) -> list[str]:
    response = api.call("GET", "/stories", token=who.access_token)
    assert response.status_code == 200, response.text
    return [item["author"]["user_id"] for item in response.json()["items"]]


def _follow(api: Api, who: Account, whom: Account) -> None:
    assert api.call("POST", f"/users/{whom.username}/follow", token=who.access_token).ok


def test_a_story_reaches_a_follower_not_a_stranger_and_is_gone_once_expired(
    api: Api, photo: bytes, local_cloud: RunningCloud
) -> None:
    author, fan, stranger = api.register(), api.register(), api.register()
    _follow(api, fan, author)
    story_id = _post_story(api, author, photo)

    eventually(lambda: _tray(api, fan) == [author.user_id], "the story in the follower's tray")
    assert _tray(api, stranger) == []
    shown = _stories(api, fan, author).json()["items"]
    assert [s["story_id"] for s in shown] == [story_id] and shown[0]["status"] == "ready"
    story = shown[0]["renditions"]["story"]
    assert abs(story["width"] / story["height"] - 9 / 16) < 0.01
    assert requests.get(story["url"], timeout=30).content[:2] == b"\xff\xd8"  # a JPEG

    # Seen (twice: idempotent); the owner's viewers list holds the fan once, others get 404.
    for _ in range(2):
        seen = api.call("POST", f"/stories/{story_id}/seen", token=fan.access_token)
        assert seen.status_code == 200, seen.text
    viewers = api.call("GET", f"/stories/{story_id}/viewers", token=author.access_token).json()
    assert [v["user"]["user_id"] for v in viewers["items"]] == [fan.user_id]
    other = api.call("GET", f"/stories/{story_id}/viewers", token=fan.access_token)
    assert other.status_code == 404 and other.json()["error"]["code"] == "story_not_found"
    assert api.call("GET", "/stories", token=fan.access_token).json()["items"][0]["seen"] is True

    # A reply arrives as a DM carrying the story's preview.
    replied = api.call(
        "POST", f"/stories/{story_id}/reply", {"text": "so good"}, token=fan.access_token
    )
    assert replied.status_code == 201, replied.text
    conversation_id = replied.json()["conversation_id"]
    got = api.call(
        "GET", f"/conversations/{conversation_id}/messages", token=author.access_token
    ).json()["items"]
    assert got[0]["text"] == "so good" and got[0]["story"]["story_id"] == story_id
    assert requests.get(got[0]["story"]["preview_url"], timeout=30).content[:2] == b"\xff\xd8"

    # 24 hours later: the story's expiry (and its tray row's) are in the past.
    dynamodb = local_cloud.client("dynamodb")
    tables = dynamodb.list_tables()["TableNames"]
    stories = next(t for t in tables if t.endswith("-stories"))
    trays = next(t for t in tables if t.endswith("-story-trays"))
    past = {":past": {"N": "1"}}
    dynamodb.update_item(
        TableName=stories,
        Key={"story_id": {"S": story_id}},
        UpdateExpression="SET expires_at = :past",
        ExpressionAttributeValues=past,
    )
    dynamodb.update_item(
        TableName=trays,
        Key={"user_id": {"S": fan.user_id}, "entry_key": {"S": author.user_id}},
        UpdateExpression="SET expires_at = :past",
        ExpressionAttributeValues=past,
    )
    assert _stories(api, fan, author).json()["items"] == []
    assert _tray(api, fan) == []
    gone = api.call("POST", f"/stories/{story_id}/seen", token=fan.access_token)
    assert gone.status_code == 404


def test_a_close_friends_story_and_deleting_one(api: Api, photo: bytes) -> None:
    author, friend, fan = api.register(), api.register(), api.register()
    _follow(api, friend, author)
    _follow(api, fan, author)
    added = api.call("PUT", f"/me/close-friends/{friend.username}", token=author.access_token)
    assert added.status_code == 200 and added.json()["close_friend"] is True
    story_id = _post_story(api, author, photo, "close_friends")

    eventually(lambda: _tray(api, friend) == [author.user_id], "the close friend's tray")
    assert _tray(api, fan) == []
    assert _stories(api, fan, author).json()["items"] == []
    shown: list[dict[str, Any]] = _stories(api, friend, author).json()["items"]
    assert [s["story_id"] for s in shown] == [story_id] and "audience" not in shown[0]

    deleted = api.call("DELETE", f"/stories/{story_id}", token=author.access_token)
    assert deleted.status_code == 204
    assert _stories(api, friend, author).json()["items"] == []
    eventually(lambda: _tray(api, friend) == [], "the deleted story out of the tray")
    again = api.call("DELETE", f"/stories/{story_id}", token=author.access_token)
    assert again.status_code == 404


def test_story_new_reaches_a_followers_live_socket_and_story_ready_the_author(
    api: Api, photo: bytes, local_cloud: RunningCloud
) -> None:
    import asyncio
    import contextlib
    import json

    import websockets

    author, fan, stranger = api.register(), api.register(), api.register()
    _follow(api, fan, author)

    async def listen() -> tuple[list[dict], list[dict], list[dict]]:
        url = local_cloud.ws_url
        async with (
            websockets.connect(f"{url}?token={author.access_token}") as mine,
            websockets.connect(f"{url}?token={fan.access_token}") as theirs,
            websockets.connect(f"{url}?token={stranger.access_token}") as other,
        ):
            story_id = await asyncio.to_thread(_post_story, api, author, photo)
            got: dict[str, list[dict]] = {"mine": [], "theirs": [], "other": []}
            for name, ws, wanted in (
                ("mine", mine, "story.ready"),
                ("theirs", theirs, "story.new"),
            ):
                while not any(e.get("type") == wanted for e in got[name]):
                    got[name].append(json.loads(await asyncio.wait_for(ws.recv(), timeout=60)))
            with contextlib.suppress(TimeoutError):  # the stranger is told nothing
                got["other"].append(json.loads(await asyncio.wait_for(other.recv(), timeout=2)))
            assert story_id
            return got["mine"], got["theirs"], got["other"]

    mine, theirs, other = asyncio.run(listen())
    (new,) = [e for e in theirs if e["type"] == "story.new"]
    assert new["author_id"] == author.user_id
    assert [e for e in mine if e["type"] == "story.ready"]
    assert not [e for e in other if e.get("type", "").startswith("story.")]


def _latest(api: Api, who: Account) -> list[str]:
    response = api.call("GET", "/stories", token=who.access_token)
    assert response.status_code == 200, response.text
    return [item["latest_story_id"] for item in response.json()["items"]]


def test_a_large_accounts_stories_are_merged_into_trays_when_read(
    api: Api, photo: bytes, local_cloud: RunningCloud
) -> None:
    # The test cloud's FEED_FANOUT_MAX_FOLLOWERS is 3: 4 followers make a large account, not
    # fanned out (no tray rows), its live stories merged into each tray as it is read.
    author = api.register()
    friend, fan, muter, other = (api.register() for _ in range(4))
    for follower in (friend, fan, muter, other):
        _follow(api, follower, author)
    added = api.call("PUT", f"/me/close-friends/{friend.username}", token=author.access_token)
    assert added.status_code == 200
    public = _post_story(api, author, photo)

    eventually(lambda: _latest(api, fan) == [public], "the large account's story, merged")
    secret = _post_story(api, author, photo, "close_friends")
    eventually(lambda: _latest(api, friend) == [secret], "its close-friends story, merged")
    assert _latest(api, fan) == [public] and _tray(api, api.register()) == []
    assert api.call("POST", f"/users/{author.username}/mute", token=muter.access_token).ok
    assert _tray(api, muter) == []
    seen = api.call("POST", f"/stories/{public}/seen", token=fan.access_token)
    assert seen.status_code == 200
    assert api.call("GET", "/stories", token=fan.access_token).json()["items"][0]["seen"]

    dynamodb = local_cloud.client("dynamodb")
    trays = next(t for t in dynamodb.list_tables()["TableNames"] if t.endswith("-story-trays"))
    written = dynamodb.query(
        TableName=trays,
        IndexName="trays_by_author",
        KeyConditionExpression="author_id = :a",
        ExpressionAttributeValues={":a": {"S": author.user_id}},
    )["Items"]
    # Only the fan's seen marker: no row per follower.
    assert [i["entry_key"]["S"] for i in written] == [f"~seen#{author.user_id}"]
