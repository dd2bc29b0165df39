"""Heavy videos and AWS Elemental MediaConvert (functions/media/mediaconvert_jobs.py), on moto.

moto has no MediaConvert and nothing here fakes one. The hand-off is checked at its two
edges: the ``CreateJob`` request the media function sends (its client a botocore ``Stubber``,
which checks the request against MediaConvert's own API model and answers as the service
would), and the media function fed the "MediaConvert Job State Change" event EventBridge
delivers when a job ends (tests/events/eventbridge_mediaconvert_*.json), with the outputs the
job would have written put in moto's S3 by the test: real MP4s made with PyAV. What the real
service does between the two (and whether it reads our job as we mean it) is not tested.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from tests.functional.events import context, function_handler, load, stack_environment
from tests.integration.clips import clip

TEMPLATE = "glimpse-unit-video"
ROLE = "arn:aws:iam::123456789012:role/glimpse-unit-MediaConvertRole-1A2B3C4D5E6F"
JOB_ID = "1733212345678-abc123"
PORTRAIT_720P, PORTRAIT_480P = {"Width": 720, "Height": 1280}, {"Width": 480, "Height": 852}


@pytest.fixture
def mediaconvert_on(aws: None) -> Iterator[None]:
    """The stack's MediaConvert=on, and a budget every test clip is over."""
    with stack_environment(
        MEDIACONVERT_JOB_TEMPLATE=TEMPLATE,
        MEDIACONVERT_ROLE_ARN=ROLE,
        VIDEO_FUNCTION_BUDGET="0.01",
    ):
        yield


@pytest.fixture
def mediaconvert_off(aws: None) -> Iterator[None]:
    with stack_environment(
        MEDIACONVERT_JOB_TEMPLATE="", MEDIACONVERT_ROLE_ARN="", VIDEO_FUNCTION_BUDGET="0.01"
    ):
        yield


def video_post(make_user: Any, data: bytes) -> tuple[Any, Any, str, str]:
    """A post of one video whose upload is in the uploads bucket: (author, post, key, etag)."""
    from chalicelib.core import uploads
    from chalicelib.core.settings import settings
    from chalicelib.posts import authoring

    author = make_user().user
    slot = uploads.create(author.user_id, "video/mp4", len(data))
    post = authoring.create(author.user_id, [slot["upload_id"]], "the whole concert")
    key = slot["fields"]["key"]
    put = boto3.client("s3").put_object(Bucket=settings().uploads_bucket, Key=key, Body=data)
    return author, post, key, put["ETag"].strip('"')


# -- the hand-off: CreateJob -----------------------------------------------------------------


