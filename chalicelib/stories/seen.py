"""Who saw a story: ``POST /stories/{id}/seen`` (idempotent: one row per viewer, a
conditional put, and the tray's seen marker moved only forward) and the owner's list of
viewers (``GET /stories/{id}/viewers``; anyone else gets 404, as for no story at all)."""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import PutError

from chalicelib.accounts import profiles
from chalicelib.core.errors import NotFound
from chalicelib.core.ids import now_ms
from chalicelib.core.pagination import decode_cursor, encode_cursor
from chalicelib.graph import visibility
from chalicelib.stories import authoring, reading, tray
from chalicelib.stories.models import StoryView


def mark(viewer_id: str, story_id: str) -> dict[str, Any]:
    """The viewer saw the story (one they may see; their own counts for nothing)."""
    story = authoring.get(story_id)
    if reading.read_one(viewer_id, story) is None:
        raise _not_found()
    if story.author_id == viewer_id:
        return {"story_id": story_id, "seen": True}
    try:
        StoryView(
            story_id,
            viewer_id,
            viewed_at=now_ms(),
            expires_at=story.expires_at,
        ).save(condition=StoryView.viewer_id.does_not_exist())
    except PutError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
    tray.mark_seen(viewer_id, story)  # again on a retry: it only moves forward
    return {"story_id": story_id, "seen": True}


def viewers(owner_id: str, story_id: str, limit: int, cursor: str | None) -> dict[str, Any]:
    """Who saw the owner's story, those the owner may still see (a block hides them)."""
    story = authoring.get(story_id)
    if story.author_id != owner_id:
        raise _not_found()
    start = decode_cursor(cursor, {"story_id", "viewer_id"}, ("story_id", story_id))
    result = StoryView.query(story_id, limit=limit, last_evaluated_key=start)
    rows = list(result)
    sight = visibility.look(owner_id, [row.viewer_id for row in rows])
    items = [
        {"user": profiles.summary(user), "viewed_at": int(row.viewed_at)}
        for row in rows
        if (user := sight.account(row.viewer_id)) is not None
    ]
    return {"items": items, "next_cursor": encode_cursor(result.last_evaluated_key)}


def _not_found() -> NotFound:
    return NotFound("No such story", code="story_not_found")
