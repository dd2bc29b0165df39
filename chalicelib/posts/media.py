"""A post's media through the pipeline: each processed image recorded, the post's one move
out of ``processing`` (to ``ready`` or ``failed``), and the deadline that fails a post whose
media never arrive. (Photos that arrived before their post are re-queued by
``chalicelib.core.uploads``; rendition URLs are ``chalicelib.core.storage.media_url``.)

This is what the media function imports (functions/media/jobs.py): nothing here reads cards,
feeds or the graph, so its container image carries only this part of the posts context.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterable
from typing import Any

from chalicelib.accounts.models import User
from chalicelib.connections import registry
from chalicelib.core import storage
from chalicelib.core.clients import client
from chalicelib.core.dynamodb import Transaction, TransactionCancelled
from chalicelib.core.ids import now_ms
from chalicelib.core.observability import logger
from chalicelib.core.settings import settings
from chalicelib.posts.models import Post, PostImage, RemovedImage, Rendition
from chalicelib.posts.status import FAILED, PROCESSING, READY

MEDIA_NEVER_ARRIVED = "The photo never arrived; post it again"
_SQS_MAX_DELAY = 15 * 60  # the longest DelaySeconds SQS allows


def store_jpegs(prefix: str, images: Iterable[Any]) -> list[Rendition]:
    """Each JPEG rendition (``name``, ``width``, ``height``, ``data``: the media pipeline's)
    written to the media bucket as ``<prefix>/<name>.jpg``; what the item records of them.
    Keys never change content: an image is re-rendered under a new post only."""
    stored = []
    for image in images:
        key = f"{prefix}/{image.name}.jpg"
        storage.put_media(key, image.data)
        stored.append(
            Rendition(
                name=image.name,
                key=key,
                width=image.width,
                height=image.height,
                bytes=len(image.data),
            )
        )
    return stored


def record_image(post_id: str, index: int, image: PostImage) -> str | None:
    """Store one processed image; returns the post's new status if this completed it."""
    post = Post(post_id)
    post.update(
        actions=_media_fields(index, image),
        condition=Post.images[index].upload_id == image.upload_id,
    )
    stored = Post.get(post_id, consistent_read=True)
    if all(image.status == READY for image in stored.images):
        return READY if _transition(post_id, READY, author_id=stored.author_id) else None
    return None


# What the media function writes of an item: everything but the author's alt text and people
# tags (``posts.tags``), which were set when the post was made and must survive its renditions.
_MEDIA_FIELDS = (
    "type",
    "status",
    "width",
    "height",
    "placeholder",
    "renditions",
    "duration_ms",
    "poster",
    "faces",
    "failure_reason",
    "phash",
)


def _media_fields(index: int, image: PostImage) -> list:
    item = Post.images[index]
    actions = []
    for name in _MEDIA_FIELDS:
        value = getattr(image, name)
        path = getattr(item, name)
        actions.append(path.remove() if value is None else path.set(value))
    return actions


def record_failure(post_id: str, index: int, reason: str) -> bool:
    """Mark the image and its post failed; True if this call is what failed the post."""
    Post(post_id).update(
        actions=[
            Post.images[index].status.set(FAILED),
            Post.images[index].failure_reason.set(reason),
        ]
    )
    return _transition(post_id, FAILED, reason)


def schedule_deadline(post_id: str, created_at_ms: int) -> None:
    """A new post gets its deadline (``media_deadline_seconds``): a delayed message that
    fails the post should its media not all be processed by then (``deadline_reached``)."""
    _send_deadline(post_id, created_at_ms / 1000 + settings().media_deadline_seconds)


def deadline_reached(body: str) -> bool:
    """A post's deadline message (its SQS body): a post still processing turns failed (its
    author is told, as for a photo that could not be used). True if this failed it. A
    deadline further away than SQS can delay a message is sent on again."""
    try:
        message = json.loads(body)
        post_id, due = str(message["post_id"]), float(message["due"])
    except (KeyError, TypeError, ValueError):
        # Not a message the posts stream wrote: no retry could succeed, and raising would
        # fail (and in the end dead-letter) the good messages of its batch with it.
        logger.warning("not a post deadline message", extra={"body": body[:200]})
        return False
    if time.time() < due:
        _send_deadline(post_id, due)
        return False
    try:
        post = Post.get(post_id, consistent_read=True)
    except Post.DoesNotExist:
        return False  # deleted meanwhile
    if post.status != PROCESSING:
        return False
    waiting = [n for n, image in enumerate(post.images) if image.status == PROCESSING]
    images = [
        action
        for n in waiting
        for action in (
            Post.images[n].status.set(FAILED),
            Post.images[n].failure_reason.set(MEDIA_NEVER_ARRIVED),
        )
    ]
    if not _transition(post_id, FAILED, MEDIA_NEVER_ARRIVED, extra=images):
        return False
    registry.notify(
        post.author_id, {"type": "post.failed", "post_id": post_id, "reason": MEDIA_NEVER_ARRIVED}
    )
    return True


def _send_deadline(post_id: str, due: float) -> None:
    delay = max(0, min(_SQS_MAX_DELAY, math.ceil(due - time.time())))
    client("sqs").send_message(
        QueueUrl=settings().post_deadline_queue_url,
        MessageBody=json.dumps({"post_id": post_id, "due": due}),
        DelaySeconds=delay,
    )


def _transition(
    post_id: str,
    status: str,
    reason: str | None = None,
    *,
    author_id: str | None = None,
    extra: list | None = None,
) -> bool:
    # Only one of several concurrent image jobs may move the post out of processing, so the
    # author is told exactly once, and the author's post count goes up exactly once with it
    # (in the posts stream it would count twice whenever a batch is redelivered).
    actions = [Post.status.set(status), *(extra or [])]
    if reason is not None:
        actions.append(Post.failure_reason.set(reason))
    try:
        with Transaction() as write:
            write.update(
                Post(post_id),
                actions=actions,
                condition=Post.status == PROCESSING,
                label="processing",
            )
            if status == READY and author_id is not None:
                write.update(User(author_id), actions=[User.posts_count.add(1)])
    except TransactionCancelled:
        return False
    return True


# -- removed photos --------------------------------------------------------------------------
# A re-upload of a removed photo is refused if its perceptual hash is within this many bits
# of the removed one's. Measured on the test photos (tests/functional/media/
# test_fingerprint.py): a copy resized to a half or a quarter, re-encoded at JPEG quality 40
# or as PNG differs in at most 2 bits; two different photos in 22 to 42 (30 on average).
REMOVED_DISTANCE = 8
# The 64 bits in REMOVED_DISTANCE + 1 bands: two hashes at most that far apart agree on at
# least one band exactly (pigeonhole), so the lookup is one Query per band, never a Scan.
_WIDTHS = (7, 7, 7, 7, 7, 7, 7, 7, 8)
assert len(_WIDTHS) == REMOVED_DISTANCE + 1 and sum(_WIDTHS) == 64
REFUSED = "This photo was removed from Glimpse for breaking its rules"


def bands(phash: int) -> list[str]:
    found, shift = [], 64
    for index, width in enumerate(_WIDTHS):
        shift -= width
        found.append(f"{index}:{(phash >> shift) & ((1 << width) - 1):x}")
    return found


def remember_removed(post: Post) -> int:
    """The moderators removed this post: its photos' hashes are kept (9 small items each)."""
    hashes = {image.phash for image in post.images if image.phash}
    with RemovedImage.batch_write() as batch:
        for phash in hashes:
            for band in bands(int(phash, 16)):
                batch.save(RemovedImage(band, phash, removed_at=now_ms()))
    return len(hashes)


def removed_near(phash: int) -> bool:
    """Whether a removed photo's hash is within ``REMOVED_DISTANCE`` bits of this one."""
    for band in bands(phash):
        for found in RemovedImage.query(band, attributes_to_get=["phash"]):
            if (int(found.phash, 16) ^ phash).bit_count() <= REMOVED_DISTANCE:
                return True
    return False
