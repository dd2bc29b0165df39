"""Replying to a story (``POST /stories/{id}/reply {text}``): a direct message to its author
carrying the story's preview, through messaging's own send (message requests, blocks,
restrictions and push all apply as to any first message). Only a story the sender may see,
and not one's own."""

from __future__ import annotations

from typing import Any

from chalicelib.accounts import profiles
from chalicelib.core.errors import NotFound, ValidationError
from chalicelib.messaging import messages
from chalicelib.messaging.models import RepliedStory
from chalicelib.stories import authoring, reading


def reply(viewer_id: str, story_id: str, text: object) -> dict[str, Any]:
    story = authoring.get(story_id)
    if reading.read_one(viewer_id, story) is None:
        raise NotFound("No such story", code="story_not_found")
    if story.author_id == viewer_id:
        raise ValidationError("You cannot reply to your own story", code="cannot_reply_to_self")
    if not isinstance(text, str):
        raise ValidationError("text must be the reply's text", field="text")
    author = profiles.by_id(story.author_id)
    preview = next((r for r in story.renditions or [] if r.name == "preview"), None)
    replied = RepliedStory(
        story_id=story.story_id,
        author_id=story.author_id,
        preview_key=preview.key if preview else None,
        expires_at=int(story.expires_at.timestamp() * 1000),
    )
    sent = messages.send(viewer_id, {"to": author.username, "text": text}, story=replied)
    sent.pop("duplicate")  # no client id: a reply is never a retry's duplicate
    return sent
