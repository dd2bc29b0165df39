"""One uploaded video through the pipeline to a post's media item (``jobs`` sends videos here,
by the content type their upload slot declared; the bytes decide what they really are).

The file is streamed to the function's scratch disk rather than held in memory (up to
``VIDEO_MAX_BYTES``); renditions are written there too and then stored under the post's
prefix, where deleting the post or the account finds them: ``posts/<post>/<n>/720p.mp4``,
``480p.mp4`` and ``poster/<large|medium|small|thumb>.jpg``.

A video heavier than one run takes on (``VIDEO_FUNCTION_BUDGET``) goes to MediaConvert when
the stack has it on (``mediaconvert_jobs``: the item stays processing until the job's end is
recorded), and is refused with ``TOO_HEAVY`` when not.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import mediaconvert_jobs
from chalicelib.connections import registry
from chalicelib.core import storage
from chalicelib.core.observability import logger
from chalicelib.core.settings import settings
from chalicelib.core.uploads import Upload
from chalicelib.posts import media
from chalicelib.posts.models import FaceBox, Post, PostImage, Rendition
from chalicelib.posts.status import READY
from video.pipeline import TOO_HEAVY, ProcessedVideo, process_video, too_heavy
from video.probe import VideoRejected, probe


class VideoUnusable(Exception):
    """The video cannot be used. Raised after the post is marked failed so that the message
    is retried and then kept in the dead-letter queue: nothing is silently dropped."""


def handle(upload: Upload, bucket: str, key: str) -> bool:
    """Processes the video of ``upload``; True if this made its post ready."""
    s = settings()
    post = Post.get(upload.post_id, consistent_read=True)
    index = int(upload.image_index)
    with tempfile.TemporaryDirectory(prefix="video-") as scratch:
        work = Path(scratch)
        source = storage.download(bucket, key, work / "upload")
        try:
            facts = probe(source, max_seconds=s.video_max_seconds, max_bytes=s.video_max_bytes)
            if too_heavy(facts, s.video_function_budget):
                if not s.mediaconvert_on:
                    raise VideoRejected(TOO_HEAVY)
                mediaconvert_jobs.submit(upload, post.post_id, index, bucket, key, facts)
                return False
            processed = process_video(source, work, facts, detector=s.face_detector)
        except VideoRejected as rejected:
            if media.record_failure(post.post_id, index, rejected.reason):
                event = {"type": "post.failed", "post_id": post.post_id}
                registry.notify(post.author_id, {**event, "reason": rejected.reason})
            raise VideoUnusable(f"{key}: {rejected.reason}") from rejected
        logger.info(
            "video poster chosen",
            extra={"key": key, "at_s": processed.poster_time_s, "by": processed.poster_reason},
        )
        item = _store(post.post_id, index, upload.upload_id, processed)
    if media.record_image(post.post_id, index, item) == READY:
        registry.notify(post.author_id, {"type": "post.ready", "post_id": post.post_id})
        return True
    return False


def _store(post_id: str, index: int, upload_id: str, processed: ProcessedVideo) -> PostImage:
    prefix = f"posts/{post_id}/{index}"
    renditions = []
    for rendition in processed.renditions:
        data = rendition.path.read_bytes()
        key = f"{prefix}/{rendition.name}.mp4"
        storage.put_media(key, data, content_type="video/mp4")
        renditions.append(_rendition(rendition.name, key, rendition.width, rendition.height, data))
    poster = media.store_jpegs(f"{prefix}/poster", processed.poster.renditions)
    return PostImage(
        upload_id=upload_id,
        type="video",
        status=READY,
        width=processed.width,
        height=processed.height,
        placeholder=processed.poster.placeholder,
        renditions=renditions,
        duration_ms=processed.duration_ms,
        poster=poster,
        faces=[FaceBox(x=f.x, y=f.y, w=f.w, h=f.h) for f in processed.poster.faces],
    )


def _rendition(name: str, key: str, width: int, height: int, data: bytes) -> Rendition:
    return Rendition(name=name, key=key, width=width, height=height, bytes=len(data))
