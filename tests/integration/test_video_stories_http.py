"""Video stories end to end on the local cloud: a real clip made by PyAV through the presigned
POST, S3's notification, the media function and the stories stream into a follower's tray. The
stored MP4s are fetched and opened again to check they are the 9:16 H.264 files the story's
card says; a clip longer than a story may be fails the story with the reason."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import av
import jsonschema
import pytest
import yaml
from PIL import Image

from tests.integration.clips import clip
from tests.integration.conftest import Account, Api, eventually
from tests.integration.test_media_http import fetch, upload

pytestmark = pytest.mark.integration

SPEC = yaml.safe_load((Path(__file__).resolve().parents[2] / "docs/openapi.yaml").read_text())


def _conforms(body: dict[str, Any], schema: str) -> None:
    """``body`` is what docs/openapi.yaml's closed ``schema`` allows (3.1: JSON Schema)."""
    wrapped = {"$ref": f"#/components/schemas/{schema}", "components": SPEC["components"]}
    jsonschema.Draft202012Validator(wrapped).validate(body)


def _post_story(api: Api, who: Account, data: bytes) -> dict[str, Any]:
    upload_id = upload(api, who, data, "video/mp4")
    made = api.call("POST", "/stories", {"upload_id": upload_id}, token=who.access_token)
    assert made.status_code == 201, made.text
    _conforms(made.json(), "Story")
    return made.json()


def _story(api: Api, who: Account, of: Account, story_id: str) -> dict[str, Any] | None:
    listed = api.call("GET", f"/users/{of.username}/stories", token=who.access_token)
    assert listed.status_code == 200, listed.text
    _conforms(listed.json(), "StoryList")
    return next((s for s in listed.json()["items"] if s["story_id"] == story_id), None)


def _finished(api: Api, who: Account, story_id: str) -> dict[str, Any] | None:
    story = _story(api, who, who, story_id)
    return story if story is not None and story["status"] != "processing" else None


def _tray(api: Api, who: Account) -> list[str]:
    response = api.call("GET", "/stories", token=who.access_token)
    assert response.status_code == 200, response.text
    return [item["author"]["user_id"] for item in response.json()["items"]]


@pytest.fixture(scope="module")
def author(api: Api) -> Account:
    return api.register()


@pytest.fixture(scope="module")
def fan(api: Api, author: Account) -> Account:
    fan = api.register()
    assert api.call("POST", f"/users/{author.username}/follow", token=fan.access_token).ok
    return fan


def test_a_video_story_reaches_the_tray_with_9_16_mp4_renditions(
    api: Api, author: Account, fan: Account
) -> None:
    # A landscape clip: the story keeps its centred 9:16 cut.
    made = _post_story(api, author, clip(2.0, (640, 360), fps=15))
    assert made["status"] == "processing" and made["type"] == "video"
    ready = eventually(lambda: _finished(api, author, made["story_id"]), "the story processed")
    assert ready["status"] == "ready", ready

    eventually(lambda: author.user_id in _tray(api, fan), "the story in the follower's tray")
    shown = _story(api, fan, author, made["story_id"])
    assert shown is not None and shown["type"] == "video" and shown["status"] == "ready"
    assert abs(shown["duration_ms"] - 2000) <= 100
    renditions = shown["renditions"]
    assert set(renditions) == {"720p", "480p", "story", "preview"}
    assert shown["placeholder"]

    for name in ("720p", "480p"):
        rendition = renditions[name]
        assert rendition["content_type"] == "video/mp4"
        data = fetch(rendition["url"])  # stored in the media bucket, served by its URL
        assert data[4:8] == b"ftyp" and data.index(b"moov") < data.index(b"mdat")
        with av.open(io.BytesIO(data)) as container:
            stream = container.streams.video[0]
            assert stream.codec_context.name == "h264"
            assert (stream.width, stream.height) == (rendition["width"], rendition["height"])
            assert abs(stream.width / stream.height - 9 / 16) < 0.01
            assert [a.codec_context.name for a in container.streams.audio] == ["aac"]

    # The tray and a reply's message keep a JPEG: the poster frame, cut as a photo story's.
    for name in ("story", "preview"):
        assert renditions[name]["content_type"] == "image/jpeg"
        image = Image.open(io.BytesIO(fetch(renditions[name]["url"])))
        assert image.format == "JPEG" and abs(image.width / image.height - 9 / 16) < 0.01

    # Kept as a highlight: still a video, its MP4s with it.
    kept = api.call(
        "POST", "/me/highlights", {"story_id": made["story_id"]}, token=author.access_token
    )
    assert kept.status_code in (200, 201), kept.text
    _conforms(kept.json(), "Highlight")
    assert kept.json()["type"] == "video" and kept.json()["duration_ms"] == shown["duration_ms"]
    assert kept.json()["renditions"]["720p"]["content_type"] == "video/mp4"


def test_a_video_longer_than_a_story_fails_with_the_reason(api: Api, author: Account) -> None:
    made = _post_story(api, author, clip(61.6, (64, 112), fps=2, sound=False))
    failed = eventually(lambda: _finished(api, author, made["story_id"]), "the story refused")
    assert failed["status"] == "failed" and failed["type"] == "video"
    assert failed["failure_reason"].startswith("Story videos can be at most 60 seconds"), failed
    assert failed["renditions"] is None
