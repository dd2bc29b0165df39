import json

import boto3
import pytest

from chalicelib.core import uploads
from chalicelib.core.errors import NotFound, PayloadTooLarge, ValidationError
from chalicelib.core.settings import settings
from chalicelib.core.uploads import Upload
from chalicelib.posts import authoring, cards, media, visible
from chalicelib.posts.models import PostImage, Rendition


def new_upload(owner_id: str) -> str:
    return uploads.create(owner_id, "image/jpeg", 1000)["upload_id"]


def test_an_upload_slot_is_a_presigned_post_bounded_by_type_and_size(make_user) -> None:
    owner = make_user().user
    slot = uploads.create(owner.user_id, "IMAGE/JPEG", 12345)
    assert slot["fields"]["key"] == f"uploads/{owner.user_id}/{slot['upload_id']}"
    assert slot["fields"]["Content-Type"] == "image/jpeg"
    assert "policy" in slot["fields"] and slot["expires_in"] > 0
    policy = json.loads(__import__("base64").b64decode(slot["fields"]["policy"]))
    assert ["content-length-range", 1, 12345] in policy["conditions"]


@pytest.mark.parametrize(
    ("content_type", "size", "error"),
    [
        ("image/gif", 10, ValidationError),
        ("text/plain", 10, ValidationError),
        ("image/jpeg", 0, ValidationError),
        ("image/jpeg", "10", ValidationError),
        ("image/jpeg", True, ValidationError),
        ("image/jpeg", 20 * 1024 * 1024 + 1, PayloadTooLarge),
        ("video/mp4", 200 * 1024 * 1024 + 1, PayloadTooLarge),
        ("video/webm", 10, ValidationError),
    ],
)
def test_bad_upload_requests_are_refused(make_user, content_type, size, error) -> None:
    with pytest.raises(error):
        uploads.create(make_user().user.user_id, content_type, size)


def test_a_post_takes_its_uploads_once_and_only_its_owners(make_user) -> None:
    alice, bob = make_user().user, make_user().user
    first, second = new_upload(alice.user_id), new_upload(alice.user_id)
    post = authoring.create(alice.user_id, [first, second], "hi #there", "clarendon")
    assert post.status == "processing"
    assert [image.upload_id for image in post.images] == [first, second]
    assert Upload.get(first).post_id == post.post_id
    with pytest.raises(ValidationError) as reused:
        authoring.create(alice.user_id, [first])
    assert reused.value.code == "invalid_upload"
    with pytest.raises(ValidationError):
        authoring.create(bob.user_id, [new_upload(alice.user_id)])
    # a refused post took nothing: the upload is still free for its owner
    free = new_upload(alice.user_id)
    with pytest.raises(ValidationError):
        authoring.create(alice.user_id, [free, first])
    assert Upload.get(free).post_id is None


def test_a_carousel_mixes_up_to_twenty_photos_and_videos(make_user) -> None:
    owner = make_user().user
    kinds = ["image/jpeg", "video/mp4", "video/quicktime", "image/heic"] * 5
    ids = [uploads.create(owner.user_id, kind, 1000)["upload_id"] for kind in kinds]
    post = authoring.create(owner.user_id, ids)
    shown = cards.view(post, owner.user_id)["images"]
    assert [item["type"] for item in shown] == ["image", "video", "video", "image"] * 5
    assert all(item["duration_ms"] is None and item["poster"] is None for item in shown)


def test_a_video_slot_allows_more_than_a_photo_and_only_video_types(make_user) -> None:
    owner = make_user().user
    slot = uploads.create(owner.user_id, "video/quicktime", 150 * 1024 * 1024)
    policy = json.loads(__import__("base64").b64decode(slot["fields"]["policy"]))
    assert ["content-length-range", 1, 150 * 1024 * 1024] in policy["conditions"]
    assert {"Content-Type": "video/quicktime"} in policy["conditions"]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"upload_ids": []},
        {"upload_ids": [f"x{n}" for n in range(21)]},
        {"upload_ids": "abc"},
        {"upload_ids": ["a", "a"]},
        {"caption": "x" * 2201},
        {"caption": 5},
        {"filter_name": "sepia-deluxe"},
        {"place": {"name": "x"}},
        {"place": {"name": "x", "lat": 91, "lng": 0}},
        {"place": "Paris"},
    ],
)
def test_bad_posts_are_refused(make_user, kwargs) -> None:
    owner = make_user().user
    arguments = {"upload_ids": [new_upload(owner.user_id)], **kwargs}
    with pytest.raises(ValidationError):
        authoring.create(owner.user_id, **arguments)


