"""Highlights: stories an account keeps on its profile past their 24 hours
(``POST /me/highlights {story_id}``, ``GET /me/highlights``, ``GET /users/{username}/highlights``,
``DELETE /me/highlights/{story_id}``).
A highlight copies what showing the story needs, since the story item expires; the story's
files stay while a highlight names them (the stories stream checks before deleting them). The
story's audience stays too: a close-friends story highlighted is for close friends."""

from __future__ import annotations

from typing import Any

from chalicelib.accounts import profiles
from chalicelib.accounts.models import User
from chalicelib.core import storage
from chalicelib.core.errors import NotFound
from chalicelib.core.ids import now_ms
from chalicelib.graph import visibility
from chalicelib.stories import audience, authoring
from chalicelib.stories.audience import EVERYONE
from chalicelib.stories.media import JPEG, PHOTO, READY
from chalicelib.stories.models import CloseFriend, Highlight


def add(owner_id: str, story_id: object) -> dict[str, Any]:
    """One of the caller's live, ready stories kept; idempotent."""
    if not isinstance(story_id, str):
        raise NotFound("No such story", code="story_not_found")
    story = authoring.get(story_id)
    if story.author_id != owner_id or story.status != READY or not audience.live(story):
        raise NotFound("No such story", code="story_not_found")
    highlight = Highlight(
        owner_id,
        story.story_id,
        audience=story.audience,
        story_created_at=int(story.created_at),
        type=story.type,
        duration_ms=story.duration_ms,
        renditions=story.renditions,
        placeholder=story.placeholder,
        created_at=now_ms(),
    )
    highlight.save()
    return view(highlight, profiles.by_id(owner_id))


def remove(owner_id: str, story_id: str) -> None:
    """The caller's highlight of this story goes; idempotent (none, or someone else's story:
    nothing happens, and nothing is told). The files go with it once the story itself is
    gone; while the story lives they are its own, and the stories stream deletes them when
    it goes (it finds no highlight then). The highlight goes first, so a story going at the
    same moment either sees it and leaves the files to this call, or does not and takes them."""
    if not story_id or len(story_id) > authoring.ID_MAX:
        return
    try:
        kept = Highlight.get(owner_id, story_id)
    except Highlight.DoesNotExist:
        return
    kept.delete()
    try:
        authoring.get(story_id)
    except NotFound:
        storage.delete_media(r.key for r in kept.renditions or [])


def mine(owner_id: str) -> dict[str, Any]:
    owner = profiles.by_id(owner_id)
    return {"items": [view(h, owner) for h in Highlight.query(owner_id)]}


def of_user(viewer_id: str, username: str) -> dict[str, Any]:
    """A profile's highlights, oldest first, for whoever may see its posts (one Query and
    the policy's one BatchGetItem, the close-friend row in it)."""
    owner = profiles.by_username(username)
    if owner.user_id == viewer_id:
        return mine(viewer_id)
    sight = visibility.look(
        viewer_id, [owner.user_id], extra=audience.keys(viewer_id, [owner.user_id])
    )
    visibility.require_content(viewer_id, owner, sight.relationship(owner.user_id))
    friend = (CloseFriend, owner.user_id, viewer_id) in sight.found
    shown = [h for h in Highlight.query(owner.user_id) if h.audience == EVERYONE or friend]
    return {"items": [view(h, owner) for h in shown]}


def view(highlight: Highlight, owner: User) -> dict[str, Any]:
    return {
        "story_id": highlight.story_id,
        "author": profiles.summary(owner),
        "created_at": int(highlight.story_created_at),
        "highlighted_at": int(highlight.created_at),
        "type": highlight.type or PHOTO,
        "duration_ms": None if highlight.duration_ms is None else int(highlight.duration_ms),
        "renditions": {
            r.name: {
                "url": storage.media_url(r.key),
                "width": int(r.width),
                "height": int(r.height),
                "content_type": r.content_type or JPEG,
            }
            for r in highlight.renditions
        },
        "placeholder": highlight.placeholder,
    }


def kept(owner_id: str, story_id: str) -> bool:
    """Whether a highlight still names this story (its files must stay)."""
    try:
        Highlight.get(owner_id, story_id)
    except Highlight.DoesNotExist:
        return False
    return True
