"""A story's photo or video through the media pipeline: where its renditions go and its one move out
of ``processing``. What the media function imports (functions/media/jobs.py), with
``stories.models``: nothing here reads the graph or the tray.
"""

from __future__ import annotations

from chalicelib.core.dynamodb import update_if
from chalicelib.stories.models import Story, StoryRendition

PROCESSING, READY, FAILED = "processing", "ready", "failed"
PHOTO, VIDEO = "photo", "video"
JPEG, MP4 = "image/jpeg", "video/mp4"


def key(author_id: str, story_id: str, name: str, extension: str = "jpg") -> str:
    """Where a story's rendition ``name`` goes in the media bucket: under the story's prefix,
    video or photo, where deleting the story or its author's account finds it."""
    return f"stories/{author_id}/{story_id}/{name}.{extension}"


def record_ready(
    story_id: str,
    renditions: list[StoryRendition],
    placeholder: str,
    duration_ms: int | None = None,
) -> bool:
    """The renditions are stored: the story turns ready (and the stories stream puts it in
    the readers' trays). False if it was deleted meanwhile or is no longer processing (a
    redelivered message): the caller deletes what it made only in the first case.
    ``duration_ms``: a video's."""
    actions = [
        Story.status.set(READY),
        Story.renditions.set(renditions),
        Story.placeholder.set(placeholder),
    ]
    if duration_ms is not None:
        actions.append(Story.duration_ms.set(duration_ms))
    return _finish(actions, story_id)


def record_failure(story_id: str, reason: str) -> bool:
    """The photo or video cannot be used; True if this call failed the story (the author is
    told once)."""
    return _finish([Story.status.set(FAILED), Story.failure_reason.set(reason)], story_id)


def exists(story_id: str) -> bool:
    """Whether the story is still there: when ``record_ready`` says no, a story deleted
    while its files were made (its stream record had none to take) leaves them to the
    caller, a redelivery's story keeps them."""
    try:
        Story.get(story_id, consistent_read=True, attributes_to_get=["story_id"])
    except Story.DoesNotExist:
        return False
    return True


def _finish(actions: list, story_id: str) -> bool:
    return update_if(Story(story_id), actions, Story.status == PROCESSING)
