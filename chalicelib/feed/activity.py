"""Activity: what happened to you (likes, comments, follows, follow requests, mentions,
people tags on a post).

Items are written by the stream handlers (chalicelib/streams.py), never for acting on your
own things, and pushed as ``activity.new`` to your live devices. Likes on one post share one
item (``like#<post_id>``) that moves to the top with each new like; its "and N others" comes
from the post's exact like counter when the list is read.

The inbox has a badge: ``unseen_count``, the items changed since the user last said they
looked (``POST /activity/seen``), counted by one Query with Select=COUNT on the by-time index
and capped at ``UNSEEN_MAX`` (the app shows "99+"; a count of 100 means "100 or more"). Each
new item also goes to live devices as ``notification.new``, the item with that count.

Both ends go through the visibility policy. An item is written (and pushed) only if its
recipient may see its actor and the post it is about: a private account's mention of a
non-follower tells them nothing, a blocked account's doings never reach the blocker. When the
list is read the same check runs again, so a block, an unfollow or a deletion since hides the
items it concerns at once, including older ones.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta
from typing import Any

from pynamodb.exceptions import DeleteError, UpdateError

from chalicelib.accounts import profiles
from chalicelib.accounts.models import User
from chalicelib.connections import registry
from chalicelib.core.ids import now_ms
from chalicelib.core.pagination import Page, decode_cursor, encode_cursor
from chalicelib.feed.models import SEEN_KEY, Activity, ActivityByTime, ActivitySeen
from chalicelib.notifications import preferences, push
from chalicelib.posts import visible
from chalicelib.posts.models import Like, Post

KEEP_FOR = timedelta(days=90)
# The badge counts at most this many: past it the number tells nothing more, and the Query
# stops there (a few KB read whatever the backlog).
UNSEEN_MAX = 100
TEXT_MAX = 200
# A grouped like item remembers its latest likers, so that a blocked one is passed over for
# the next when the list is read.
RECENT_ACTORS = 5
LIKE, COMMENT, FOLLOW, FOLLOW_REQUEST, MENTION, TAG = (
    "like",
    "comment",
    "follow",
    "follow_request",
    "mention",
    "tag",
)
# From the moderators (``moderation.actions``): a report's outcome to its reporters, the
# reason to the author. They speak for no account, so the item's actor is its recipient.
REPORT_OUTCOME, MODERATION_NOTICE = "report_outcome", "moderation_notice"
# The kinds that reach a phone when no socket is live (``notifications.push``), and the
# preference each answers to. New followers, tags and notices wait for the app.
PUSHED = {
    LIKE: preferences.LIKE,
    COMMENT: preferences.COMMENT,
    FOLLOW_REQUEST: preferences.FOLLOW_REQUEST,
    MENTION: preferences.MENTION,
}


def record(
    user_id: str,
    kind: str,
    actor_id: str,
    key: str,
    *,
    post_id: str | None = None,
    post_author_id: str | None = None,
    comment_id: str | None = None,
    text: str | None = None,
) -> None:
    if user_id == actor_id:
        return  # your own doings are not news to you
    actor = _actor_if_visible(user_id, actor_id, post_id, post_author_id)
    if actor is None:
        return
    item = Activity(
        user_id,
        key,
        kind=kind,
        actor_id=actor_id,
        post_id=post_id,
        post_author_id=post_author_id,
        comment_id=comment_id,
        text=text and text[:TEXT_MAX],
        updated_at=now_ms(),
        expires_at=datetime.now(UTC) + KEEP_FOR,
    )
    item.save()
    _push(item, actor)


def notice(user_id: str, kind: str, key: str, text: str) -> None:
    """An item from the moderators: no actor to check; the text is the whole message."""
    item = Activity(
        user_id,
        key,
        kind=kind,
        actor_id=user_id,
        text=text[:TEXT_MAX],
        updated_at=now_ms(),
        expires_at=datetime.now(UTC) + KEEP_FOR,
    )
    item.save()
    recipient = visible.look(user_id, users=[user_id]).account(user_id)
    if recipient is not None:
        _push(item, recipient)


def like_added(author_id: str, post_id: str, liker_id: str) -> None:
    if author_id == liker_id:
        return
    actor = _actor_if_visible(author_id, liker_id, post_id, author_id)
    if actor is None:
        return
    key = f"like#{post_id}"
    try:
        before = list(Activity.get(author_id, key, consistent_read=True).recent_actor_ids or [])
    except Activity.DoesNotExist:
        before = []
    # Read, then written: two likes at once may drop one name from the few remembered, never
    # a like (the count is the post's).
    recent = [liker_id, *(other for other in before if other != liker_id)][:RECENT_ACTORS]
    item = Activity(author_id, key)
    item.update(
        actions=[
            Activity.kind.set(LIKE),
            Activity.actor_id.set(liker_id),
            Activity.recent_actor_ids.set(recent),
            Activity.post_id.set(post_id),
            Activity.post_author_id.set(author_id),
            Activity.updated_at.set(now_ms()),
            Activity.expires_at.set(datetime.now(UTC) + KEEP_FOR),
        ]
    )
    _push(item, actor, _likes_of(post_id))


def like_removed(
    author_id: str, post_id: str, likes_left: int, liker_id: str | None = None
) -> None:
    """The last like gone, the grouped item goes too. Otherwise the liker who took theirs
    back is no longer named: if the item remembers them, its recent likers are read again
    from the likes themselves (newest first), so it names only people who still like it."""
    key = f"like#{post_id}"
    if likes_left <= 0:
        remove(author_id, key)
        return
    try:
        item = Activity.get(author_id, key, consistent_read=True)
    except Activity.DoesNotExist:
        return
    if liker_id is None or liker_id not in _actors(item):
        return
    recent = [
        like.user_id
        for like in Like.by_time.query(
            post_id, scan_index_forward=False, limit=RECENT_ACTORS + 1, consistent_read=True
        )
        if like.user_id not in (author_id, liker_id)
    ][:RECENT_ACTORS]
    if not recent:
        remove(author_id, key)
        return
    with contextlib.suppress(UpdateError):  # gone meanwhile: nothing to correct
        item.update(
            actions=[Activity.actor_id.set(recent[0]), Activity.recent_actor_ids.set(recent)],
            condition=Activity.activity_key.exists(),
        )


def remove(user_id: str, key: str) -> None:
    with contextlib.suppress(DeleteError):  # gone already: a retried stream batch
        Activity(user_id, key).delete()


def listing(user_id: str, limit: int, cursor: str | None) -> Page:
    start = decode_cursor(cursor, {"user_id", "activity_key", "updated_at"}, ("user_id", user_id))
    result = Activity.by_time.query(
        user_id, scan_index_forward=False, limit=limit, last_evaluated_key=start
    )
    items = list(result)
    actors = [a for item in items for a in _actors(item)]
    refs = [(item.post_id, item.post_author_id) for item in items if item.post_id]
    sight = visible.look(user_id, users=actors, posts=refs)
    shown = []
    for item in items:
        actor = next(filter(None, map(sight.account, _actors(item))), None)
        post = sight.post(item.post_id) if item.post_id else None
        if actor is None or (item.post_id and post is None):
            continue  # blocked, gone, or about a post the reader may no longer see
        likes = int(post.likes_count) if post is not None and item.kind == LIKE else 1
        shown.append(view(item, actor, max(likes, 1)))
    return Page(items=shown, next_cursor=encode_cursor(result.last_evaluated_key))


def inbox(user_id: str, limit: int, cursor: str | None) -> dict[str, Any]:
    """``GET /activity``: a page and the badge."""
    return {**listing(user_id, limit, cursor).to_dict(), "unseen_count": unseen_count(user_id)}


def unseen_count(user_id: str) -> int:
    """Items changed since the user's last look, at most ``UNSEEN_MAX``. Two round trips
    (the marker, a COUNT Query); items the reader may no longer see still count until the
    list is next read and seen: the badge is a hint, the list is the truth."""
    try:
        seen_at = int(ActivitySeen.get(user_id, SEEN_KEY).seen_at or 0)
    except ActivitySeen.DoesNotExist:
        seen_at = 0
    # Select=COUNT through the table connection: the model's own ``count`` is shadowed by
    # its ``count`` attribute. Consistent: the push of a new item counts that item.
    answer = Activity._get_connection().query(
        user_id,
        range_key_condition=Activity.updated_at > seen_at,
        index_name=ActivityByTime.Meta.index_name,
        consistent_read=True,
        limit=UNSEEN_MAX,
        select="COUNT",
    )
    return min(int(answer.get("Count", 0)), UNSEEN_MAX)


def mark_seen(user_id: str) -> None:
    """The badge cleared: everything up to now is seen (an item changed later, such as a
    new like on a grouped post, counts again)."""
    ActivitySeen(user_id, SEEN_KEY, seen_at=now_ms()).save()


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
        TAG: f"{name} tagged you in a post",
        REPORT_OUTCOME: item.text or "",
        MODERATION_NOTICE: item.text or "",
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


def _likes_of(post_id: str) -> int:
    """The post's exact like count, for the sentence a push carries."""
    try:
        return max(int(Post.get(post_id, attributes_to_get=["likes_count"]).likes_count or 1), 1)
    except Post.DoesNotExist:
        return 1