def test_a_video_past_the_budget_becomes_a_job_and_its_item_stays_processing(
    mediaconvert_on: None, make_user: Any
) -> None:
    import jobs
    from chalicelib.core import clients
    from chalicelib.core.settings import settings
    from chalicelib.posts.models import Post

    # A portrait phone video: stored 1920x1080 landscape, turned by its display matrix.
    data = clip(1.0, (1920, 1080), fps=5, rotation=-90)
    _, post, key, etag = video_post(make_user, data)
    upload_id = post.images[0].upload_id
    s = settings()
    expected = {
        "JobTemplate": TEMPLATE,
        "Role": ROLE,
        "ClientRequestToken": hashlib.sha256(f"{s.uploads_bucket}/{key}".encode()).hexdigest(),
        "UserMetadata": {
            "application": "glimpse",
            "stage": "unit",
            "post_id": post.post_id,
            "index": "0",
            "upload_id": upload_id,
            "upload_key": key,
            "width": "1080",
            "height": "1920",
            "duration_ms": "1000",
        },
        "Settings": {
            "Inputs": [
                {
                    "FileInput": f"s3://{s.uploads_bucket}/{key}",
                    "VideoSelector": {"Rotate": "AUTO"},
                    "AudioSelectors": {"Audio Selector 1": {"DefaultSelection": "DEFAULT"}},
                }
            ],
            "OutputGroups": [
                {
                    "Name": "renditions",
                    "OutputGroupSettings": {
                        "Type": "FILE_GROUP_SETTINGS",
                        "FileGroupSettings": {
                            "Destination": f"s3://{s.media_bucket}/posts/{post.post_id}/0/video"
                        },
                    },
                    # The boxes turned with the video, as the function's own renditions.
                    "Outputs": [
                        {
                            "NameModifier": "-720p",
                            "VideoDescription": {"Width": 720, "Height": 1280},
                        },
                        {
                            "NameModifier": "-480p",
                            "VideoDescription": {"Width": 480, "Height": 852},
                        },
                    ],
                }
            ],
        },
    }
    answer = {"Job": {"Id": JOB_ID, "Role": ROLE, "Settings": {}, "Status": "SUBMITTED"}}
    with Stubber(clients.mediaconvert()) as stub:
        stub.add_response("create_job", answer, expected)
        assert jobs.handle_object(s.uploads_bucket, key, etag) == jobs.PROCESSED
        stub.assert_no_pending_responses()

    stored = Post.get(post.post_id, consistent_read=True)
    assert stored.status == "processing"
    assert stored.images[0].status == "processing" and stored.images[0].failure_reason is None
    # nothing rendered here: MediaConvert writes the renditions
    listed = boto3.client("s3").list_objects_v2(
        Bucket=s.media_bucket, Prefix=f"posts/{post.post_id}/"
    )
    assert listed["KeyCount"] == 0


def test_with_mediaconvert_off_a_video_past_the_budget_is_refused(
    mediaconvert_off: None, make_user: Any
) -> None:
    import jobs
    import video_posts
    from chalicelib.core.settings import settings
    from chalicelib.posts.models import Post
    from video.pipeline import TOO_HEAVY

    assert not settings().mediaconvert_on
    _, post, key, etag = video_post(make_user, clip(1.0, (320, 240), fps=5))
    with pytest.raises(video_posts.VideoUnusable):
        jobs.handle_object(settings().uploads_bucket, key, etag)
    stored = Post.get(post.post_id, consistent_read=True)
    assert (stored.status, stored.images[0].failure_reason) == ("failed", TOO_HEAVY)


# -- the job's end: EventBridge's "MediaConvert Job State Change" -----------------------------


@pytest.fixture
def media_function(mediaconvert_on: None) -> Any:
    return function_handler("functions/media/handler.lambda_handler")


def job_event(name: str, post: Any, key: str, **values: object) -> dict[str, Any]:

    return load(
        name,
        job_id=JOB_ID,
        post_id=post.post_id,
        index=0,
        upload_id=post.images[0].upload_id,
        upload_key=key,
        **values,
    )


