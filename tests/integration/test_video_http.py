"""Videos from a phone to a ready post, end to end on the local cloud: the same presigned POST,
queue and media function as photos (test_media_http.py), with real clips made by PyAV in the
test. What a viewer gets is checked by opening the stored MP4s and posters again."""

from __future__ import annotations

import io
import json
from pathlib import Path

import av
import numpy as np
import pytest
import requests
from PIL import Image

from tests.conftest import RunningCloud
from tests.integration.clips import PARIS, clip, still_then, tags
from tests.integration.conftest import Account, Api
from tests.integration.test_media_http import (
    _wait_for,
    create_post,
    encode,
    fetch,
    landscape,
    upload,
    wait_for_post,
)

pytestmark = pytest.mark.integration

FACES_JPEG = Path(__file__).resolve().parents[1] / "functional" / "media" / "data" / "sample.jpg"
DEVICE = {"make": "Apple", "model": "iPhone 15 Pro", "location": PARIS}


def opened(data: bytes) -> tuple[av.container.InputContainer, av.VideoStream]:
    container = av.open(io.BytesIO(data))
    return container, container.streams.video[0]


@pytest.fixture(scope="module")
def author(api: Api) -> Account:
    return api.register()


@pytest.fixture(scope="module")
def phone_post(api: Api, author: Account) -> dict:
    """A mixed carousel: a photo, a portrait phone video (HEVC in MOV, stored landscape,
    turned by its display matrix, with device and GPS tags), and a clip that opens on black before
    faces appear (MP4 with GPS)."""
    faces = Image.open(FACES_JPEG)
    items = [
        (encode(landscape(800, 600), "JPEG"), "image/jpeg"),
        (
            # What an iPhone records: HEVC in a MOV.
            clip(2.0, (320, 240), codec="libx265", rotation=-90, container="mov", metadata=DEVICE),
            "video/quicktime",
        ),
        (
            clip(
                3.0, (500, 376), fps=10, picture=still_then(faces, 12), metadata={"location": PARIS}
            ),
            "video/mp4",
        ),
    ]
    upload_ids = [upload(api, author, data, kind) for data, kind in items]
    return wait_for_post(api, author, create_post(api, author, upload_ids), timeout=120)


def test_a_mixed_carousel_turns_ready_with_each_item_typed(phone_post: dict) -> None:
    assert phone_post["status"] == "ready", phone_post
    photo, portrait, faces = phone_post["images"]
    assert [item["type"] for item in phone_post["images"]] == ["image", "video", "video"]
    assert set(photo["renditions"]) == {"large", "medium", "small", "thumb"}
    assert photo["duration_ms"] is None and photo["poster"] is None
    for video in (portrait, faces):
        assert set(video["renditions"]) == {"720p", "480p"}
        assert set(video["poster"]) == {"large", "medium", "small", "thumb"}
        assert video["placeholder"]
    assert abs(portrait["duration_ms"] - 2000) <= 100
    assert abs(faces["duration_ms"] - 3000) <= 150


def test_renditions_are_h264_aac_fast_start_mp4s_of_the_stated_size(phone_post: dict) -> None:
    for video in phone_post["images"][1:]:
        for rendition in video["renditions"].values():
            data = fetch(rendition["url"])
            assert len(data) == rendition["bytes"]
            # +faststart: the index (moov) comes before the media data (mdat).
            assert data[4:8] == b"ftyp" and data.index(b"moov") < data.index(b"mdat")
            container, stream = opened(data)
            assert stream.codec_context.name == "h264"
            assert [a.codec_context.name for a in container.streams.audio] == ["aac"]
            assert (stream.width, stream.height) == (rendition["width"], rendition["height"])


def test_a_portrait_phone_video_is_turned_upright(phone_post: dict) -> None:
    portrait = phone_post["images"][1]
    # Stored 320x240, displayed turned a quarter clockwise: 240x320, and so are its outputs.
    assert (portrait["width"], portrait["height"]) == (240, 320)
    rendition = portrait["renditions"]["720p"]
    assert (rendition["width"], rendition["height"]) == (240, 320)
    _, stream = opened(fetch(rendition["url"]))
    frame = next(stream.container.decode(stream))
    # The pixels are turned (the red band along the stored top is now on the right) and no
    # rotation is left for the player to apply a second time.
    assert frame.rotation == 0
    pixels = frame.to_ndarray(format="rgb24")
    assert pixels[:, -8:, 0].mean() > 200 and pixels[:, :8, 0].mean() < 150
    poster = portrait["poster"]["large"]
    assert Image.open(io.BytesIO(fetch(poster["url"]))).size == (240, 320)


def test_no_gps_or_device_tag_survives_into_any_rendition(phone_post: dict) -> None:
    for video in phone_post["images"][1:]:
        for rendition in video["renditions"].values():
            found = tags(fetch(rendition["url"]))
            text = json.dumps(found)
            assert "location" not in text and "48.8584" not in text, found
            assert "Apple" not in text and "iPhone" not in text, found
        for image in video["poster"].values():
            assert not Image.open(io.BytesIO(fetch(image["url"]))).getexif()


