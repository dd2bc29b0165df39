"""An account's end in stories (``lifecycle.deletion``): its stories (their tray rows and
files follow through the stories stream, and are taken here too), its tray and seen markers,
its rows in others' trays, the mention items its stories caused, who it saw and who saw its
stories, its close friends both ways, its highlights and their files."""

from __future__ import annotations

from collections.abc import Callable

from chalicelib.core import storage
from chalicelib.stories import mentions, tray
from chalicelib.stories.models import CloseFriend, Highlight, Story, StoryView

Tick = Callable[[], None]


def forget(user_id: str, tick: Tick) -> dict[str, int]:
    gone = {"stories": 0, "views": 0, "close_friends": 0}
    for story in Story.by_author.query(user_id):
        tick()
        views = list(StoryView.query(story.story_id))
        with StoryView.batch_write() as batch:
            for view in views:
                batch.delete(view)
        gone["views"] += len(views)
        mentions.withdraw(story)
        storage.delete_media(r.key for r in story.renditions or [])
        Story(story.story_id).delete()
        gone["stories"] += 1
    seen = list(StoryView.by_viewer.query(user_id))
    with StoryView.batch_write() as batch:
        for view in seen:
            tick()
            batch.delete(StoryView(view.story_id, view.viewer_id))
    gone["views"] += len(seen)
    edges = [(c.owner_id, c.friend_id) for c in CloseFriend.query(user_id)]
    edges += [(c.owner_id, c.friend_id) for c in CloseFriend.of_friend.query(user_id)]
    with CloseFriend.batch_write() as batch:
        for owner_id, friend_id in edges:
            tick()
            batch.delete(CloseFriend(owner_id, friend_id))
    gone["close_friends"] = len(edges)
    kept = list(Highlight.query(user_id))
    storage.delete_media(r.key for h in kept for r in h.renditions)
    with Highlight.batch_write() as batch:
        for highlight in kept:
            tick()
            batch.delete(highlight)
    gone["highlights"] = len(kept)
    gone["tray_rows"] = tray.forget_reader(user_id) + tray.forget_author(user_id)
    return gone
