"""Activity: what happened to you (likes, comments, follows, follow requests, mentions).

Items are written by the stream handlers (chalicelib/streams.py), never for acting on your
own things, and pushed as ``activity.new`` to your live devices. Likes on one post share one
item (``like#<post_id>``) that moves to the top with each new like; its "and N others" comes
from the post's exact like counter when the list is read.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta
from typing import Any

from pynamodb.exceptions import DeleteError

from chalicelib import connections, profiles
from chalicelib.ids import now_ms
from chalicelib.pagination import Page, decode_cursor, encode_cursor
from chalicelib.tables import Activity, Post, User, batch_get

KEEP_FOR = timedelta(days=90)
LIKE, COMMENT, FOLLOW, FOLLOW_REQUEST, MENTION = (
    "like", "comment", "follow", "follow_request", "mention",
)  # fmt: skip


def record(user_id: str, kind: str, actor_id: str, key: str, *, post_id: str | None = None,
           comment_id: str | None = None, text: str | None = None) -> None:  # fmt: skip
    if user_id == actor_id:
        return  # your own doings are not news to you
    item = Activity(user_id, key, kind=kind, actor_id=actor_id, post_id=post_id,
                    comment_id=comment_id, text=text and text[:200], updated_at=now_ms(),
                    expires_at=datetime.now(UTC) + KEEP_FOR)  # fmt: skip
    item.save()
    _push(item)


def like_added(author_id: str, post_id: str, liker_id: str) -> None:
    if author_id == liker_id:
        return
    item = Activity(author_id, f"like#{post_id}")
    item.update(actions=[
        Activity.kind.set(LIKE), Activity.actor_id.set(liker_id), Activity.post_id.set(post_id),
        Activity.updated_at.set(now_ms()),
        Activity.expires_at.set(datetime.now(UTC) + KEEP_FOR),
    ])  # fmt: skip
    _push(item)


def like_removed(author_id: str, post_id: str, likes_left: int) -> None:
    """The last like gone, the grouped item goes too."""
    if likes_left <= 0:
        remove(author_id, f"like#{post_id}")


def remove(user_id: str, key: str) -> None:
    with contextlib.suppress(DeleteError):  # gone already: a retried stream batch
        Activity(user_id, key).delete()


def listing(user_id: str, limit: int, cursor: str | None) -> Page:
    start = decode_cursor(cursor, {"user_id", "activity_key", "updated_at"}, ("user_id", user_id))
    result = Activity.by_time.query(user_id, scan_index_forward=False, limit=limit,
                                    last_evaluated_key=start)  # fmt: skip
    items = list(result)
    keys: list[tuple] = [(User, item.actor_id, None) for item in items]
    keys += [(Post, item.post_id, None) for item in items if item.kind == LIKE]
    found = batch_get(keys)
    shown = []
    for item in items:
        actor = found.get((User, item.actor_id, None))
        if actor is None:
            continue
        post = found.get((Post, item.post_id, None))
        likes = int(post.likes_count) if post is not None and item.kind == LIKE else 1
        shown.append(view(item, actor, max(likes, 1)))
    return Page(items=shown, next_cursor=encode_cursor(result.last_evaluated_key))


def view(item: Activity, actor: User, count: int = 1) -> dict[str, Any]:
    name = actor.username
    others = count - 1
    who = f"{name} and {others} other{'s' if others > 1 else ''}" if others > 0 else name
    sentence = {
        LIKE: f"{who} liked your post",
        COMMENT: f"{name} commented: {item.text or ''}",
        FOLLOW: f"{name} started following you",
        FOLLOW_REQUEST: f"{name} asked to follow you",
        MENTION: f"{name} mentioned you: {item.text or ''}",
    }.get(item.kind, item.kind)
    return {
        "activity_id": item.activity_key,
        "kind": item.kind,
        "actor": profiles.summary(actor),
        "count": count,
        "text": sentence,
        "post_id": item.post_id,
        "comment_id": item.comment_id,
        "created_at": int(item.updated_at),
    }


def _push(item: Activity) -> None:
    actor = User.get(item.actor_id)
    connections.notify(item.user_id, {"type": "activity.new", "activity": view(item, actor)})
