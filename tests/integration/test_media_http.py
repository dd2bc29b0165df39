"""Photos from a phone to a ready post, end to end on the local cloud: presigned POST to S3,
the bucket's notification to SQS, the bus invoking the media function with the real payload,
renditions in the media bucket, the post turning ready, the author told over the websocket."""

from __future__ import annotations

import asyncio
import io
import json
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import requests
import websockets
from PIL import Image

from tests.conftest import RunningCloud
from tests.integration.conftest import Account, Api

pytestmark = pytest.mark.integration

FACES_JPEG = Path(__file__).resolve().parents[1] / "functional" / "media" / "data" / "sample.jpg"
GPS_IFD, ORIENTATION = 0x8825, 0x0112


def landscape(width: int = 1600, height: int = 1200) -> Image.Image:
    """A smooth gradient with a bright top band: a sky, no faces."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    pixels = np.stack([90 + 80 * x / width, 140 + 60 * y / height, 200 - 90 * y / height], -1)
    pixels[: height // 5] = (235, 240, 250)
    return Image.fromarray(pixels.astype(np.uint8))


def jpeg_rotated_with_gps() -> bytes:
    """Stored landscape, EXIF says "rotate 90° clockwise", and where it was taken."""
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (48.0, 51.0, 29.0), 3: "E", 4: (2.0, 17.0, 40.0)})
    buffer = io.BytesIO()
    landscape().save(buffer, "JPEG", quality=90, exif=exif)
    return buffer.getvalue()


def encode(image: Image.Image, format: str) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format)
    return buffer.getvalue()


def upload(api: Api, account: Account, data: bytes, content_type: str) -> str:
    slot = api.call(
        "POST",
        "/uploads",
        {"content_type": content_type, "size": len(data)},
        token=account.access_token,
    )
    assert slot.status_code == 201, slot.text
    slot_body = slot.json()
    sent = requests.post(
        slot_body["url"],
        data=slot_body["fields"],
        timeout=30,
        files={"file": ("photo", data, content_type)},
    )
    assert sent.status_code in (200, 201, 204), sent.text
    return slot_body["upload_id"]


def create_post(api: Api, account: Account, upload_ids: list[str], filter: str = "normal") -> str:
    body = {"upload_ids": upload_ids, "caption": "e2e", "filter": filter}
    created = api.call("POST", "/posts", body, token=account.access_token)
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "processing"
    return created.json()["post_id"]


def wait_for_post(api: Api, account: Account, post_id: str, timeout: float = 90) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        post = api.call("GET", f"/posts/{post_id}", token=account.access_token).json()
        if post["status"] != "processing":
            return post
        time.sleep(0.3)
    pytest.fail(f"post {post_id} still processing after {timeout} s")


def fetch(url: str) -> bytes:
    got = requests.get(url, timeout=30)
    assert got.status_code == 200
    return got.content


def without_urls(post: dict) -> dict:
    """A post as stored: presigned URLs differ on every read."""
    images = [
        {
            **image,
            "renditions": {
                name: {k: v for k, v in r.items() if k != "url"}
                for name, r in image["renditions"].items()
            },
        }
        for image in post["images"]
    ]
    return {**post, "images": images}


def no_metadata(jpeg: bytes) -> bool:
    image = Image.open(io.BytesIO(jpeg))
    return not image.getexif() and b"Exif" not in jpeg[:4096] and "icc_profile" not in image.info


@pytest.fixture(scope="module")
def author(api: Api) -> Account:
    return api.register()


@pytest.fixture(scope="module")
def carousel(api: Api, author: Account, local_cloud: RunningCloud) -> tuple[dict, list[dict]]:
    """One post of four photos, uploaded before the post exists (the usual client order),
    with the author's phone connected to the websocket API while it processes."""
    import pillow_heif

    pillow_heif.register_heif_opener()
    photos = [
        (jpeg_rotated_with_gps(), "image/jpeg"),
        (FACES_JPEG.read_bytes(), "image/jpeg"),
        (encode(landscape(800, 600), "PNG"), "image/png"),
        (encode(landscape(1200, 900), "HEIF"), "image/heic"),
    ]
    upload_ids = [upload(api, author, data, kind) for data, kind in photos]

    async def post_and_listen() -> tuple[str, list[dict]]:
        url = f"{local_cloud.ws_url}?token={author.access_token}"
        async with websockets.connect(url) as phone:
            post_id = await asyncio.to_thread(create_post, api, author, upload_ids, "clarendon")
            events = []
            while not any(event.get("type") == "post.ready" for event in events):
                events.append(json.loads(await asyncio.wait_for(phone.recv(), timeout=90)))
            return post_id, events

    post_id, events = asyncio.run(post_and_listen())
    return wait_for_post(api, author, post_id), events


def test_the_post_turns_ready_and_its_author_is_told(carousel: tuple[dict, list[dict]]) -> None:
    post, events = carousel
    assert post["status"] == "ready" and post["failure_reason"] is None
    assert {"type": "post.ready", "post_id": post["post_id"]} in events
    assert [image["status"] for image in post["images"]] == ["ready"] * 4


