"""Upload slots: the app sends photos straight to S3, never through the API, and whatever
takes a photo (a post, a profile photo) takes its slot.

The POST policy S3 enforces carries the limits (exact content type, at most the declared size,
the one key), so nothing larger or of another kind can land under the key. A slot is used
once, by its owner: a post (``post_id``, ``image_index``), the owner's profile photo
(``avatar_of``) or a story (``story_id``) takes it with a conditional write (``free_for``).
The photo may land before anything took it: the media function then marks it arrived
(``mark_arrived``) and whoever takes it later sends it through again (``requeue_arrived``).
The conditions on both sides make exactly one of them send it on.

In core rather than in posts because both posts and accounts (below posts) take slots.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.exceptions import UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.indexes import GlobalSecondaryIndex

from chalicelib.core.clients import client
from chalicelib.core.dynamodb import Model, meta
from chalicelib.core.errors import PayloadTooLarge, ValidationError
from chalicelib.core.ids import new_id, now_ms
from chalicelib.core.settings import settings

# What phones produce; the media function checks the real type from the bytes again.
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "image/heic", "image/heif"})
# H.264 or HEVC in MP4, or a phone's MOV; the media function checks codec and duration.
VIDEO_TYPES = frozenset({"video/mp4", "video/quicktime"})
CONTENT_TYPES = IMAGE_TYPES | VIDEO_TYPES
KEY_PREFIX = "uploads/"


class UploadsByOwner(GlobalSecondaryIndex):
    Meta = meta("uploads", index="uploads_by_owner")

    owner_id = UnicodeAttribute(hash_key=True)
    upload_id = UnicodeAttribute(range_key=True)


class Upload(Model):
    """A presigned upload slot: usable once, by its owner, until it expires."""

    Meta = meta("uploads")

    upload_id = UnicodeAttribute(hash_key=True)
    owner_id = UnicodeAttribute()
    key = UnicodeAttribute()
    content_type = UnicodeAttribute()
    max_bytes = NumberAttribute()
    created_at = NumberAttribute()
    expires_at = TTLAttribute()
    # Set when a post takes the upload, and which of its images it is.
    post_id = UnicodeAttribute(null=True)
    image_index = NumberAttribute(null=True)
    # Set by the media function when the object landed before anything took it.
    arrived_etag = UnicodeAttribute(null=True)
    # Set when the owner's profile photo takes it instead of a post (PUT /me/avatar).
    avatar_of = UnicodeAttribute(null=True)
    # Set when one of the owner's stories takes it (POST /stories).
    story_id = UnicodeAttribute(null=True)

    by_owner = UploadsByOwner()


def create(owner_id: str, content_type: object, size: object) -> dict[str, Any]:
    s = settings()
    if not isinstance(content_type, str) or content_type.lower() not in CONTENT_TYPES:
        raise ValidationError(
            f"content_type must be one of {', '.join(sorted(CONTENT_TYPES))}",
            field="content_type",
        )
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ValidationError("size must be the file's size in bytes", field="size")
    content_type = content_type.lower()
    if content_type in VIDEO_TYPES and size > s.video_max_bytes:
        raise PayloadTooLarge(f"Videos can be at most {s.video_max_bytes} bytes", field="size")
    if content_type in IMAGE_TYPES and size > s.upload_max_bytes:
        raise PayloadTooLarge(f"Photos can be at most {s.upload_max_bytes} bytes", field="size")
    upload_id = new_id()
    key = f"{KEY_PREFIX}{owner_id}/{upload_id}"
    Upload(
        upload_id,
        owner_id=owner_id,
        key=key,
        content_type=content_type,
        max_bytes=size,
        created_at=now_ms(),
        # The slot outlives its URL: a photo uploaded at the last second can still be posted.
        expires_at=datetime.fromtimestamp(time.time() + 2 * 86400, UTC),
    ).save()
    presigned = client("s3").generate_presigned_post(
        Bucket=s.uploads_bucket,
        Key=key,
        Fields={"Content-Type": content_type},
        Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, size]],
        ExpiresIn=s.upload_url_seconds,
    )
    return {
        "upload_id": upload_id,
        "url": presigned["url"],
        "fields": presigned["fields"],
        "expires_in": s.upload_url_seconds,
    }


def is_video(content_type: str) -> bool:
    return content_type in VIDEO_TYPES


def free_for(owner_id: str, photos_only: bool = False) -> Condition:
    """The condition under which ``owner_id`` may take a slot: theirs, and nothing took it
    (and, for ``photos_only`` takers such as a profile photo, not a video)."""
    condition = (
        (Upload.owner_id == owner_id)
        & Upload.post_id.does_not_exist()
        & Upload.avatar_of.does_not_exist()
        & Upload.story_id.does_not_exist()
    )
    if photos_only:
        condition &= Upload.content_type.is_in(*sorted(IMAGE_TYPES))
    return condition


def parse_key(key: str) -> tuple[str, str] | None:
    """(owner id, upload id) of an uploads-bucket key, None for anything else."""
    if not key.startswith(KEY_PREFIX):
        return None
    parts = key[len(KEY_PREFIX) :].split("/")
    if len(parts) != 2 or not all(parts):
        return None
    return parts[0], parts[1]


def mark_arrived(upload_id: str, etag: str) -> bool:
    """The media function met a photo: True if nothing has taken its slot yet and it now
    waits (whatever takes it re-queues it), False if something took it (process it now)."""
    try:
        Upload(upload_id).update(
            actions=[Upload.arrived_etag.set(etag)],
            condition=Upload.post_id.does_not_exist()
            & Upload.avatar_of.does_not_exist()
            & Upload.story_id.does_not_exist(),
        )
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def requeue_arrived(upload_ids: list[str]) -> None:
    """Photos that reached S3 before anything took their slot were left waiting by the media
    function (it needs to know what they are for): send them through now."""
    waiting = [
        upload
        for upload in Upload.batch_get(upload_ids, consistent_read=True)
        if upload.arrived_etag
    ]
    if not waiting:
        return
    entries = [
        {
            "Id": str(number),
            "MessageBody": json.dumps(
                s3_event(settings().uploads_bucket, upload.key, upload.arrived_etag)
            ),
        }
        for number, upload in enumerate(waiting)
    ]
    client("sqs").send_message_batch(QueueUrl=settings().media_queue_url, Entries=entries)


def s3_event(bucket: str, key: str, etag: str) -> dict[str, Any]:
    """The S3 notification S3 itself would have sent for this object."""
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": settings().region,
                "eventName": "ObjectCreated:Post",
                "s3": {"bucket": {"name": bucket}, "object": {"key": key, "eTag": etag}},
            }
        ]
    }
