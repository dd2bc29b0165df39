"""@mentions in a story's text: once the story is ready, each account it names hears of it in
its activity (``feed.activity``: a ``mention`` item, pushed as mentions are), if it may see
the story (a private account's followers, its close friends for a close-friends story, never
across a block). Who was told is kept on the story, so its items go with the story's author
(``erasure``)."""

from __future__ import annotations

from chalicelib.accounts import profiles
from chalicelib.core.errors import NotFound
from chalicelib.feed import activity
from chalicelib.graph import visibility
from chalicelib.posts import captions
from chalicelib.stories import audience
from chalicelib.stories.models import Story

MAX_MENTIONS = 10  # more are ignored, as a caption's hashtags past 30


def notify(story_id: str) -> list[str]:
    """Tell the accounts the ready story mentions; returns their ids. Idempotent: the item's
    key is the story's, so a redelivered record rewrites the same item."""
    try:
        story = Story.get(story_id, consistent_read=True)
    except Story.DoesNotExist:
        return []
    told = []
    for name in captions.mentions(story.text or "")[:MAX_MENTIONS]:
        try:
            user = profiles.by_username(name)
        except NotFound:
            continue
        if user.user_id == story.author_id:
            continue
        sight = visibility.look(
            user.user_id,
            [story.author_id],
            extra=audience.keys(user.user_id, [story.author_id]),
        )
        if not audience.may_see(story, sight, sight.found):
            continue
        activity.record(
            user.user_id,
            activity.MENTION,
            story.author_id,
            key(story_id),
            text=story.text,
        )
        told.append(user.user_id)
    if told:
        Story(story_id).update(actions=[Story.mentioned_ids.set(told)])
    return told


def key(story_id: str) -> str:
    return f"mention#story#{story_id}"


def withdraw(story: Story) -> None:
    """The story's mention items (an account's deletion)."""
    for user_id in story.mentioned_ids or []:
        activity.remove(user_id, key(story.story_id))
