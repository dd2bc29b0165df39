"""Who may see a story: the visibility policy's rule for an account's content (blocks, a
private account's approved followers, a deleted or suspended account) plus the story's own
audience: ``close_friends`` stories only for the author's close friends. Decided on facts
fetched for a whole page in one BatchGetItem (``keys``), like every read model's."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from chalicelib.core.dynamodb import Key
from chalicelib.graph.visibility import Sight
from chalicelib.stories.media import READY
from chalicelib.stories.models import CloseFriend, Story

EVERYONE, CLOSE_FRIENDS = "everyone", "close_friends"
AUDIENCES = (EVERYONE, CLOSE_FRIENDS)


def live(story: Story, now: datetime | None = None) -> bool:
    """Not expired: TTL deletes a story within days of its expiry, reads hide it at once."""
    return story.expires_at > (now or datetime.now(UTC))


def keys(viewer_id: str, author_ids: Iterable[str]) -> list[Key]:
    """The close-friend rows that decide ``close_friends`` stories, to fetch with the page."""
    return [(CloseFriend, author, viewer_id) for author in dict.fromkeys(author_ids)]


def may_see(story: Story, sight: Sight, found: Mapping[Key, object]) -> bool:
    """A live story, for its author always (processing or failed too); for others once
    ready, if they may see the author's content and are in the story's audience."""
    if not live(story):
        return False
    if story.author_id == sight.viewer_id:
        return True
    if story.status != READY or sight.content_of(story.author_id) is None:
        return False
    return story.audience == EVERYONE or (CloseFriend, story.author_id, sight.viewer_id) in found
