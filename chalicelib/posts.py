"""Posts: creating one from uploads, following its images through the media pipeline, and
showing it to whoever may see it.

A post is ``processing`` until every image has its renditions, then ``ready``; ``failed``, with
a reason the app can show, as soon as one image cannot be used.
"""

from __future__ import annotations

import json
from typing import Any

from chalicelib import captions, places, profiles, relationships
from chalicelib.clients import client
from chalicelib.errors import Conflict, Forbidden, NotFound, ValidationError
from chalicelib.ids import new_id, now_ms
from chalicelib.pagination import decode_cursor, encode_cursor
from chalicelib.settings import settings
from chalicelib.tables import (
    Like,
    Place,
    Post,
    PostImage,
    Save,
    Transaction,
    TransactionCancelled,
    Upload,
    User,
    batch_get,
)

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
    caption = _check_caption(caption)
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
        hashtags=captions.hashtags(caption),
        mentions=captions.mentions(caption),
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


def not_found() -> NotFound:
    return NotFound("No such post", code="post_not_found")


def get_visible(viewer_id: str, post_id: str) -> Post:
    """The post, if the viewer may see it; 404 otherwise, without saying why."""
    try:
        post = Post.get(post_id)
    except Post.DoesNotExist:
        raise not_found() from None
    if post.author_id != viewer_id:
        author = profiles.by_id(post.author_id)
        relationship = relationships.between(viewer_id, author.user_id)
        if post.status != READY or not relationships.can_see_posts(viewer_id, author, relationship):
            raise not_found()
    return post


def update_caption(author_id: str, post_id: str, caption: object) -> Post:
    caption = _check_caption(caption)
    post = get_visible(author_id, post_id)
    if post.author_id != author_id:
        raise Forbidden("Only the author can edit a post", code="not_post_author")
    # Hashtag pages and mentions follow through the posts stream (chalicelib/streams.py).
    post.update(
        actions=[
            Post.caption.set(caption),
            Post.hashtags.set(captions.hashtags(caption)),
            Post.mentions.set(captions.mentions(caption)),
        ],
        condition=Post.author_id == author_id,
    )
    return post


def delete(author_id: str, post_id: str) -> None:
    """Deletes the post; the posts stream then removes its traces (feeds, hashtag and place
    pages, counters, renditions, likes, comments, activity) in the background."""
    post = get_visible(author_id, post_id)
    if post.author_id != author_id:
        raise Forbidden("Only the author can delete a post", code="not_post_author")
    try:
        with Transaction() as write:
            # The status the count was decided on must still hold when the post goes.
            write.delete(post, condition=(Post.author_id == author_id)
                         & (Post.status == post.status), label="post")  # fmt: skip
            if post.status == READY:
                write.update(User(author_id), actions=[User.posts_count.add(-1)])
    except TransactionCancelled:
        raise Conflict("The post changed while it was being deleted; try again",
                       code="concurrent_change") from None


def read(viewer_id: str, post_id: str) -> dict[str, Any]:
    """``GET /posts/{id}`` in two round trips: the post, then one batch of its author, the
    relationships that decide visibility and the like/save flags (as a feed card). The
    author also sees their own post while it is processing or failed."""
    try:
        post = Post.get(post_id)
    except Post.DoesNotExist:
        raise not_found() from None
    if post.author_id == viewer_id:
        return view(post, viewer_id)
    shown = cards(viewer_id, [(post.post_id, post.author_id)])
    if not shown:
        raise not_found()
    return shown[0]


def view(post: Post, viewer_id: str) -> dict[str, Any]:
    """One post as its viewer sees it: its author, and whether the viewer liked or saved it."""
    found = batch_get(_card_keys(viewer_id, [(post.post_id, post.author_id)]))
    return _card(post, found[(User, post.author_id, None)], found, viewer_id)


