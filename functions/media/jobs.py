"""One uploaded photo through the pipeline: from the S3 object to a post's image.

The photo may land before its post exists (the app uploads first, then posts) or after. The
filter is the post's, so a photo without a post waits: it is marked arrived, and creating
the post queues it again (chalicelib.posts). Conditional writes on the upload make sure that
exactly one of the two sides sends it on.
"""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import DoesNotExist, UpdateError

from chalicelib import connections, posts, uploads
from chalicelib.clients import client
from chalicelib.observability import logger
from chalicelib.settings import settings
from chalicelib.tables import FaceBox, Post, PostImage, Rendition, Upload
from imaging.decode import ImageRejected
from imaging.pipeline import ProcessedImage, process

IGNORED, WAITING, PROCESSED = "ignored", "waiting_for_post", "processed"


class PhotoRejected(Exception):
    """The photo cannot be used. Raised after the post is marked failed so that the message
    is retried and then kept in the dead-letter queue: nothing is silently dropped."""


def handle_object(bucket: str, key: str, etag: str) -> str:
    parsed = uploads.parse_key(key)
    if parsed is None:
        logger.warning("not an upload key", extra={"key": key})
        return IGNORED
    owner_id, upload_id = parsed
    upload = _upload(upload_id)
    if upload is None or upload.owner_id != owner_id:
        logger.warning("object without an upload slot", extra={"key": key})
        return IGNORED
    if upload.post_id is None and _mark_arrived(upload_id, etag):
        return WAITING
    upload = _upload(upload_id)  # a post took it meanwhile: read which one
    post = Post.get(upload.post_id, consistent_read=True)
    index = int(upload.image_index)

    data = client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    try:
        processed = process(data, post.filter, detector=settings().face_detector)
    except ImageRejected as rejected:
        if posts.record_failure(post.post_id, index, rejected.reason):
            connections.notify(post.author_id, _event("post.failed", post, rejected.reason))
        raise PhotoRejected(f"{key}: {rejected.reason}") from rejected

    image = _store(post.post_id, index, upload_id, processed)
    if posts.record_image(post.post_id, index, image) == posts.READY:
        connections.notify(post.author_id, _event("post.ready", post))
    return PROCESSED


def _upload(upload_id: str) -> Upload | None:
    try:
        return Upload.get(upload_id, consistent_read=True)
    except DoesNotExist:
        return None


def _mark_arrived(upload_id: str, etag: str) -> bool:
    """True if no post has the upload yet and it now waits for one."""
    try:
        Upload(upload_id).update(
            actions=[Upload.arrived_etag.set(etag)],
            condition=Upload.post_id.does_not_exist(),
        )
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def _store(post_id: str, index: int, upload_id: str, processed: ProcessedImage) -> PostImage:
    s3 = client("s3")
    renditions = []
    for rendition in processed.renditions:
        key = f"posts/{post_id}/{index}/{rendition.name}.jpg"
        s3.put_object(
            Bucket=settings().media_bucket,
            Key=key,
            Body=rendition.data,
            ContentType="image/jpeg",
            # Keys never change content: a post's image is re-rendered under a new post only.
            CacheControl="public, max-age=31536000, immutable",
        )
        renditions.append(
            Rendition(name=rendition.name, key=key, width=rendition.width,
                      height=rendition.height, bytes=len(rendition.data))
        )
    return PostImage(
        upload_id=upload_id,
        status=posts.READY,
        width=processed.width,
        height=processed.height,
        placeholder=processed.placeholder,
        renditions=renditions,
        faces=[FaceBox(x=f.x, y=f.y, w=f.w, h=f.h) for f in processed.faces],
    )


def _event(kind: str, post: Post, reason: str | None = None) -> dict[str, Any]:
    event: dict[str, Any] = {"type": kind, "post_id": post.post_id}
    if reason is not None:
        event["reason"] = reason
    return event
