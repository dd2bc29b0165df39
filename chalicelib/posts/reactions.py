"""The posts context's reactions to its own table (dispatched by chalicelib/streams.py): a new
post gets its media deadline; a deleted one takes its likes, comments and renditions with it
(their own streams then take down the activity they caused); the people tagged on its items
get (or lose) their ``post-tags`` rows, whatever the post's status."""

from __future__ import annotations

from typing import Any

from chalicelib.core.clients import client
from chalicelib.core.settings import settings
from chalicelib.posts import media, status, tags
from chalicelib.posts.models import Comment, Like

Image = dict[str, Any] | None


def on_post(old: Image, new: Image) -> None:
    if new and not old and new.get("status") == status.PROCESSING:
        media.schedule_deadline(new["post_id"], int(new["created_at"]))
    if old and not new and old.get("status") == status.READY:
        _delete_what_hangs_off(old["post_id"])
    tags.sync_rows(old, new)


def _delete_what_hangs_off(post_id: str) -> None:
    with Like.batch_write() as batch:
        for like in Like.query(post_id):
            batch.delete(like)
    with Comment.batch_write() as batch:
        for comment in Comment.query(post_id):
            batch.delete(comment)
    s3, bucket = client("s3"), settings().media_bucket
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=f"posts/{post_id}/")
    keys = [{"Key": item["Key"]} for item in listed.get("Contents", [])]
    if keys:
        s3.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})
