"""An account's end in the posts context (``lifecycle.deletion``): its posts with every
rendition, its likes and comments on anyone's posts (those posts' counters corrected), its
saves, everyone's saves of its posts, the mentions of it in everyone's captions and
comments, which read as a deleted account's from then on, and its people tags on anyone's
posts with its tagged list (``tags.untag_everywhere``).

A post goes by deleting its item: the posts stream takes what hangs off a ready post (its
likes, comments, renditions; feeds, hashtag and place pages, search, mention activity) as
it does for any deleted post. Its renditions are also deleted here, for the posts that were
not ready (a failed or still processing post may have some).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from pynamodb.exceptions import UpdateError

from chalicelib.core.clients import client
from chalicelib.core.dynamodb import ScanJob, sweep
from chalicelib.core.settings import settings
from chalicelib.posts import captions, comments, likes, tags
from chalicelib.posts.models import Comment, Like, Post, Save

Tick = Callable[[], None]


class Listed(NamedTuple):
    """Where a deleted post was listed: its hashtags and its place (for ``discovery``)."""

    hashtags: list[str]
    place_id: str | None


def post_ids(user_id: str) -> list[str]:
    return [post.post_id for post in Post.by_author.query(user_id)]


def delete_posts(user_id: str, tick: Tick) -> list[Listed]:
    """Every post of the account, each with its renditions. Returns where they were listed."""
    listed = []
    for key in list(Post.by_author.query(user_id)):
        tick()
        try:
            post = Post.get(key.post_id, consistent_read=True)
        except Post.DoesNotExist:
            continue
        delete_prefix(settings().media_bucket, f"posts/{post.post_id}/")
        post.delete()
        listed.append(Listed(list(post.hashtags), post.place.place_id if post.place else None))
    return listed


def withdraw_likes(user_id: str, tick: Tick) -> int:
    """Its likes of anyone's posts, each with one off that post's ``likes_count``."""
    gone = 0
    for like in list(Like.by_user.query(user_id)):
        tick()
        gone += likes.withdraw(user_id, like.post_id)
    return gone


def erase_comments(user_id: str, tick: Tick) -> int:
    """Its comments on anyone's posts, each with one off that post's ``comments_count``."""
    gone = 0
    for comment in list(Comment.by_author.query(user_id)):
        tick()
        gone += comments.erase(comment.post_id, comment.comment_id)
    return gone


def untag(user_id: str, tick: Tick) -> int:
    """Its tags on anyone's posts, and its tagged list. (The tags on its own posts go with
    them: the posts stream drops a deleted post's rows.)"""
    return tags.untag_everywhere(user_id, tick)


def drop_saves(user_id: str, tick: Tick) -> int:
    """Its own saved posts."""
    saved = list(Save.query(user_id, attributes_to_get=["user_id", "post_id"]))
    with Save.batch_write() as batch:
        for save in saved:
            tick()
            batch.delete(save)
    return len(saved)


def drop_saves_of(user_id: str, job: ScanJob) -> int:
    """Everyone's saves of its posts (a save keeps its post's author). No index reaches
    them: one parallel Scan of the saves table."""

    def drop(save: Save) -> bool:
        Save(save.user_id, save.post_id).delete()
        return True

    return sweep(
        Save,
        drop,
        job,
        filter_condition=Save.author_id == user_id,
        attributes_to_get=["user_id", "post_id", "author_id"],
    )


def unmention(username: str, job: ScanJob) -> dict[str, int]:
    """Every caption and comment that mentions ``username`` reads ``@[deleted]`` there
    instead (``captions.without_mention``), and posts drop it from their mentions: the
    name is free to register again, and whoever takes it must not inherit them. Captions
    are found by their parsed ``mentions``; comments by their text, parsed again (they
    keep no list). One parallel Scan of each table."""

    def caption(post: Post) -> bool:
        if username not in post.mentions:
            return False
        text = captions.without_mention(post.caption, username)
        try:
            Post(post.post_id).update(
                actions=[Post.caption.set(text), Post.mentions.set(captions.mentions(text))],
                condition=Post.caption == post.caption,
            )
        except UpdateError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise
            return False  # edited (or deleted) meanwhile: the next run reads it again
        return True

    def comment(item: Comment) -> bool:
        if username not in captions.mentions(item.text):
            return False
        try:
            Comment(item.post_id, item.comment_id).update(
                actions=[Comment.text.set(captions.without_mention(item.text, username))],
                condition=Comment.text == item.text,
            )
        except UpdateError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise
            return False
        return True

    return {
        "captions": sweep(
            Post,
            caption,
            job,
            filter_condition=Post.mentions.contains(username),
            attributes_to_get=["post_id", "caption", "mentions"],
        ),
        "comments": sweep(
            Comment,
            comment,
            job,
            filter_condition=Comment.text.contains("@"),
            attributes_to_get=["post_id", "comment_id", "text"],
        ),
    }


def delete_prefix(bucket: str, prefix: str) -> int:
    """Every object under ``prefix`` in ``bucket``; returns how many went."""
    s3 = client("s3")
    gone = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
        if keys:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})
            gone += len(keys)
    return gone