def test_renditions_have_the_right_sizes_and_orientation(carousel: tuple[dict, list[dict]]):
    rotated, faces, png, heic = carousel[0]["images"]
    # EXIF orientation applied: the stored 1600×1200 landscape is a 1200×1600 portrait.
    assert (rotated["width"], rotated["height"]) == (1200, 1600)
    sizes = {name: (r["width"], r["height"]) for name, r in rotated["renditions"].items()}
    assert sizes == {
        "large": (810, 1080),
        "medium": (480, 640),
        "small": (240, 320),
        "thumb": (150, 150),
    }
    for name, rendition in rotated["renditions"].items():
        image = Image.open(io.BytesIO(fetch(rendition["url"])))
        assert image.size == sizes[name] and image.format == "JPEG"
    # Never upscaled: an 800-px PNG stays 800 px wide in every rendition that big.
    assert png["renditions"]["large"]["width"] == 800
    assert (heic["width"], heic["height"]) == (1200, 900)
    assert all(image["placeholder"] for image in (rotated, faces, png, heic))


def test_no_output_carries_exif_or_gps(carousel: tuple[dict, list[dict]]) -> None:
    for image in carousel[0]["images"]:
        for rendition in image["renditions"].values():
            assert no_metadata(fetch(rendition["url"]))


def test_faces_are_found_in_the_face_photo_and_not_in_a_landscape(carousel) -> None:
    rotated, faces, png, heic = carousel[0]["images"]
    assert len(faces["faces"]) >= 2  # three people, annotated; HOG may miss a small one
    for box in faces["faces"]:
        assert 0 <= box["x"] < 1 and 0 <= box["y"] < 1 and 0 < box["w"] <= 1 and 0 < box["h"] <= 1
    assert rotated["faces"] == [] and png["faces"] == [] and heic["faces"] == []


def test_a_redelivered_message_creates_no_duplicates(
    carousel: tuple[dict, list[dict]], api: Api, author: Account, local_cloud: RunningCloud
) -> None:
    post = carousel[0]
    s3, sqs = local_cloud.client("s3"), local_cloud.client("sqs")
    media = local_cloud.env["MEDIA_BUCKET"]

    def stored() -> dict[str, str]:
        listed = s3.list_objects_v2(Bucket=media, Prefix=f"posts/{post['post_id']}/")
        return {item["Key"]: item["ETag"] for item in listed.get("Contents", [])}

    before = stored()
    assert len(before) == 4 * 4
    # The S3 notification of the first photo, as SQS would deliver it a second time.
    uploads = local_cloud.env["UPLOADS_BUCKET"]
    key = s3.list_objects_v2(Bucket=uploads, Prefix=f"uploads/{author.user_id}/")["Contents"][0]
    event = {
        "Records": [
            {
                "eventSource": "aws:s3",
                "eventName": "ObjectCreated:Post",
                "s3": {
                    "bucket": {"name": uploads},
                    "object": {
                        "key": key["Key"],
                        "eTag": key["ETag"].strip('"'),
                        "size": key["Size"],
                    },
                },
            }
        ]
    }
    sqs.send_message(QueueUrl=local_cloud.env["MEDIA_QUEUE_URL"], MessageBody=json.dumps(event))
    _wait_until_drained(sqs, local_cloud.env["MEDIA_QUEUE_URL"])
    assert stored() == before
    assert without_urls(wait_for_post(api, author, post["post_id"])) == without_urls(post)


def test_a_corrupt_photo_fails_the_post_and_lands_in_the_dlq(
    api: Api, local_cloud: RunningCloud
) -> None:
    owner = api.register()
    truncated = FACES_JPEG.read_bytes()[:3000]
    upload_id = upload(api, owner, truncated, "image/jpeg")
    post = wait_for_post(api, owner, create_post(api, owner, [upload_id]))
    assert post["status"] == "failed"
    assert post["failure_reason"] and post["images"][0]["status"] == "failed"

    sqs = local_cloud.client("sqs")
    dead_letters = local_cloud.env["MEDIA_DEAD_LETTER_QUEUE_URL"]
    _wait_for(lambda: upload_id in _bodies(sqs, dead_letters), "the DLQ to get the photo")


def _bodies(sqs, queue_url: str) -> str:  # noqa: ANN001
    received = sqs.receive_message(
        QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1, VisibilityTimeout=0
    )
    return " ".join(message["Body"] for message in received.get("Messages", []))


def _wait_until_drained(sqs, queue_url: str) -> None:  # noqa: ANN001
    def drained() -> bool:
        attributes = sqs.get_queue_attributes(
            QueueUrl=queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )
        return not any(int(value) for value in attributes["Attributes"].values())

    _wait_for(drained, "the media queue to drain")


def _wait_for(condition: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.3)
    pytest.fail(f"timed out waiting for {what}")
