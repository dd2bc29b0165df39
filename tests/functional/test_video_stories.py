"""Video stories in-process on moto: a real clip through the media job into a ready story
(9:16 MP4s and the poster's JPEGs under the story's prefix, typed and timed in its card), its
files gone with it; a clip longer than a story may be, or too heavy for one run even with
MediaConvert on, failing the story with the reason, told to the author's devices."""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import boto3
import pytest

from chalicelib import streams
from chalicelib.core import uploads
from chalicelib.core.settings import settings
from chalicelib.stories import authoring, reading
from chalicelib.stories.models import Story
from tests.functional.events import stack_environment
from tests.functional.test_events import WEBSOCKET_ENDPOINT, connected, pushed
from tests.integration.clips import clip

REPOSITORY = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPOSITORY / "functions" / "media"))


@pytest.fixture
def jobs(aws: None) -> Iterator[Any]:
    """The media function's job, with a websocket endpoint (moto's) to tell the author on."""
    import jobs

    with stack_environment(WEBSOCKET_ENDPOINT_URL=WEBSOCKET_ENDPOINT):
        yield jobs


def _land(author_id: str, data: bytes) -> tuple[Story, str, str, str]:
    made = uploads.create(author_id, "video/mp4", len(data))
    story = authoring.create(author_id, made["upload_id"])
    bucket, key = settings().uploads_bucket, made["fields"]["key"]
    etag = boto3.client("s3").put_object(Bucket=bucket, Key=key, Body=data)["ETag"]
    return story, bucket, key, etag.strip('"')


def _media_keys(prefix: str) -> set[str]:
    listed = boto3.client("s3").list_objects_v2(Bucket=settings().media_bucket, Prefix=prefix)
    return {o["Key"] for o in listed.get("Contents", [])}


def test_a_video_story_turns_ready_with_9_16_mp4s_under_its_prefix_and_goes_whole(
    jobs: Any, make_user: Any
) -> None:
    author = make_user().user
    device = connected(author.user_id)
    story, bucket, key, etag = _land(author.user_id, clip(2.0, (640, 360), fps=10))
    assert story.type == "video" and story.status == "processing"

    assert jobs.handle_object(bucket, key, etag) == jobs.PROCESSED
    assert pushed(device) == [{"type": "story.ready", "story_id": story.story_id}]
    ready = Story.get(story.story_id, consistent_read=True)
    prefix = f"stories/{author.user_id}/{story.story_id}/"
    names = ["720p.mp4", "480p.mp4", "story.jpg", "preview.jpg"]
    assert _media_keys(prefix) == {prefix + name for name in names}
    assert sorted(r.key for r in ready.renditions) == sorted(prefix + name for name in names)

    card = reading.view(ready, author, author.user_id, {})
    assert card["status"] == "ready" and card["type"] == "video"
    assert abs(card["duration_ms"] - 2000) <= 100
    kinds = {name: r["content_type"] for name, r in card["renditions"].items()}
    assert kinds == {
        "720p": "video/mp4",
        "480p": "video/mp4",
        "story": "image/jpeg",
        "preview": "image/jpeg",
    }
    s3 = boto3.client("s3")
    for name in ("720p", "480p"):
        head = s3.head_object(Bucket=settings().media_bucket, Key=f"{prefix}{name}.mp4")
        assert head["ContentType"] == "video/mp4"
        data = s3.get_object(Bucket=settings().media_bucket, Key=f"{prefix}{name}.mp4")["Body"]
        with av.open(io.BytesIO(data.read())) as container:
            stream = container.streams.video[0]
            assert abs(stream.width / stream.height - 9 / 16) < 0.01

    # Deleted: the stories stream takes every file of it, MP4s included.
    authoring.delete(author.user_id, story.story_id)
    old = {"story_id": ready.story_id, "author_id": author.user_id, "status": "ready"}
    old["renditions"] = [{"key": r.key} for r in ready.renditions]
    streams.react("stories", old, None)
    assert _media_keys(prefix) == set()


def test_a_video_longer_than_a_story_fails_the_story_with_the_reason(
    jobs: Any, make_user: Any
) -> None:
    import video_stories

    author = make_user().user
    device = connected(author.user_id)
    story, bucket, key, etag = _land(author.user_id, clip(61.6, (64, 112), fps=2, sound=False))
    with pytest.raises(video_stories.StoryVideoUnusable):
        jobs.handle_object(bucket, key, etag)
    failed = Story.get(story.story_id, consistent_read=True)
    assert failed.status == "failed"
    assert failed.failure_reason.startswith("Story videos can be at most 60 seconds")
    told = {"type": "story.failed", "story_id": story.story_id, "reason": failed.failure_reason}
    assert pushed(device) == [told]
    # The message is retried, then dead-lettered: a redelivery tells the author nothing more.
    with pytest.raises(video_stories.StoryVideoUnusable):
        jobs.handle_object(bucket, key, etag)
    assert pushed(device) == [told]
    card = reading.view(failed, author, author.user_id, {})
    assert card["failure_reason"] == failed.failure_reason and card["renditions"] is None
    assert _media_keys(f"stories/{author.user_id}/{story.story_id}/") == set()


def test_a_story_video_too_heavy_fails_with_too_heavy_even_with_mediaconvert_on(
    jobs: Any, make_user: Any
) -> None:
    import video_stories
    from video.pipeline import TOO_HEAVY

    author = make_user().user
    with stack_environment(
        WEBSOCKET_ENDPOINT_URL=WEBSOCKET_ENDPOINT,
        MEDIACONVERT_JOB_TEMPLATE="glimpse-unit-video",
        MEDIACONVERT_ROLE_ARN="arn:aws:iam::123456789012:role/glimpse-unit-MediaConvertRole",
        VIDEO_FUNCTION_BUDGET="0.01",
    ):
        assert settings().mediaconvert_on
        story, bucket, key, etag = _land(author.user_id, clip(1.0, (64, 112), fps=5))
        with pytest.raises(video_stories.StoryVideoUnusable):
            jobs.handle_object(bucket, key, etag)
    failed = Story.get(story.story_id, consistent_read=True)
    # Refused, not handed to MediaConvert: a story stays within one function run.
    assert (failed.status, failed.failure_reason) == ("failed", TOO_HEAVY)


def test_a_story_deleted_while_its_video_is_made_leaves_no_files(jobs: Any, make_user: Any) -> None:
    author = make_user().user
    story, bucket, key, etag = _land(author.user_id, clip(1.0, (320, 180), fps=10))
    authoring.delete(author.user_id, story.story_id)  # its stream record names no files yet
    assert jobs.handle_object(bucket, key, etag) == "superseded"
    assert _media_keys(f"stories/{author.user_id}/{story.story_id}/") == set()


def test_a_redelivered_video_keeps_the_ready_storys_files(jobs: Any, make_user: Any) -> None:
    author = make_user().user
    story, bucket, key, etag = _land(author.user_id, clip(1.0, (320, 180), fps=10))
    assert jobs.handle_object(bucket, key, etag) == jobs.PROCESSED
    assert jobs.handle_object(bucket, key, etag) == "superseded"
    ready = Story.get(story.story_id, consistent_read=True)
    assert _media_keys(f"stories/{author.user_id}/{story.story_id}/") == {
        r.key for r in ready.renditions
    }
