"""Home feeds and activity kept in step with table changes (dispatched by
chalicelib/streams.py).

| stream          | reaction                                                              |
| --------------- | --------------------------------------------------------------------- |
| posts           | ready: fan out to feeds, mentions, people tags; edited: new mentions,  |
|                 | tags added and removed; deleted: out of feeds, mentions and tags      |
|                 | withdrawn                                                             |
| follows         | feed backfill (or a large account's marker), "started following you" |
| follow-requests | "asked to follow you", withdrawn when the request goes                |
| likes           | the grouped "liked your post" item                                    |
| comments        | "commented", and mentions in the comment                              |

Every reaction is harmless when a batch is delivered twice.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalicelib.accounts import hidden_words, profiles
from chalicelib.accounts.models import User
from chalicelib.core.errors import NotFound
from chalicelib.core.observability import logger
from chalicelib.feed import activity, home
from chalicelib.posts import captions, status, tags
from chalicelib.posts.models import Post

Image = dict[str, Any] | None


def on_post(old: Image, new: Image) -> None:
    change = status.change(old, new)
    if change == "ready":
        post_id, author_id = new["post_id"], new["author_id"]
        written = home.fan_out(post_id, author_id)
        _mention(
            author_id,
            list(new.get("mentions") or []),
            post_id,
            new.get("caption", ""),
            post_author_id=author_id,
        )
        _tag(author_id, post_id, tags.tagged_ids(new.get("images") or []))
        logger.info("post fanned out", extra={"post_id": post_id, "feed_entries": written})
    elif change == "edited":
        before = tags.tagged_ids(old.get("images") or [])
        after = tags.tagged_ids(new.get("images") or [])
        _tag(new["author_id"], new["post_id"], after - before)
        for user_id in before - after:
            activity.remove(user_id, f"tag#{new['post_id']}")
        added = [n for n in new.get("mentions") or [] if n not in (old.get("mentions") or [])]
        _mention(
            new["author_id"],
            added,
            new["post_id"],
            new.get("caption", ""),
            post_author_id=new["author_id"],
        )
    elif change == "gone" and not new:
        post_id = old["post_id"]
        home.remove_post(post_id, old["author_id"])
        for name in old.get("mentions") or []:
            _for_user(name, lambda user: activity.remove(user.user_id, f"mention#{post_id}"))
        for user_id in tags.tagged_ids(old.get("images") or []):
            activity.remove(user_id, f"tag#{post_id}")


def on_follow(old: Image, new: Image) -> None:
    if new and not old:
        home.on_follow(new["follower_id"], new["followee_id"])
        follower = new["follower_id"]
        activity.record(new["followee_id"], activity.FOLLOW, follower, f"follow#{follower}")
    elif old and not new:
        home.on_unfollow(old["follower_id"], old["followee_id"])
        activity.remove(old["followee_id"], f"follow#{old['follower_id']}")


def on_follow_request(old: Image, new: Image) -> None:
    if new and not old:
        requester = new["requester_id"]
        activity.record(
            new["target_id"], activity.FOLLOW_REQUEST, requester, f"request#{requester}"
        )
    elif old and not new:
        activity.remove(old["target_id"], f"request#{old['requester_id']}")


def on_like(old: Image, new: Image) -> None:
    if new and not old:
        activity.like_added(new["author_id"], new["post_id"], new["user_id"])
    elif old and not new:
        try:
            left = int(Post.get(old["post_id"], attributes_to_get=["likes_count"]).likes_count)
        except Post.DoesNotExist:
            left = 0
        activity.like_removed(old["author_id"], old["post_id"], left, old["user_id"])


def on_comment(old: Image, new: Image) -> None:
    if new and not old:
        if not _hidden_from_owner(new):
            activity.record(
                new["post_author_id"],
                activity.COMMENT,
                new["author_id"],
                f"comment#{new['comment_id']}",
                post_id=new["post_id"],
                post_author_id=new["post_author_id"],
                comment_id=new["comment_id"],
                text=new["text"],
            )
        if not new.get("pending"):  # a waiting comment is for its author and the owner
            _mention_in(new)
    elif old and new and old.get("pending") and not new.get("pending"):
        _mention_in(new)  # approved: now others may see it
    elif old and not new:
        activity.remove(old["post_author_id"], f"comment#{old['comment_id']}")
        key = f"mention#{old['comment_id']}"
        for name in captions.mentions(old["text"]):
            _for_user(name, lambda user: activity.remove(user.user_id, key))


def _hidden_from_owner(comment: dict[str, Any]) -> bool:
    """A comment holding the post owner's hidden words is hidden from the owner: its
    activity item too (judged by the words when it is written)."""
    if comment["author_id"] == comment["post_author_id"]:
        return False
    hides = hidden_words.matcher(comment["post_author_id"])
    return hides is not None and hides(comment["text"])


def _mention_in(comment: Image) -> None:
    _mention(
        comment["author_id"],
        captions.mentions(comment["text"]),
        comment["comment_id"],
        comment["text"],
        post_author_id=comment["post_author_id"],
        post_id=comment["post_id"],
        comment_id=comment["comment_id"],
    )


def _mention(
    actor_id: str,
    usernames: list[str],
    key_id: str,
    text: str,
    *,
    post_author_id: str,
    post_id: str | None = None,
    comment_id: str | None = None,
) -> None:
    """Each mentioned account hears of it, if it may see the post (``activity.record``)."""
    for name in usernames:
        _for_user(
            name,
            lambda user: activity.record(
                user.user_id,
                activity.MENTION,
                actor_id,
                f"mention#{key_id}",
                post_id=post_id or key_id,
                post_author_id=post_author_id,
                comment_id=comment_id,
                text=text,
            ),
        )


def _tag(author_id: str, post_id: str, user_ids: set[str]) -> None:
    """Each newly tagged account hears of it, if it may see the post (``activity.record``):
    one item per post however many of its items tag them."""
    for user_id in sorted(user_ids):
        activity.record(
            user_id,
            activity.TAG,
            author_id,
            f"tag#{post_id}",
            post_id=post_id,
            post_author_id=author_id,
        )


def _for_user(username: str, action: Callable[[User], None]) -> None:
    try:
        user = profiles.by_username(username)
    except NotFound:
        return  # "@nobody" mentions nobody
    action(user)
