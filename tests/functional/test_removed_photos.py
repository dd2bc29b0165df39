"""A photo the moderators removed is refused when uploaded again, resized and re-encoded
(the media job, functions/media/jobs.py, in-process on moto); any other photo is not."""

from __future__ import annotations

import contextlib
import io
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest
from PIL import Image

from chalicelib.core import uploads
from chalicelib.core.settings import settings
from chalicelib.posts import authoring, media
from chalicelib.posts.models import Post

REPOSITORY = Path(__file__).resolve().parents[2]
FACES = REPOSITORY / "tests" / "functional" / "media" / "data" / "dlib-faces"
sys.path.insert(0, str(REPOSITORY / "functions" / "media"))


@pytest.fixture
def jobs(aws: None) -> Any:
    import jobs

    return jobs


def post_photo(jobs: Any, author_id: str, data: bytes) -> Post:
    made = uploads.create(author_id, "image/jpeg", len(data))
    post = authoring.create(author_id, [made["upload_id"]], "a photo")
    bucket, key = settings().uploads_bucket, made["fields"]["key"]
    etag = boto3.client("s3").put_object(Bucket=bucket, Key=key, Body=data)["ETag"].strip('"')
    # A refused photo raises (retried, then kept in the dead-letter queue): failed already.
    with contextlib.suppress(jobs.PhotoRejected):
        jobs.handle_object(bucket, key, etag)
    return Post.get(post.post_id, consistent_read=True)


def test_a_removed_photo_is_refused_when_posted_again(jobs: Any, make_user: Any) -> None:
    author = make_user().user
    original, other = sorted(FACES.glob("*.jpg"))[:2]
    first = post_photo(jobs, author.user_id, original.read_bytes())
    assert first.status == "ready" and first.images[0].phash
    assert media.remember_removed(first) == 1

    with Image.open(original) as image:
        w, h = image.size
        buffer = io.BytesIO()
        image.resize((w * 2 // 3, h * 2 // 3)).save(buffer, "JPEG", quality=55)
    again = post_photo(jobs, author.user_id, buffer.getvalue())
    assert again.status == "failed"
    assert again.images[0].failure_reason == media.REFUSED
    assert post_photo(jobs, author.user_id, other.read_bytes()).status == "ready"


def test_a_flat_photo_has_no_hash_and_is_never_refused(jobs: Any, make_user: Any) -> None:
    """One colour: no detail to know it by (and removing one must not refuse them all)."""
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (200, 120, 60)).save(buffer, "JPEG")
    author = make_user().user
    flat = post_photo(jobs, author.user_id, buffer.getvalue())
    assert flat.status == "ready" and flat.images[0].phash is None
    assert media.remember_removed(flat) == 0
    assert post_photo(jobs, author.user_id, buffer.getvalue()).status == "ready"
