"""One uploaded video through the pipeline to a story (``jobs`` sends a story's video here, by
the content type its upload slot declared; the bytes decide what it really is).

As for a post's video (``video_posts``) the file is streamed to scratch disk and transcoded in
one pass, but in the story's 9:16 shape (``video.transcode.STORY``: a centred cut, then
720 x 1280 and 480 x 854). The poster frame, chosen as a post's is, goes through the story
photo path, so a video story has the same ``story`` and ``preview`` JPEGs as a photo story
(the tray and a reply's message show those) besides its MP4s. Everything goes under the
story's prefix and into its one renditions list, where deleting the story, its expiry and
erasing the account find it: ``stories/<author>/<story>/{720p,480p}.mp4``,
``{story,preview}.jpg``.

A story is short (``STORY_VIDEO_MAX_SECONDS``) and never goes to MediaConvert: a video
heavier than one function run (``VIDEO_FUNCTION_BUDGET``) is refused with ``TOO_HEAVY``.
A 60 s 4K clip at 60 fps is; at 30 fps it is not.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from chalicelib.connections import registry
from chalicelib.core import storage
from chalicelib.core.observability import logger
from chalicelib.core.settings import settings
from chalicelib.core.uploads import Upload
from chalicelib.stories import media as story_media
from chalicelib.stories.models import StoryRendition
from imaging.decode import ImageRejected
from video.pipeline import ProcessedStoryVideo, check_story, process_story_video
from video.probe import VideoRejected

PROCESSED, SUPERSEDED = "processed", "superseded"


class StoryVideoUnusable(Exception):
    """The video cannot be used. Raised after the story is marked failed so that the message
    is retried and then kept in the dead-letter queue: nothing is silently dropped."""


def handle(upload: Upload, bucket: str, key: str) -> str:
    """Processes the video of ``upload`` into its story; ``PROCESSED`` if this made it ready,
    ``SUPERSEDED`` if the story was deleted meanwhile or a redelivery finished it already."""
    s = settings()
    story_id, author_id = upload.story_id, upload.owner_id
    with tempfile.TemporaryDirectory(prefix="story-video-") as scratch:
        work = Path(scratch)
        source = storage.download(bucket, key, work / "upload")
        try:
            facts = check_story(
                source,
                max_seconds=s.story_video_max_seconds,
                max_bytes=s.video_max_bytes,
                budget=s.video_function_budget,
            )
            processed = process_story_video(source, work, facts, detector=s.face_detector)
        except (VideoRejected, ImageRejected) as rejected:
            # ImageRejected: the poster frame refused by the photo path (it never is for a
            # decoded frame, but the author must hear of it if it were).
            if story_media.record_failure(story_id, rejected.reason):
                failed = {"type": "story.failed", "story_id": story_id, "reason": rejected.reason}
                registry.notify(author_id, failed)
            raise StoryVideoUnusable(f"{key}: {rejected.reason}") from rejected
        logger.info(
            "story video poster chosen",
            extra={"key": key, "at_s": processed.poster_time_s, "by": processed.poster_reason},
        )
        stored = _store(author_id, story_id, processed)
    if not story_media.record_ready(
        story_id, stored, processed.poster.placeholder, duration_ms=processed.duration_ms
    ):
        if not story_media.exists(story_id):
            # Deleted while it was transcoded: its stream record named no files, and MP4s
            # are too large to leave behind. (A redelivery's story is there and keeps them.)
            storage.delete_media(r.key for r in stored)
        return SUPERSEDED
    registry.notify(author_id, {"type": "story.ready", "story_id": story_id})
    return PROCESSED


def _store(author_id: str, story_id: str, processed: ProcessedStoryVideo) -> list[StoryRendition]:
    stored = []
    for video in processed.renditions:
        key = story_media.key(author_id, story_id, video.name, "mp4")
        storage.put_media(key, video.path.read_bytes(), content_type=story_media.MP4)
        stored.append(_rendition(video.name, key, video.width, video.height, story_media.MP4))
    for photo in processed.poster.renditions:
        key = story_media.key(author_id, story_id, photo.name)
        storage.put_media(key, photo.data)
        stored.append(_rendition(photo.name, key, photo.width, photo.height, story_media.JPEG))
    return stored


def _rendition(name: str, key: str, width: int, height: int, kind: str) -> StoryRendition:
    return StoryRendition(name=name, key=key, width=width, height=height, content_type=kind)