def test_the_poster_skips_the_black_opening_and_shows_the_faces(phone_post: dict) -> None:
    faces = phone_post["images"][2]
    poster = Image.open(io.BytesIO(fetch(faces["poster"]["large"]["url"]))).convert("L")
    assert np.asarray(poster).std() > 20  # not one of the black frames
    assert len(faces["faces"]) >= 1


def test_a_video_cannot_be_a_profile_photo(api: Api, author: Account) -> None:
    upload_id = upload(api, author, clip(1.0, (64, 64)), "video/mp4")
    answer = api.call("PUT", "/me/avatar", {"upload_id": upload_id}, token=author.access_token)
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "invalid_upload"


def test_videos_have_their_own_size_limit(api: Api, author: Account) -> None:
    def slot(kind: str, size: int) -> int:
        body = {"content_type": kind, "size": size}
        return api.call("POST", "/uploads", body, token=author.access_token).status_code

    assert slot("video/mp4", 150 * 1024 * 1024) == 201  # past the photo limit, within video's
    assert slot("image/jpeg", 150 * 1024 * 1024) == 413
    assert slot("video/quicktime", 200 * 1024 * 1024 + 1) == 413
    assert slot("video/mp4", 0) == 400


def _webm() -> bytes:
    return clip(1.0, (64, 64), codec="libvpx-vp9", container="webm", sound=False)


BAD = {
    "truncated": (lambda: clip(2.0)[:3000], "video/mp4", "cut short"),
    "truncated after its index": (
        lambda: (lambda data: data[: len(data) * 6 // 10])(clip(2.0, faststart=True)),
        "video/mp4",
        "cut short",
    ),
    "zero-length": (lambda: b"", "video/mp4", "empty"),
    "audio-only": (lambda: clip(1.0, picture=None), "video/mp4", "no picture"),
    "still image renamed .mp4": (
        lambda: encode(landscape(320, 240), "JPEG"),
        "video/mp4",
        "still image",
    ),
    "unsupported codec": (lambda: clip(1.0, (64, 64), codec="mpeg4"), "video/mp4", "mpeg4"),
    "over the duration limit": (
        lambda: clip(91.0, (64, 64), fps=2, sound=False),
        "video/mp4",
        "at most 90 seconds",
    ),
    "absurd dimensions": (lambda: clip(1.0, (1024, 32), sound=False), "video/mp4", "dimensions"),
    "a WebM declared MP4": (_webm, "video/mp4", "not the MP4 or MOV"),
    "an MP4 declared JPEG": (lambda: clip(1.0, (64, 64)), "image/jpeg", ""),
}


@pytest.fixture(scope="module")
def bad_posts(api: Api, local_cloud: RunningCloud) -> dict[str, tuple[str, dict]]:
    """Each bad input as one post of one item, all in flight at once."""
    owner = api.register()
    s3 = local_cloud.client("s3")
    made = {}
    for name, (make, kind, _) in BAD.items():
        data = make()
        if data:
            upload_id = upload(api, owner, data, kind)
        else:
            # The presigned policy refuses an empty body (content-length-range from 1): put
            # one under the slot's key behind its back, as a broken client or tool could.
            slot = api.call(
                "POST", "/uploads", {"content_type": kind, "size": 10}, token=owner.access_token
            ).json()
            sent = requests.post(
                slot["url"], data=slot["fields"], files={"file": ("v", b"", kind)}, timeout=30
            )
            assert sent.status_code >= 400  # S3 itself refuses it
            s3.put_object(Bucket=local_cloud.env["UPLOADS_BUCKET"], Key=slot["fields"]["key"])
            upload_id = slot["upload_id"]
        made[name] = (upload_id, create_post(api, owner, [upload_id]))
    return {
        name: (upload_id, wait_for_post(api, owner, post_id, timeout=120))
        for name, (upload_id, post_id) in made.items()
    }


@pytest.mark.parametrize("name", list(BAD))
def test_bad_input_fails_the_post_with_a_reason_and_lands_in_the_dlq(
    name: str, bad_posts: dict, local_cloud: RunningCloud
) -> None:
    upload_id, post = bad_posts[name]
    assert post["status"] == "failed", post
    reason = post["images"][0]["failure_reason"]
    assert reason and BAD[name][2].lower() in reason.lower(), reason
    assert post["failure_reason"] == reason
    sqs = local_cloud.client("sqs")
    dead_letters = local_cloud.env["MEDIA_DEAD_LETTER_QUEUE_URL"]
    _wait_for(lambda: _take_dead_letter(sqs, dead_letters, upload_id), f"the DLQ to get {name}", 90)


def _take_dead_letter(sqs, queue_url: str, upload_id: str) -> bool:  # noqa: ANN001
    """Whether the dead-letter queue holds the S3 event of ``upload_id``; found, it is
    deleted, so that the other tests sharing the queue find theirs among its first ten.
    Others' messages stay hidden 2 s, so that the next look sees the next ten."""
    received = sqs.receive_message(
        QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1, VisibilityTimeout=2
    )
    found = False
    for message in received.get("Messages", []):
        if upload_id in message["Body"]:
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
            found = True
    return found
