"""Signals for the recommender from table changes (dispatched by chalicelib/streams.py): a
follow, a like, a comment is an interaction of its author with the account or the post."""

from __future__ import annotations

from typing import Any

from chalicelib.interactions import feedback

Image = dict[str, Any] | None


def on_follow(old: Image, new: Image) -> None:
    if new and not old:
        feedback.record(new["follower_id"], "user", new["followee_id"], "follow")


def on_like(old: Image, new: Image) -> None:
    if new and not old:
        feedback.record(new["user_id"], "post", new["post_id"], "like")


def on_comment(old: Image, new: Image) -> None:
    if new and not old:
        feedback.record(new["author_id"], "post", new["post_id"], "comment")
