import json

import boto3
import pytest

from chalicelib import posts, uploads
from chalicelib.errors import NotFound, PayloadTooLarge, ValidationError
from chalicelib.settings import settings
from chalicelib.tables import PostImage, Rendition, Upload


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
    [("image/gif", 10, ValidationError), ("text/plain", 10, ValidationError),
     ("image/jpeg", 0, ValidationError), ("image/jpeg", "10", ValidationError),
     ("image/jpeg", True, ValidationError), ("image/jpeg", 20 * 1024 * 1024 + 1, PayloadTooLarge)],
)
def test_bad_upload_requests_are_refused(make_user, content_type, size, error) -> None:
    with pytest.raises(error):
        uploads.create(make_user().user.user_id, content_type, size)


def test_a_post_takes_its_uploads_once_and_only_its_owners(make_user) -> None:
    alice, bob = make_user().user, make_user().user
    first, second = new_upload(alice.user_id), new_upload(alice.user_id)
    post = posts.create(alice.user_id, [first, second], "hi #there", "clarendon")
    assert post.status == "processing"
    assert [image.upload_id for image in post.images] == [first, second]
    assert Upload.get(first).post_id == post.post_id
    with pytest.raises(ValidationError) as reused:
        posts.create(alice.user_id, [first])
    assert reused.value.code == "invalid_upload"
    with pytest.raises(ValidationError):
        posts.create(bob.user_id, [new_upload(alice.user_id)])
    # a refused post took nothing: the upload is still free for its owner
    free = new_upload(alice.user_id)
    with pytest.raises(ValidationError):
        posts.create(alice.user_id, [free, first])
    assert Upload.get(free).post_id is None


@pytest.mark.parametrize(
    "kwargs",
    [{"upload_ids": []}, {"upload_ids": ["x"] * 11}, {"upload_ids": "abc"},
     {"upload_ids": ["a", "a"]}, {"caption": "x" * 2201}, {"caption": 5},
     {"filter_name": "sepia-deluxe"}, {"place": {"name": "x"}},
     {"place": {"name": "x", "lat": 91, "lng": 0}}, {"place": "Paris"}],
)
def test_bad_posts_are_refused(make_user, kwargs) -> None:
    owner = make_user().user
    arguments = {"upload_ids": [new_upload(owner.user_id)], **kwargs}
    with pytest.raises(ValidationError):
        posts.create(owner.user_id, **arguments)


def _image(upload_id: str) -> PostImage:
    return PostImage(
        upload_id=upload_id, status="ready", width=1080, height=720, placeholder="LKO2?U%2Tw=w",
        renditions=[Rendition(name="1080", key="posts/x/0/1080.jpg", width=1080, height=720,
                              bytes=1234)],
    )


def test_a_post_turns_ready_when_its_last_image_is_recorded(make_user) -> None:
    owner, fan = make_user().user, make_user().user
    ids = [new_upload(owner.user_id), new_upload(owner.user_id)]
    post = posts.create(owner.user_id, ids, filter_name="moon")
    with pytest.raises(NotFound):  # nobody else sees a post before it is ready
        posts.get_visible(fan.user_id, post.post_id)
    assert posts.record_image(post.post_id, 1, _image(ids[1])) is None
    assert posts.record_image(post.post_id, 0, _image(ids[0])) == "ready"
    assert posts.record_image(post.post_id, 0, _image(ids[0])) is None  # told once only
    seen = posts.view(posts.get_visible(fan.user_id, post.post_id), fan.user_id)
    assert seen["status"] == "ready"
    assert seen["images"][0]["renditions"]["1080"]["url"].startswith("http")


def test_the_authors_post_count_moves_once_per_post_however_often_streams_redeliver(
    make_user,
) -> None:
    from chalicelib import profiles, streams

    owner = make_user().user
    ids = [new_upload(owner.user_id)]
    post = posts.create(owner.user_id, ids)
    assert profiles.by_id(owner.user_id).posts_count == 0  # processing: not shown, not counted
    posts.record_image(post.post_id, 0, _image(ids[0]))
    posts.record_image(post.post_id, 0, _image(ids[0]))  # the media job redelivered
    ready = {"post_id": post.post_id, "author_id": owner.user_id, "status": "ready"}
    streams.post_ready(ready)
    streams.post_ready(ready)  # the stream batch redelivered
    assert profiles.by_id(owner.user_id).posts_count == 1
    posts.delete(owner.user_id, post.post_id)
    streams.post_deleted(ready)
    streams.post_deleted(ready)
    assert profiles.by_id(owner.user_id).posts_count == 0
    with pytest.raises(NotFound):
        posts.delete(owner.user_id, post.post_id)


def test_one_bad_image_fails_the_post_with_a_reason(make_user) -> None:
    owner = make_user().user
    ids = [new_upload(owner.user_id), new_upload(owner.user_id)]
    post = posts.create(owner.user_id, ids)
    assert posts.record_failure(post.post_id, 1, "corrupt") is True
    assert posts.record_failure(post.post_id, 1, "corrupt") is False
    assert posts.record_image(post.post_id, 0, _image(ids[0])) is None
    stored = posts.view(posts.get_visible(owner.user_id, post.post_id), owner.user_id)
    assert (stored["status"], stored["failure_reason"]) == ("failed", "corrupt")


def test_a_photo_that_arrived_first_is_queued_when_its_post_is_made(make_user) -> None:
    sqs = boto3.client("sqs")
    queue_url = sqs.get_queue_url(QueueName="glimpse-unit-media")["QueueUrl"]
    owner = make_user().user
    upload_id = new_upload(owner.user_id)
    Upload(upload_id).update(actions=[Upload.arrived_etag.set("etag-1")])
    posts.create(owner.user_id, [upload_id])
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
    records = [json.loads(m["Body"])["Records"][0] for m in messages]
    assert any(
        r["s3"]["object"]["key"].endswith(upload_id)
        and r["s3"]["bucket"]["name"] == settings().uploads_bucket
        for r in records
    )
