"""The stories stream (dispatched by chalicelib/streams.py): a story that turns ready, or
goes (deleted, or removed by TTL), rewrites the author's row in every follower's tray
(``tray.refresh``, idempotent); a new one is told to the readers it reached (``story.new`` on
their live sockets), and the accounts it @mentions hear of it (``mentions``); a story that
goes takes its renditions with it, unless a highlight keeps them."""

from __future__ import annotations

from typing import Any

from chalicelib.connections import registry
from chalicelib.core import storage
from chalicelib.core.observability import logger
from chalicelib.stories import highlights, mentions, tray
from chalicelib.stories.media import READY

Image = dict[str, Any] | None


def on_story(old: Image, new: Image) -> None:
    was = bool(old) and old.get("status") == READY
    now = bool(new) and new.get("status") == READY
    if new is None and old is not None and not highlights.kept(old["author_id"], old["story_id"]):
        storage.delete_media(r["key"] for r in old.get("renditions") or [])
    if was == now:
        return
    author_id = (new or old or {})["author_id"]
    rows = tray.refresh(author_id)
    logger.info("story trays refreshed", extra={"author_id": author_id, "tray_rows": len(rows)})
    if now and not was:
        # story.new to the readers it reached (its audience only), on their live sockets:
        # none for a large account (tray.refresh writes no rows: a push per follower would
        # be a storm), whose followers find it at their next tray read.
        story_id = new["story_id"]
        event = {"type": "story.new", "story_id": story_id, "author_id": author_id}
        registry.notify_many({reader: event for reader, shown in rows.items() if shown == story_id})
        mentions.notify(story_id)


def on_follow(old: Image, new: Image) -> None:
    """The follows stream: a new follow brings the followee's live story into the tray."""
    if new and not old:
        tray.followed(new["follower_id"], new["followee_id"])
    elif old and not new:
        tray.unfollowed(old["follower_id"], old["followee_id"])
