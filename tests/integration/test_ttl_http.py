"""DynamoDB TTL against the local cloud: expired story rows are deleted as AWS's TTL deletes
them (local_cloud/ttl.py, run at once with ``python -m local_cloud ttl-sweep`` instead of
waiting for its next pass), the deletions go through the stories stream like AWS's do, and
what follows is what follows in AWS: the story's files go unless a highlight keeps them."""

from __future__ import annotations

import subprocess
import sys

import pytest
import requests

from tests.conftest import RunningCloud
from tests.integration.conftest import Account, Api, eventually
from tests.integration.test_highlights_http import _ready_story

pytestmark = pytest.mark.integration


def _table(cloud: RunningCloud, suffix: str) -> str:
    names = cloud.client("dynamodb").list_tables()["TableNames"]
    return next(name for name in names if name.endswith(suffix))


def _expire(cloud: RunningCloud, table: str, key: dict) -> None:
    cloud.client("dynamodb").update_item(
        TableName=_table(cloud, table),
        Key=key,
        UpdateExpression="SET expires_at = :past",
        ExpressionAttributeValues={":past": {"N": "1"}},
    )


def _exists(cloud: RunningCloud, table: str, key: dict) -> bool:
    return "Item" in cloud.client("dynamodb").get_item(
        TableName=_table(cloud, table), Key=key, ConsistentRead=True
    )


def _sweep(cloud: RunningCloud) -> int:
    done = subprocess.run(
        [sys.executable, "-m", "local_cloud", "ttl-sweep", "--state-dir", str(cloud.state_dir)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return int(done.stdout.split()[0])


def _story_url(api: Api, who: Account, story_id: str) -> str:
    items = api.call("GET", f"/users/{who.username}/stories", token=who.access_token).json()
    story = next(s for s in items["items"] if s["story_id"] == story_id)
    return story["renditions"]["story"]["url"]


def test_expired_stories_are_deleted_as_ttl_does_and_their_files_follow(
    api: Api, photo: bytes, local_cloud: RunningCloud
) -> None:
    author, fan = api.register(), api.register()
    assert api.call("POST", f"/users/{author.username}/follow", token=fan.access_token).ok
    gone, kept, live = (_ready_story(api, author, photo) for _ in range(3))
    urls = {story_id: _story_url(api, author, story_id) for story_id in (gone, kept, live)}
    highlighted = api.call("POST", "/me/highlights", {"story_id": kept}, token=author.access_token)
    assert highlighted.status_code == 201, highlighted.text
    tray_row = {"user_id": {"S": fan.user_id}, "entry_key": {"S": author.user_id}}
    eventually(lambda: _exists(local_cloud, "-story-trays", tray_row), "the fan's tray row")

    # A day later for two of them (and for the tray row): their expiry is in the past.
    for story_id in (gone, kept):
        _expire(local_cloud, "-stories", {"story_id": {"S": story_id}})
    _expire(local_cloud, "-story-trays", tray_row)
    assert _sweep(local_cloud) >= 3

    for story_id in (gone, kept):
        assert not _exists(local_cloud, "-stories", {"story_id": {"S": story_id}})
    assert _exists(local_cloud, "-stories", {"story_id": {"S": live}})  # not expired: stays
    # The tray row expired with them; the stream rewrote it for the story still live.
    eventually(lambda: _tray(api, fan) == [author.user_id], "the live story in the fan's tray")
    # The stories stream saw them go: the expired story's files follow, the highlight keeps
    # the other's, the live one keeps its own.
    eventually(lambda: requests.get(urls[gone], timeout=30).status_code == 404, "files gone")
    assert requests.get(urls[kept], timeout=30).status_code == 200
    assert requests.get(urls[live], timeout=30).status_code == 200
    shown = api.call("GET", f"/users/{author.username}/highlights", token=fan.access_token)
    assert [h["story_id"] for h in shown.json()["items"]] == [kept]


def _tray(api: Api, who: Account) -> list[str]:
    items = api.call("GET", "/stories", token=who.access_token).json()["items"]
    return [item["author"]["user_id"] for item in items]
