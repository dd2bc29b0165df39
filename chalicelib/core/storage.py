"""The media bucket, for every context that shows or stores what the media function made:
post renditions (``posts/…``) and profile photos (``avatars/…``); and ``download``, how the
media function brings an upload to its scratch disk.

URLs are presigned GETs signed here, with the process's credentials: no call to S3, so a
page of posts or people costs no round trip for its images.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path

from chalicelib.core.clients import client
from chalicelib.core.settings import settings

# Keys never change content (a new photo gets a new key), so caches may keep them forever.
IMMUTABLE = "public, max-age=31536000, immutable"
_DELETE_BATCH = 1000  # the most keys one DeleteObjects takes


def media_url(key: str) -> str:
    """A time-limited URL (``MEDIA_URL_SECONDS``) of an object in the media bucket."""
    return client("s3").generate_presigned_url(
        "get_object",
        Params={"Bucket": settings().media_bucket, "Key": key},
        ExpiresIn=settings().media_url_seconds,
    )


def put_media(key: str, data: bytes, content_type: str = "image/jpeg") -> None:
    client("s3").put_object(
        Bucket=settings().media_bucket,
        Key=key,
        Body=data,
        ContentType=content_type,
        CacheControl=IMMUTABLE,
    )


def delete_media(keys: Iterable[str]) -> None:
    """Deletes these objects of the media bucket (missing ones are no error)."""
    wanted = list(dict.fromkeys(key for key in keys if key))
    s3, bucket = client("s3"), settings().media_bucket
    for start in range(0, len(wanted), _DELETE_BATCH):
        chunk = [{"Key": key} for key in wanted[start : start + _DELETE_BATCH]]
        s3.delete_objects(Bucket=bucket, Delete={"Objects": chunk, "Quiet": True})


def download(bucket: str, key: str, path: Path) -> Path:
    """The object streamed to ``path`` (the media function's scratch disk: a video is too big
    to hold in memory), a megabyte at a time."""
    body = client("s3").get_object(Bucket=bucket, Key=key)["Body"]
    with path.open("wb") as file:
        shutil.copyfileobj(body, file, 1024 * 1024)
    return path
