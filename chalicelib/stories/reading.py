"""What a viewer sees of stories: one story's card (``view``) and a profile's live stories,
oldest first (``of_author``). The policy is ``audience``; the facts it decides on, the seen
rows and the close-friend rows come in one BatchGetItem per page."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.accounts import profiles
from chalicelib.accounts.models import User
from chalicelib.core import storage
from chalicelib.core.dynamodb import Key
from chalicelib.core.ids import now_ms
from chalicelib.core.settings import settings
from chalicelib.graph import visibility
from chalicelib.stories import audience
from chalicelib.stories.media import FAILED, JPEG, PHOTO, PROCESSING
from chalicelib.stories.models import Story, StoryRendition, StoryView

NEVER_ARRIVED = "The photo or video never arrived; post the story again"


def of_author(viewer_id: str, username: str) -> dict[str, Any]:
    """The account's live stories the viewer may see, oldest first (the order they play):
    two round trips (the Query, then one BatchGetItem of the policy's facts)."""
    author = profiles.by_username(username)
    stories = list(Story.by_author.query(author.user_id))  # story ids sort by time
    sight = visibility.look(
        viewer_id,
        [author.user_id],
        extra=[*audience.keys(viewer_id, [author.user_id]), *_seen_keys(viewer_id, stories)],
    )
    if author.user_id != viewer_id:
        # Blocked (either way) or a private account not followed: as for its posts.
        visibility.require_content(viewer_id, author, sight.relationship(author.user_id))
    shown = [s for s in stories if audience.may_see(s, sight, sight.found)]
    return {"items": [view(s, author, viewer_id, sight.found) for s in shown]}


def read_one(viewer_id: str, story: Story) -> Story | None:
    """The story, if the viewer may see it; None if not (the caller answers 404, as for a
    story that does not exist)."""
    sight = visibility.look(
        viewer_id,
        [story.author_id],
        extra=[*audience.keys(viewer_id, [story.author_id]), *_seen_keys(viewer_id, [story])],
    )
    if not audience.may_see(story, sight, sight.found):
        return None
    return story, sight.found


def view(story: Story, author: User, viewer_id: str, found: Mapping[Key, object]) -> dict[str, Any]:
    renditions = rendition_views(story.renditions)
    card: dict[str, Any] = {
        "story_id": story.story_id,
        "author": profiles.summary(author),
        "created_at": int(story.created_at),
        "expires_at": int(story.expires_at.timestamp() * 1000),
        "status": status_of(story),
        "type": story.type or PHOTO,
        "duration_ms": None if story.duration_ms is None else int(story.duration_ms),
        "renditions": renditions or None,
        "placeholder": story.placeholder,
        "text": story.text,
        "seen": (StoryView, story.story_id, viewer_id) in found,
    }
    if story.author_id == viewer_id:
        card["audience"] = story.audience  # the author's choice: not told to the audience
        if card["status"] == FAILED:
            card["failure_reason"] = story.failure_reason or NEVER_ARRIVED
    return card


def rendition_views(renditions: list[StoryRendition] | None) -> dict[str, Any]:
    """A story's renditions by name: the JPEGs, and a video's MP4s."""
    return {
        r.name: {
            "url": storage.media_url(r.key),
            "width": int(r.width),
            "height": int(r.height),
            "content_type": r.content_type or JPEG,
        }
        for r in renditions or []
    }


def status_of(story: Story) -> str:
    """A photo that never arrived within the media deadline reads as failed."""
    deadline = int(story.created_at) + settings().media_deadline_seconds * 1000
    if story.status == PROCESSING and now_ms() > deadline:
        return FAILED
    return str(story.status)


def _seen_keys(viewer_id: str, stories: list[Story]) -> list[Key]:
    return [(StoryView, s.story_id, viewer_id) for s in stories if s.author_id != viewer_id]
