"""Highlights over HTTP against the local cloud: a story kept on the profile outlives the
story itself, and removing the highlight takes the files the story left behind, while a live
story keeps its own."""

from __future__ import annotations

import pytest
import requests

from tests.integration.conftest import Account, Api, eventually, upload_photo

pytestmark = pytest.mark.integration


def _ready_story(api: Api, who: Account, photo: bytes) -> str:
    upload_id = upload_photo(api, who, photo)
    made = api.call("POST", "/stories", {"upload_id": upload_id}, token=who.access_token)
    assert made.status_code == 201, made.text
    story_id = made.json()["story_id"]

    def ready() -> bool:
        items = api.call("GET", f"/users/{who.username}/stories", token=who.access_token).json()
        return any(s["story_id"] == story_id and s["status"] == "ready" for s in items["items"])

    eventually(ready, "the story ready")
    return story_id


def _highlights(api: Api, who: Account, of: Account) -> list[dict]:
    response = api.call("GET", f"/users/{of.username}/highlights", token=who.access_token)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def _fetched(url: str) -> int:
    return requests.get(url, timeout=30).status_code


def test_a_highlight_outlives_its_story_and_removing_it_takes_the_files(
    api: Api, photo: bytes
) -> None:
    author, fan = api.register(), api.register()
    story_id = _ready_story(api, author, photo)
    kept = api.call("POST", "/me/highlights", {"story_id": story_id}, token=author.access_token)
    assert kept.status_code == 201, kept.text
    url = kept.json()["renditions"]["story"]["url"]

    # The story goes; the highlight and its photo stay.
    assert api.call("DELETE", f"/stories/{story_id}", token=author.access_token).status_code == 204
    assert [h["story_id"] for h in _highlights(api, fan, author)] == [story_id]
    assert _fetched(url) == 200

    # Someone else's removal changes nothing; the author's takes the highlight and the files.
    other = api.call("DELETE", f"/me/highlights/{story_id}", token=fan.access_token)
    assert other.status_code == 204
    assert [h["story_id"] for h in _highlights(api, fan, author)] == [story_id]
    gone = api.call("DELETE", f"/me/highlights/{story_id}", token=author.access_token)
    assert gone.status_code == 204
    assert _highlights(api, fan, author) == []
    assert _fetched(url) in (403, 404)
    again = api.call("DELETE", f"/me/highlights/{story_id}", token=author.access_token)
    assert again.status_code == 204  # idempotent


def test_removing_the_highlight_of_a_live_story_leaves_the_story_whole(
    api: Api, photo: bytes
) -> None:
    author = api.register()
    story_id = _ready_story(api, author, photo)
    api.call("POST", "/me/highlights", {"story_id": story_id}, token=author.access_token)
    gone = api.call("DELETE", f"/me/highlights/{story_id}", token=author.access_token)
    assert gone.status_code == 204
    assert api.call("GET", "/me/highlights", token=author.access_token).json()["items"] == []
    stories = api.call(
        "GET", f"/users/{author.username}/stories", token=author.access_token
    ).json()["items"]
    assert [s["story_id"] for s in stories] == [story_id]
    assert _fetched(stories[0]["renditions"]["story"]["url"]) == 200
