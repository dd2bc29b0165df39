"""A post's lifecycle: ``processing`` until every media item (photo or video) has its
renditions, then ``ready``; ``failed``, with a reason the app can show, as soon as one item
cannot be used or the media never arrive. Only ``processing`` moves on, and only once
(``posts._transition``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class PostStatus(StrEnum):
    PROCESSING = "processing"
    READY = "ready"
    FAILED = "failed"


PROCESSING, READY, FAILED = PostStatus.PROCESSING, PostStatus.READY, PostStatus.FAILED


def is_ready(image: dict[str, Any] | None) -> bool:
    """Whether a post's stream image (or None: no post) is a ready post."""
    return bool(image) and image.get("status") == READY


def change(old: dict[str, Any] | None, new: dict[str, Any] | None) -> str | None:
    """What a posts stream record means for everything that lists ready posts: "ready" (it
    just became visible), "edited" (visible before and after), "gone" (visible before, not
    now), or None (nothing visible changed)."""
    was, now = is_ready(old), is_ready(new)
    if now and not was:
        return "ready"
    if was and now:
        return "edited"
    if was and not now:
        return "gone"
    return None
