"""One uploaded photo through the pipeline: from the S3 object to a post's image or a
profile photo, by what took its upload slot. (A post's video goes to ``video_posts``, a
story's to ``video_stories``.)

The photo may land before anything took its slot (the app uploads first, then posts or sets
its avatar) or after. A post's filter is the post's, so a photo nothing took yet waits: it is
marked arrived, and whatever takes it later queues it again (chalicelib.core.uploads).
Conditional writes on the slot make sure that exactly one of the two sides sends it on.

A profile photo's result is recorded only if the account's avatar still names its upload
(chalicelib.accounts.avatars): a newer photo or a deletion wins, and what this one made is
deleted again.
"""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import DoesNotExist

import video_posts
import video_stories
from chalicelib.accounts import avatars
from chalicelib.accounts.models import Avatar
from chalicelib.connections import registry
from chalicelib.core import storage, uploads
from chalicelib.core.clients import client
from chalicelib.core.observability import logger
from chalicelib.core.settings import settings
from chalicelib.core.uploads import Upload
from chalicelib.posts import media
from chalicelib.posts.models import FaceBox, Post, PostImage
from chalicelib.posts.status import READY
from chalicelib.stories import media as story_media
from chalicelib.stories.models import StoryRendition
from imaging import fingerprint
from imaging.decode import ImageRejected
from imaging.pipeline import ProcessedImage, process, process_avatar, process_story

IGNORED, WAITING, PROCESSED = "ignored", "waiting_for_post", "processed"
# A profile photo replaced (or removed) while it was processed: nothing of it is kept.
SUPERSEDED = "superseded"


class PhotoRejected(Exception):
    """The photo cannot be used. Raised after the post (or avatar) is marked failed so that
    the message is retried and then kept in the dead-letter queue: nothing is silently
    dropped."""


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
    if upload.post_id is None and upload.avatar_of is None and upload.story_id is None:
        if uploads.mark_arrived(upload_id, etag):
            return WAITING
        upload = _upload(upload_id)  # something took it meanwhile: read what
    if upload.post_id is not None and uploads.is_video(upload.content_type):
        video_posts.handle(upload, bucket, key)
        return PROCESSED
    if upload.story_id is not None and uploads.is_video(upload.content_type):
        return video_stories.handle(upload, bucket, key)
    data = client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    if upload.avatar_of is not None:
        return _avatar(upload, key, data)
    if upload.story_id is not None:
        return _story(upload, key, data)
    return _post_image(upload, key, data)


def _post_image(upload: Upload, key: str, data: bytes) -> str:
    post = Post.get(upload.post_id, consistent_read=True)
    index = int(upload.image_index)
    try:
        processed = process(data, post.filter, detector=settings().face_detector)
        # After process(): the bytes are a photo decode() accepted, not a bomb.
        phash = fingerprint.of_bytes(data)
        if phash is not None and media.removed_near(phash):
            raise ImageRejected(media.REFUSED)
    except ImageRejected as rejected:
        if media.record_failure(post.post_id, index, rejected.reason):
            registry.notify(post.author_id, _event("post.failed", post, rejected.reason))
        raise PhotoRejected(f"{key}: {rejected.reason}") from rejected

    image = _store(post.post_id, index, upload.upload_id, processed)
    image.phash = None if phash is None else f"{phash:016x}"
    if media.record_image(post.post_id, index, image) == READY:
        registry.notify(post.author_id, _event("post.ready", post))
    return PROCESSED


def _avatar(upload: Upload, key: str, data: bytes) -> str:
    user_id, upload_id = upload.avatar_of, upload.upload_id
    try:
        processed = process_avatar(data, detector=settings().face_detector)
    except ImageRejected as rejected:
        if avatars.record_failure(user_id, upload_id, rejected.reason):
            failed = {"type": "avatar.failed", "upload_id": upload_id, "reason": rejected.reason}
            registry.notify(user_id, failed)
        raise PhotoRejected(f"{key}: {rejected.reason}") from rejected

    large, small = processed.renditions
    large_key, small_key = avatars.keys(user_id, upload_id)
    storage.put_media(large_key, large.data)
    storage.put_media(small_key, small.data)
    replaced = avatars.record_ready(
        user_id, upload_id, large.width, small.width, processed.placeholder
    )
    if replaced is None:
        storage.delete_media([large_key, small_key])
        return SUPERSEDED
    storage.delete_media(replaced)
    shown = Avatar(
        status=avatars.READY,
        upload_id=upload_id,
        large_key=large_key,
        large_side=large.width,
        small_key=small_key,
        small_side=small.width,
        placeholder=processed.placeholder,
    )
    ready = {"type": "avatar.ready", "upload_id": upload_id, "avatar": avatars.view(shown)}
    registry.notify(user_id, ready)
    return PROCESSED


def _story(upload: Upload, key: str, data: bytes) -> str:
    """A story's photo (its video went to ``video_stories``, by the slot's declared type)."""
    story_id, author_id = upload.story_id, upload.owner_id
    try:
        processed = process_story(data, detector=settings().face_detector)
        # A photo the moderators removed is refused as a story too (as for a post).
        phash = fingerprint.of_bytes(data)
        if phash is not None and media.removed_near(phash):
            raise ImageRejected(media.REFUSED)
    except ImageRejected as rejected:
        if story_media.record_failure(story_id, rejected.reason):
            failed = {"type": "story.failed", "story_id": story_id, "reason": rejected.reason}
            registry.notify(author_id, failed)
        raise PhotoRejected(f"{key}: {rejected.reason}") from rejected
    stored = []
    for rendition in processed.renditions:
        rendition_key = story_media.key(author_id, story_id, rendition.name)
        storage.put_media(rendition_key, rendition.data)
        stored.append(
            StoryRendition(
                name=rendition.name,
                key=rendition_key,
                width=rendition.width,
                height=rendition.height,
            )
        )
    if not story_media.record_ready(story_id, stored, processed.placeholder):
        if not story_media.exists(story_id):
            # Deleted while its photo was made: its stream record named no files yet. (A
            # redelivery's story is there and keeps the files, written to the same keys.)
            storage.delete_media(r.key for r in stored)
        return SUPERSEDED
    registry.notify(author_id, {"type": "story.ready", "story_id": story_id})
    return PROCESSED


def _upload(upload_id: str) -> Upload | None:
    try:
        return Upload.get(upload_id, consistent_read=True)
    except DoesNotExist:
        return None


def _store(post_id: str, index: int, upload_id: str, processed: ProcessedImage) -> PostImage:
    renditions = media.store_jpegs(f"posts/{post_id}/{index}", processed.renditions)
    return PostImage(
        upload_id=upload_id,
        status=READY,
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