def _image(upload_id: str) -> PostImage:
    return PostImage(
        upload_id=upload_id,
        status="ready",
        width=1080,
        height=720,
        placeholder="LKO2?U%2Tw=w",
        renditions=[
            Rendition(name="1080", key="posts/x/0/1080.jpg", width=1080, height=720, bytes=1234)
        ],
    )


def test_a_post_turns_ready_when_its_last_image_is_recorded(make_user) -> None:
    owner, fan = make_user().user, make_user().user
    ids = [new_upload(owner.user_id), new_upload(owner.user_id)]
    post = authoring.create(owner.user_id, ids, filter_name="moon")
    with pytest.raises(NotFound):  # nobody else sees a post before it is ready
        visible.get(fan.user_id, post.post_id)
    assert media.record_image(post.post_id, 1, _image(ids[1])) is None
    assert media.record_image(post.post_id, 0, _image(ids[0])) == "ready"
    assert media.record_image(post.post_id, 0, _image(ids[0])) is None  # told once only
    seen = cards.view(visible.get(fan.user_id, post.post_id), fan.user_id)
    assert seen["status"] == "ready"
    assert seen["images"][0]["renditions"]["1080"]["url"].startswith("http")


def test_the_authors_post_count_moves_once_per_post_however_often_streams_redeliver(
    make_user,
) -> None:
    from chalicelib import streams
    from chalicelib.accounts import profiles

    owner = make_user().user
    ids = [new_upload(owner.user_id)]
    post = authoring.create(owner.user_id, ids)
    assert profiles.by_id(owner.user_id).posts_count == 0  # processing: not shown, not counted
    media.record_image(post.post_id, 0, _image(ids[0]))
    media.record_image(post.post_id, 0, _image(ids[0]))  # the media job redelivered
    before = {
        "post_id": post.post_id,
        "author_id": owner.user_id,
        "status": "processing",
        "created_at": 1,
    }
    ready = {**before, "status": "ready"}
    streams.react("posts", before, ready)
    streams.react("posts", before, ready)  # the stream batch redelivered
    assert profiles.by_id(owner.user_id).posts_count == 1
    authoring.delete(owner.user_id, post.post_id)
    streams.react("posts", ready, None)
    streams.react("posts", ready, None)
    assert profiles.by_id(owner.user_id).posts_count == 0
    with pytest.raises(NotFound):
        authoring.delete(owner.user_id, post.post_id)


def test_one_bad_image_fails_the_post_with_a_reason(make_user) -> None:
    owner = make_user().user
    ids = [new_upload(owner.user_id), new_upload(owner.user_id)]
    post = authoring.create(owner.user_id, ids)
    assert media.record_failure(post.post_id, 1, "corrupt") is True
    assert media.record_failure(post.post_id, 1, "corrupt") is False
    assert media.record_image(post.post_id, 0, _image(ids[0])) is None
    stored = cards.view(visible.get(owner.user_id, post.post_id), owner.user_id)
    assert (stored["status"], stored["failure_reason"]) == ("failed", "corrupt")


def test_a_photo_that_arrived_first_is_queued_when_its_post_is_made(make_user) -> None:
    sqs = boto3.client("sqs")
    queue_url = sqs.get_queue_url(QueueName="glimpse-unit-media")["QueueUrl"]
    owner = make_user().user
    upload_id = new_upload(owner.user_id)
    Upload(upload_id).update(actions=[Upload.arrived_etag.set("etag-1")])
    authoring.create(owner.user_id, [upload_id])
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
    records = [json.loads(m["Body"])["Records"][0] for m in messages]
    assert any(
        r["s3"]["object"]["key"].endswith(upload_id)
        and r["s3"]["bucket"]["name"] == settings().uploads_bucket
        for r in records
    )
