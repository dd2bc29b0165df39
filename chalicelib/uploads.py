"""Presigned uploads: the app sends photos straight to S3, never through the API.

The POST policy S3 enforces carries the limits (exact content type, at most the declared size,
the one key), so nothing larger or of another kind can land under the key.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from chalicelib.clients import client
from chalicelib.errors import PayloadTooLarge, ValidationError
from chalicelib.ids import new_id, now_ms
from chalicelib.settings import settings
from chalicelib.tables import Upload

# What phones produce; the media function checks the real type from the bytes again.
CONTENT_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "image/heic", "image/heif"})
KEY_PREFIX = "uploads/"


def create(owner_id: str, content_type: object, size: object) -> dict[str, Any]:
    s = settings()
    if not isinstance(content_type, str) or content_type.lower() not in CONTENT_TYPES:
        raise ValidationError(
            f"content_type must be one of {', '.join(sorted(CONTENT_TYPES))}",
            field="content_type",
        )
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ValidationError("size must be the file's size in bytes", field="size")
    if size > s.upload_max_bytes:
        raise PayloadTooLarge(
            f"Photos can be at most {s.upload_max_bytes} bytes", field="size"
        )
    content_type = content_type.lower()
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


def parse_key(key: str) -> tuple[str, str] | None:
    """(owner id, upload id) of an uploads-bucket key, None for anything else."""
    if not key.startswith(KEY_PREFIX):
        return None
    parts = key[len(KEY_PREFIX) :].split("/")
    if len(parts) != 2 or not all(parts):
        return None
    return parts[0], parts[1]
