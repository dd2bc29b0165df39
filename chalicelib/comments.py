"""Comments on posts: written and counted in one transaction, listed either way in time.

The comment's author or the post's owner may delete it. Mentions in a comment notify the
mentioned users through the comments stream (chalicelib/streams.py → activity).
"""

from __future__ import annotations

from typing import Any

from chalicelib import captions, posts, profiles, relationships
from chalicelib.errors import Forbidden, NotFound, ValidationError
from chalicelib.ids import new_id, now_ms
from chalicelib.pagination import Page, decode_cursor, encode_cursor
from chalicelib.tables import Comment, Post, Transaction, TransactionCancelled, User, batch_get

TEXT_MAX = 2200
ORDERS = ("newest", "oldest")


def add(viewer_id: str, post_id: str, text: object) -> dict[str, Any]:
    if not isinstance(text, str) or not text.strip() or len(text) > TEXT_MAX:
        raise ValidationError(f"text must be 1 to {TEXT_MAX} characters", field="text")
    post = posts.get_visible(viewer_id, post_id)
    comment = Comment(post_id, new_id(), author_id=viewer_id, post_author_id=post.author_id,
                      text=text, created_at=now_ms())  # fmt: skip
    try:
        with Transaction() as write:
            write.save(comment)
            write.update(Post(post_id), actions=[Post.comments_count.add(1)],
                         condition=Post.post_id.exists(), label="post")  # fmt: skip
    except TransactionCancelled:
        raise posts.not_found() from None
    return _view(comment, profiles.by_id(viewer_id))


def remove(viewer_id: str, post_id: str, comment_id: str) -> None:
    try:
        comment = Comment.get(post_id, comment_id, consistent_read=True)
    except Comment.DoesNotExist:
        raise NotFound("No such comment", code="comment_not_found") from None
    posts.get_visible(viewer_id, post_id)
    if viewer_id not in (comment.author_id, comment.post_author_id):
        raise Forbidden("Only its author or the post's owner can delete a comment",
                        code="not_comment_author")  # fmt: skip
    try:
        with Transaction() as write:
            write.delete(comment, condition=Comment.comment_id.exists(), label="comment")
            write.update(Post(post_id), actions=[Post.comments_count.add(-1)],
                         condition=Post.comments_count > 0, label="post")  # fmt: skip
    except TransactionCancelled:
        pass  # deleted meanwhile by the other party who may: the outcome is the same


def listing(viewer_id: str, post_id: str, order: str | None, limit: int,
            cursor: str | None) -> Page:  # fmt: skip
    order = order or "newest"
    if order not in ORDERS:
        raise ValidationError("order must be newest or oldest", field="order")
    posts.get_visible(viewer_id, post_id)
    start = decode_cursor(cursor, {"post_id", "comment_id"}, ("post_id", post_id))
    result = Comment.query(post_id, scan_index_forward=order == "oldest", limit=limit,
                           last_evaluated_key=start)  # fmt: skip
    comments = list(result)
    authors = {c.author_id for c in comments}
    keys: list[tuple] = [(User, author_id, None) for author_id in authors]
    for author_id in authors:
        keys += relationships.keys(viewer_id, author_id).values()
    found = batch_get(keys)
    items = []
    for comment in comments:
        author = found.get((User, comment.author_id, None))
        relationship = relationships.from_found(viewer_id, comment.author_id, found)
        # Blocked accounts do not see each other, in comments either.
        if author is not None and not (relationship.blocked or relationship.blocked_by):
            items.append(_view(comment, author))
    return Page(items=items, next_cursor=encode_cursor(result.last_evaluated_key))


def _view(comment: Comment, author: User) -> dict[str, Any]:
    return {
        "comment_id": comment.comment_id,
        "post_id": comment.post_id,
        "author": profiles.summary(author),
        "text": comment.text,
        "hashtags": captions.hashtags(comment.text),
        "mentions": captions.mentions(comment.text),
        "created_at": int(comment.created_at),
    }
