"""Posts: creating one from uploads, following its images through the media pipeline, and
showing it to whoever may see it.

A post is ``processing`` until every image has its renditions, then ``ready``; ``failed``, with
a reason the app can show, as soon as one image cannot be used.
"""

from __future__ import annotations

import json
from typing import Any

from pynamodb.exceptions import UpdateError

from chalicelib import profiles, relationships
from chalicelib.clients import client
from chalicelib.errors import NotFound, ValidationError
from chalicelib.ids import new_id, now_ms
from chalicelib.settings import settings
from chalicelib.tables import Place, Post, PostImage, Transaction, TransactionCancelled, Upload

CAPTION_MAX = 2200
MAX_IMAGES = 10
PROCESSING, READY, FAILED = "processing", "ready", "failed"

# The filters functions/media implements (a test keeps the two lists equal).
FILTERS = (
    "normal", "clarendon", "gingham", "juno", "lark", "ludwig", "moon", "reyes", "valencia",
)  # fmt: skip


def create(
    author_id: str,
    upload_ids: object,
    caption: object = "",
    filter_name: object = "normal",
    place: object = None,
) -> Post:
    ids = _check_upload_ids(upload_ids)
    if not isinstance(caption, str) or len(caption) > CAPTION_MAX:
        raise ValidationError(
            f"caption must be text of at most {CAPTION_MAX} characters", field="caption"
        )
    if filter_name not in FILTERS:
        raise ValidationError(f"filter must be one of {', '.join(FILTERS)}", field="filter")
    post = Post(
        new_id(),
        author_id=author_id,
        created_at=now_ms(),
        caption=caption,
        filter=filter_name,
        place=_check_place(place),
        images=[PostImage(upload_id=upload_id) for upload_id in ids],
    )
    # Taking the uploads and writing the post is one transaction: an upload is used once,
    # only by its owner, and a refused post leaves every upload free.
    try:
        with Transaction() as transaction:
            for index, upload_id in enumerate(ids):
                transaction.update(
                    Upload(upload_id),
                    actions=[Upload.post_id.set(post.post_id), Upload.image_index.set(index)],
                    condition=(Upload.owner_id == author_id) & Upload.post_id.does_not_exist(),
                    label=upload_id,
                )
            transaction.save(post)
    except TransactionCancelled as cancelled:
        bad = ", ".join(upload_id for upload_id in ids if upload_id in cancelled.failed)
        raise ValidationError(
            f"Upload {bad} does not exist, is not yours, or is already used",
            code="invalid_upload",
            field="upload_ids",
        ) from None
    _process_arrived_uploads(ids)
    return post


def get_visible(viewer_id: str, post_id: str) -> Post:
    """The post, if the viewer may see it; 404 otherwise, without saying why."""
    try:
        post = Post.get(post_id)
    except Post.DoesNotExist:
        raise NotFound("No such post", code="post_not_found") from None
    if post.author_id != viewer_id:
        author = profiles.by_id(post.author_id)
        relationship = relationships.between(viewer_id, author.user_id)
        hidden = relationship.blocked or relationship.blocked_by or (
            author.is_private and not relationship.following
        )
        if hidden or post.status != READY:
            raise NotFound("No such post", code="post_not_found")
    return post


def view(post: Post) -> dict[str, Any]:
    author = profiles.by_id(post.author_id)
    return {
        "post_id": post.post_id,
        "author": profiles.summary(author),
        "created_at": int(post.created_at),
        "status": post.status,
        "failure_reason": post.failure_reason,
        "caption": post.caption,
        "filter": post.filter,
        "place": post.place.as_dict() if post.place else None,
        "images": [_image_view(image) for image in post.images],
        "likes_count": int(post.likes_count),
        "comments_count": int(post.comments_count),
    }


def record_image(post_id: str, index: int, image: PostImage) -> str | None:
    """Store one processed image; returns the post's new status if this completed it."""
    post = Post(post_id)
    post.update(
        actions=[Post.images[index].set(image)],
        condition=Post.images[index].upload_id == image.upload_id,
    )
    if all(stored.status == READY for stored in Post.get(post_id, consistent_read=True).images):
        return READY if _transition(post_id, READY) else None
    return None


def record_failure(post_id: str, index: int, reason: str) -> bool:
    """Mark the image and its post failed; True if this call is what failed the post."""
    Post(post_id).update(
        actions=[
            Post.images[index].status.set(FAILED),
            Post.images[index].failure_reason.set(reason),
        ]
    )
    return _transition(post_id, FAILED, reason)


def _transition(post_id: str, status: str, reason: str | None = None) -> bool:
    # Only one of several concurrent image jobs may move the post out of processing, so the
    # author is told exactly once.
    actions = [Post.status.set(status)]
    if reason is not None:
        actions.append(Post.failure_reason.set(reason))
    try:
        Post(post_id).update(actions=actions, condition=Post.status == PROCESSING)
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def _image_view(image: PostImage) -> dict[str, Any]:
    s3 = client("s3")
    renditions = {}
    for rendition in image.renditions:
        renditions[rendition.name] = {
            "url": s3.generate_presigned_url(
                "get_object",
                Params={"Bucket": settings().media_bucket, "Key": rendition.key},
                ExpiresIn=settings().media_url_seconds,
            ),
            "width": int(rendition.width),
            "height": int(rendition.height),
            "bytes": int(rendition.bytes),
        }
    return {
        "status": image.status,
        "width": None if image.width is None else int(image.width),
        "height": None if image.height is None else int(image.height),
        "placeholder": image.placeholder,
        "renditions": renditions,
        "faces": [
            {"x": float(f.x), "y": float(f.y), "w": float(f.w), "h": float(f.h)}
            for f in image.faces
        ],
        "failure_reason": image.failure_reason,
    }


def _check_upload_ids(raw: object) -> list[str]:
    if (
        not isinstance(raw, list)
        or not 1 <= len(raw) <= MAX_IMAGES
        or not all(isinstance(item, str) and 0 < len(item) <= 64 for item in raw)
    ):
        raise ValidationError(
            f"upload_ids must be a list of 1 to {MAX_IMAGES} upload ids", field="upload_ids"
        )
    if len(set(raw)) != len(raw):
        raise ValidationError("upload_ids must not repeat an upload", field="upload_ids")
    return list(raw)


def _check_place(raw: object) -> Place | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or set(raw) - {"name", "lat", "lng"}:
        raise ValidationError("place must be {name, lat, lng}", field="place")
    name, lat, lng = raw.get("name"), raw.get("lat"), raw.get("lng")
    numbers_ok = all(
        isinstance(value, int | float) and not isinstance(value, bool) for value in (lat, lng)
    )
    if not isinstance(name, str) or not 0 < len(name.strip()) <= 100 or not numbers_ok:
        raise ValidationError("place needs a name and numeric lat and lng", field="place")
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise ValidationError("place lat/lng are out of range", field="place")
    return Place(name=name.strip(), lat=lat, lng=lng)


def _process_arrived_uploads(upload_ids: list[str]) -> None:
    """Photos that reached S3 before their post existed were left waiting by the media
    function (it needs the post's filter): send them through now."""
    waiting = [
        upload for upload in Upload.batch_get(upload_ids, consistent_read=True)
        if upload.arrived_etag
    ]
    if not waiting:
        return
    entries = [
        {
            "Id": str(number),
            "MessageBody": json.dumps(s3_event(settings().uploads_bucket, upload.key,
                                               upload.arrived_etag)),
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
