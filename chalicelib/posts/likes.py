"""Likes: idempotent, counted exactly, listed newest first.

The like and the post's counter change in one transaction; liking twice or unliking what was
never liked changes nothing. Activity items follow through the likes stream.
"""

from __future__ import annotations

from chalicelib.core.dynamodb import Transaction, TransactionCancelled
from chalicelib.core.ids import now_ms
from chalicelib.core.pagination import Page, decode_cursor
from chalicelib.graph import follows
from chalicelib.posts import visible
from chalicelib.posts.models import Like, Post


def like(viewer_id: str, post_id: str) -> dict[str, object]:
    post = visible.get(viewer_id, post_id)
    try:
        with Transaction() as write:
            write.save(
                Like(post_id, viewer_id, author_id=post.author_id, created_at=now_ms()),
                condition=Like.user_id.does_not_exist(),
                label="new",
            )
            write.update(
                Post(post_id),
                actions=[Post.likes_count.add(1)],
                condition=Post.post_id.exists(),
                label="post",
            )
    except TransactionCancelled as cancelled:
        if "post" in cancelled.failed:
            raise visible.not_found() from None
        # "new" failed: already liked, nothing to do
    return {"liked": True, "likes_count": _count(post_id)}


def unlike(viewer_id: str, post_id: str) -> dict[str, object]:
    visible.get(viewer_id, post_id)
    withdraw(viewer_id, post_id)
    return {"liked": False, "likes_count": _count(post_id)}


def withdraw(user_id: str, post_id: str) -> bool:
    """The like goes with one off the post's counter, in one transaction (no visibility
    check: also for an account's end, ``posts.erasure``). False if there was no like. A
    like whose post is gone (or whose counter is already 0) goes alone."""
    try:
        with Transaction() as write:
            write.delete(Like(post_id, user_id), condition=Like.user_id.exists(), label="had")
            write.update(
                Post(post_id),
                actions=[Post.likes_count.add(-1)],
                condition=Post.likes_count > 0,
                label="post",
            )
    except TransactionCancelled as cancelled:
        if "had" in cancelled.failed:
            return False  # not liked: nothing to undo
        Like(post_id, user_id).delete()
    return True


def likers(viewer_id: str, post_id: str, limit: int, cursor: str | None) -> Page:
    visible.get(viewer_id, post_id)
    start = decode_cursor(cursor, {"post_id", "user_id", "created_at"}, ("post_id", post_id))
    result = Like.by_time.query(
        post_id, scan_index_forward=False, limit=limit, last_evaluated_key=start
    )
    edges = [(like.user_id, like.created_at) for like in result]
    return follows.user_page(viewer_id, edges, result.last_evaluated_key, "liked_at")


def _count(post_id: str) -> int:
    return int(
        Post.get(post_id, consistent_read=True, attributes_to_get=["likes_count"]).likes_count
    )
