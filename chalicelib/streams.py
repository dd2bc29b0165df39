"""Reactions to table changes, delivered by DynamoDB Streams (in AWS and in `make run`).

Batches go through Powertools' batch processor, so one bad record is reported as a partial
failure and retried alone instead of blocking the whole shard. Every reaction is written to
be harmless when a batch is delivered twice.

| stream          | reaction                                                              |
| --------------- | --------------------------------------------------------------------- |
| users           | private → public lets pending requesters in                           |
| posts           | ready: fan out to feeds, hashtag and place pages,                    |
|                 | mentions; caption edited: pages and mentions; deleted: all undone     |
| follows         | feed backfill (or a large account's marker), "started following you" |
| follow-requests | "asked to follow you", withdrawn when the request goes                |
| likes           | the grouped "liked your post" item                                    |
| comments        | "commented", and mentions in the comment                              |
| hashtags/places | the search index's tags and places (name, post count)                |

Users and posts are also kept in the search index (chalicelib/search/indexing.py).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from chalicelib import (
    activity,
    captions,
    feed,
    follows,
    hashtags,
    interactions,
    places,
    profiles,
)
from chalicelib.clients import client
from chalicelib.errors import NotFound
from chalicelib.observability import logger
from chalicelib.settings import settings
from chalicelib.tables import Comment, Like, Post, User

READY = "ready"


def _indexing():  # noqa: ANN202 - the module
    # Search indexing only runs in stream consumers: kept off the API's cold import.
    return importlib.import_module("chalicelib.search.indexing")


def process_batch(event: dict[str, Any], record_handler: Callable[[Any], None]) -> dict:
    # Imported here, not at the top: stream consumers need it, the API's cold start does not.
    from aws_lambda_powertools.utilities.batch import (
        BatchProcessor,
        EventType,
        process_partial_response,
    )

    processor = BatchProcessor(event_type=EventType.DynamoDBStreams)
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor
    )


def _images(record: Any) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    return record.dynamodb.old_image or None, record.dynamodb.new_image or None


# -- users -----------------------------------------------------------------------------------


def on_user_record(record: Any) -> None:
    old, new = _images(record)
    user_changed(old, new)
    _indexing().on_user(old, new)


def user_changed(old: dict[str, Any] | None, new: dict[str, Any] | None) -> None:
    """An account that goes from private to public lets in everyone who asked to follow."""
    if old and new and old.get("is_private") and not new.get("is_private"):
        approved = follows.approve_all(new["user_id"])
        logger.info("account went public", extra={"user_id": new["user_id"], "approved": approved})


# -- posts -----------------------------------------------------------------------------------


def on_post_record(record: Any) -> None:
    old, new = _images(record)
    _indexing().on_post(old, new)
    was_ready = bool(old) and old.get("status") == READY
    is_ready = bool(new) and new.get("status") == READY
    if is_ready and not was_ready:
        post_ready(new)
    elif was_ready and is_ready:
        post_edited(old, new)
    elif was_ready and not new:
        post_deleted(old)


def post_ready(post: dict[str, Any]) -> None:
    post_id, author_id = post["post_id"], post["author_id"]
    written = feed.fan_out(post_id, author_id)
    hashtags.index(post_id, author_id, list(post.get("hashtags") or []))
    if post.get("place") and post["place"].get("place_id"):
        places.index(post_id, author_id, post["place"])
    _mention(author_id, list(post.get("mentions") or []), post_id, post.get("caption", ""))
    logger.info("post fanned out", extra={"post_id": post_id, "feed_entries": written})


def post_edited(old: dict[str, Any], new: dict[str, Any]) -> None:
    before, after = set(old.get("hashtags") or []), set(new.get("hashtags") or [])
    hashtags.unindex(new["post_id"], sorted(before - after))
    hashtags.index(new["post_id"], new["author_id"], sorted(after - before))
    added = [name for name in new.get("mentions") or [] if name not in (old.get("mentions") or [])]
    _mention(new["author_id"], added, new["post_id"], new.get("caption", ""))


def post_deleted(post: dict[str, Any]) -> None:
    post_id, author_id = post["post_id"], post["author_id"]
    feed.remove_post(post_id, author_id)
    hashtags.unindex(post_id, list(post.get("hashtags") or []))
    if post.get("place") and post["place"].get("place_id"):
        places.unindex(post_id, post["place"]["place_id"])
    for name in post.get("mentions") or []:
        _for_user(name, lambda user: activity.remove(user.user_id, f"mention#{post_id}"))
    # Likes and comments go; their own streams then take down the activity they caused.
    with Like.batch_write() as batch:
        for like in Like.query(post_id):
            batch.delete(like)
    with Comment.batch_write() as batch:
        for comment in Comment.query(post_id):
            batch.delete(comment)
    _delete_renditions(post_id)


def _delete_renditions(post_id: str) -> None:
    s3, bucket = client("s3"), settings().media_bucket
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=f"posts/{post_id}/")
    keys = [{"Key": item["Key"]} for item in listed.get("Contents", [])]
    if keys:
        s3.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})


def _mention(actor_id: str, usernames: list[str], key_id: str, text: str, *,
             post_id: str | None = None, comment_id: str | None = None) -> None:  # fmt: skip
    for name in usernames:
        _for_user(name, lambda user: activity.record(
            user.user_id, activity.MENTION, actor_id, f"mention#{key_id}",
            post_id=post_id or key_id, comment_id=comment_id, text=text))  # fmt: skip


def _for_user(username: str, action: Callable[[User], None]) -> None:
    try:
        user = profiles.by_username(username)
    except NotFound:
        return  # "@nobody" mentions nobody
    action(user)


# -- the graph -------------------------------------------------------------------------------


def on_follow_record(record: Any) -> None:
    old, new = _images(record)
    if new and not old:
        feed.on_follow(new["follower_id"], new["followee_id"])
        interactions.record(new["follower_id"], "user", new["followee_id"], "follow")
        activity.record(new["followee_id"], activity.FOLLOW, new["follower_id"],
                        f"follow#{new['follower_id']}")  # fmt: skip
    elif old and not new:
        feed.on_unfollow(old["follower_id"], old["followee_id"])
        activity.remove(old["followee_id"], f"follow#{old['follower_id']}")


def on_follow_request_record(record: Any) -> None:
    old, new = _images(record)
    if new and not old:
        activity.record(new["target_id"], activity.FOLLOW_REQUEST, new["requester_id"],
                        f"request#{new['requester_id']}")  # fmt: skip
    elif old and not new:
        activity.remove(old["target_id"], f"request#{old['requester_id']}")


# -- interactions ----------------------------------------------------------------------------


def on_like_record(record: Any) -> None:
    old, new = _images(record)
    if new and not old:
        activity.like_added(new["author_id"], new["post_id"], new["user_id"])
        interactions.record(new["user_id"], "post", new["post_id"], "like")
    elif old and not new:
        try:
            left = int(Post.get(old["post_id"], attributes_to_get=["likes_count"]).likes_count)
        except Post.DoesNotExist:
            left = 0
        activity.like_removed(old["author_id"], old["post_id"], left)


def on_comment_record(record: Any) -> None:
    old, new = _images(record)
    if new and not old:
        comment_id, post_id, author_id = new["comment_id"], new["post_id"], new["author_id"]
        interactions.record(author_id, "post", post_id, "comment")
        activity.record(new["post_author_id"], activity.COMMENT, author_id,
                        f"comment#{comment_id}", post_id=post_id, comment_id=comment_id,
                        text=new["text"])  # fmt: skip
        _mention(author_id, captions.mentions(new["text"]), comment_id, new["text"],
                 post_id=post_id, comment_id=comment_id)  # fmt: skip
    elif old and not new:
        activity.remove(old["post_author_id"], f"comment#{old['comment_id']}")
        for name in captions.mentions(old["text"]):
            _for_user(name, lambda user: activity.remove(
                user.user_id, f"mention#{old['comment_id']}"))  # fmt: skip


# -- search ----------------------------------------------------------------------------------


def on_hashtag_record(record: Any) -> None:
    _indexing().on_hashtag(*_images(record))


def on_place_record(record: Any) -> None:
    _indexing().on_place(*_images(record))