def test_a_completed_job_makes_the_item_ready_with_its_renditions_and_poster(
    media_function: Any, make_user: Any
) -> None:
    from chalicelib.accounts.models import User
    from chalicelib.core.settings import settings
    from chalicelib.posts.models import Post

    author, post, key, _ = video_post(make_user, clip(1.0, (320, 240), fps=5))
    s3, bucket = boto3.client("s3"), settings().media_bucket
    # What the job wrote (the fixture's output details: 1280x720 and 852x480, 2 s).
    made = {}
    for name, size in (("720p", (1280, 720)), ("480p", (852, 480))):
        made[name] = clip(2.0, size, fps=10)
        output = f"posts/{post.post_id}/0/video-{name}.mp4"
        s3.put_object(Bucket=bucket, Key=output, Body=made[name], ContentType="video/mp4")
    event = job_event("eventbridge_mediaconvert_complete", post, key, media_bucket=bucket)

    assert media_function(event, context("glimpse-unit-media")) == {"outcome": "recorded"}
    ready = Post.get(post.post_id, consistent_read=True)
    assert ready.status == "ready"
    (item,) = ready.images
    assert (item.type, item.status, item.width, item.height) == ("video", "ready", 3840, 2160)
    assert item.duration_ms == 2000
    renditions = {r.name: r for r in item.renditions}
    assert set(renditions) == {"720p", "480p"}
    for name, (width, height) in (("720p", (1280, 720)), ("480p", (852, 480))):
        rendition = renditions[name]
        assert rendition.key == f"posts/{post.post_id}/0/video-{name}.mp4"
        assert (rendition.width, rendition.height) == (width, height)
        assert rendition.bytes == len(made[name])
    # The poster: chosen from the 720p output by the local path's rule, a photo's renditions.
    assert {r.name for r in item.poster} == {"large", "medium", "small", "thumb"}
    for rendition in item.poster:
        assert rendition.key.startswith(f"posts/{post.post_id}/0/poster/")
        head = s3.head_object(Bucket=bucket, Key=rendition.key)
        assert head["ContentLength"] == rendition.bytes
    assert max(r.width for r in item.poster) <= 1280 and item.placeholder
    assert User.get(author.user_id, consistent_read=True).posts_count == 1

    # EventBridge delivers at least once: the same event again changes nothing.
    assert media_function(event, context("glimpse-unit-media")) == {"outcome": "ignored"}
    again = Post.get(post.post_id, consistent_read=True).images[0]
    assert [r.attribute_values for r in again.renditions] == [
        r.attribute_values for r in item.renditions
    ]
    assert User.get(author.user_id, consistent_read=True).posts_count == 1


def test_a_failed_job_fails_the_item_without_the_jobs_internals(
    media_function: Any, make_user: Any
) -> None:
    from chalicelib.posts.models import Post
    from mediaconvert_jobs import CONVERSION_FAILED

    _, post, key, _ = video_post(make_user, clip(1.0, (320, 240), fps=5))
    message = f"Demuxer: [ReadPacketData File read failed - s3://uploads/{key} end of file hit]"
    event = job_event("eventbridge_mediaconvert_error", post, key, error_message=message)

    assert media_function(event, context("glimpse-unit-media")) == {"outcome": "failed"}
    failed = Post.get(post.post_id, consistent_read=True)
    # The author reads a reason of ours: MediaConvert's message names buckets and keys.
    assert (failed.status, failed.failure_reason) == ("failed", CONVERSION_FAILED)
    assert failed.images[0].failure_reason == CONVERSION_FAILED
    assert media_function(event, context("glimpse-unit-media")) == {"outcome": "ignored"}


def test_a_job_for_a_post_deleted_meanwhile_leaves_nothing_behind(
    media_function: Any, make_user: Any
) -> None:
    from chalicelib.core.settings import settings
    from chalicelib.posts.models import Post

    _, post, key, _ = video_post(make_user, clip(1.0, (320, 240), fps=5))
    s3, bucket = boto3.client("s3"), settings().media_bucket
    for name in ("720p", "480p"):
        s3.put_object(Bucket=bucket, Key=f"posts/{post.post_id}/0/video-{name}.mp4", Body=b"x")
    event = job_event("eventbridge_mediaconvert_complete", post, key, media_bucket=bucket)
    Post(post.post_id).delete()

    assert media_function(event, context("glimpse-unit-media")) == {"outcome": "ignored"}
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=f"posts/{post.post_id}/")
    assert listed["KeyCount"] == 0


def test_another_stages_job_is_not_this_stages(media_function: Any, make_user: Any) -> None:
    from chalicelib.core.settings import settings
    from chalicelib.posts.models import Post

    _, post, key, _ = video_post(make_user, clip(1.0, (320, 240), fps=5))
    event = job_event(
        "eventbridge_mediaconvert_complete", post, key, media_bucket=settings().media_bucket
    )
    event["detail"]["userMetadata"]["stage"] = "prod"
    assert media_function(event, context("glimpse-unit-media")) == {"outcome": "ignored"}
    assert Post.get(post.post_id, consistent_read=True).status == "processing"