def _actors(item: Activity) -> list[str]:
    return list(item.recent_actor_ids or []) or [item.actor_id]


def _actor_if_visible(
    user_id: str, actor_id: str, post_id: str | None, post_author_id: str | None
) -> User | None:
    """The actor, if the recipient may see both them and the post the item is about."""
    posts = [(post_id, post_author_id)] if post_id else []
    # The recipient is in the same batch: an account whose deletion began gets nothing more.
    sight = visible.look(user_id, users=[actor_id, user_id], posts=posts)
    if post_id and sight.post(post_id) is None:
        return None
    if sight.account(user_id) is None:
        return None
    return sight.account(actor_id)


def _push(item: Activity, actor: User, count: int = 1) -> None:
    shown = view(item, actor, count)
    badge = unseen_count(item.user_id)
    live = registry.live([item.user_id])
    # ``activity.new`` for the clients that know it; ``notification.new`` (DESIGN §4) is the
    # same item with the badge, so an app updates its count without asking.
    registry.notify_many({item.user_id: {"type": "activity.new", "activity": shown}}, devices=live)
    registry.notify_many(
        {item.user_id: {"type": "notification.new", "notification": shown, "unseen_count": badge}},
        devices=live,
    )
    kind = PUSHED.get(item.kind)
    if kind is None or live[item.user_id]:
        return
    # Likes and comments of one post share a window: a burst is one push, and the like's
    # sentence counts every liker ("alice and 3 others liked your post").
    group = item.post_id if item.kind in (LIKE, COMMENT) else None
    data = {"activity_id": item.activity_key, "post_id": item.post_id}
    push.deliver(item.user_id, kind, shown["text"], data, group=group, online=False, badge=badge)


# The badge of every push is this inbox's count (``notifications`` sits below the feed).
push.count_badge_with(unseen_count)