def cards(viewer_id: str, refs: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """Posts (``(post_id, author_id)``, in order) as cards, leaving out what the viewer may
    not see or what is not ready: posts, authors, like/save flags and the relationships
    that decide visibility all come from one BatchGetItem (its chunks sent side by side)."""
    if not refs:
        return []
    found = batch_get(_card_keys(viewer_id, refs))
    shown = []
    for post_id, author_id in refs:
        post, author = found.get((Post, post_id, None)), found.get((User, author_id, None))
        if post is None or author is None or post.status != READY:
            continue
        relationship = relationships.from_found(viewer_id, author_id, found)
        if relationships.can_see_posts(viewer_id, author, relationship):
            shown.append(_card(post, author, found, viewer_id))
    return shown


def by_author(viewer_id: str, username: str, limit: int, cursor: str | None) -> dict[str, Any]:
    """A profile's grid: the author's ready posts, newest first, for whoever may see them."""
    author = profiles.by_username(username)
    relationships.require_can_see_content(
        viewer_id, author, relationships.between(viewer_id, author.user_id)
    )
    start = decode_cursor(cursor, {"author_id", "post_id"}, ("author_id", author.user_id))
    result = Post.by_author.query(author.user_id, scan_index_forward=False, limit=limit,
                                  last_evaluated_key=start)  # fmt: skip
    refs = [(item.post_id, author.user_id) for item in result]
    next_cursor = encode_cursor(result.last_evaluated_key)
    return {"items": cards(viewer_id, refs), "next_cursor": next_cursor}


def _card_keys(viewer_id: str, refs: list[tuple[str, str]]) -> list[tuple]:
    keys: list[tuple] = []
    for post_id, author_id in refs:
        keys += [(Post, post_id, None), (User, author_id, None),
                 (Like, post_id, viewer_id), (Save, viewer_id, post_id)]  # fmt: skip
        if author_id != viewer_id:
            keys += relationships.keys(viewer_id, author_id).values()
    return keys


def _card(post: Post, author: User, found: dict, viewer_id: str) -> dict[str, Any]:
    return {
        "post_id": post.post_id,
        "author": profiles.summary(author),
        "created_at": int(post.created_at),
        "status": post.status,
        "failure_reason": post.failure_reason,
        "caption": post.caption,
        "hashtags": list(post.hashtags),
        "mentions": list(post.mentions),
        "filter": post.filter,
        "place": _place_view(post.place),
        "images": [_image_view(image) for image in post.images],
        "likes_count": int(post.likes_count),
        "comments_count": int(post.comments_count),
        "liked": (Like, post.post_id, viewer_id) in found,
        "saved": (Save, viewer_id, post.post_id) in found,
    }


def _place_view(place: Place | None) -> dict[str, Any] | None:
    if place is None:
        return None
    return {"place_id": place.place_id, "name": place.name, "lat": float(place.lat),
            "lng": float(place.lng)}  # fmt: skip


def record_image(post_id: str, index: int, image: PostImage) -> str | None:
    """Store one processed image; returns the post's new status if this completed it."""
    post = Post(post_id)
    post.update(
        actions=[Post.images[index].set(image)],
        condition=Post.images[index].upload_id == image.upload_id,
    )
    stored = Post.get(post_id, consistent_read=True)
    if all(image.status == READY for image in stored.images):
        return READY if _transition(post_id, READY, author_id=stored.author_id) else None
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


def _transition(post_id: str, status: str, reason: str | None = None, *,
                author_id: str | None = None) -> bool:  # fmt: skip
    # Only one of several concurrent image jobs may move the post out of processing, so the
    # author is told exactly once, and the author's post count goes up exactly once with it
    # (in the posts stream it would count twice whenever a batch is redelivered).
    actions = [Post.status.set(status)]
    if reason is not None:
        actions.append(Post.failure_reason.set(reason))
    try:
        with Transaction() as write:
            write.update(Post(post_id), actions=actions, condition=Post.status == PROCESSING,
                         label="processing")  # fmt: skip
            if status == READY and author_id is not None:
                write.update(User(author_id), actions=[User.posts_count.add(1)])
    except TransactionCancelled:
        return False
    return True


def rendition_url(key: str) -> str:
    """A time-limited URL of a rendition (signed locally: no call to S3)."""
    return client("s3").generate_presigned_url(
        "get_object",
        Params={"Bucket": settings().media_bucket, "Key": key},
        ExpiresIn=settings().media_url_seconds,
    )


def _image_view(image: PostImage) -> dict[str, Any]:
    renditions = {}
    for rendition in image.renditions:
        renditions[rendition.name] = {
            "url": rendition_url(rendition.key),
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


def _check_caption(caption: object) -> str:
    if not isinstance(caption, str) or len(caption) > CAPTION_MAX:
        raise ValidationError(
            f"caption must be text of at most {CAPTION_MAX} characters", field="caption"
        )
    return caption


def _check_place(raw: object) -> Place | None:
    place = places.check(raw)
    return None if place is None else Place(**place)


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
