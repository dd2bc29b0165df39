"""Comments on posts: written and counted in one transaction, listed either way in time.

The comment's author or the post's owner may delete it. Mentions in a comment notify the
mentioned users through the comments stream (chalicelib/streams.py → activity).

A comment by an account the post's owner restricted (``graph.restricts``) is ``pending``:
listed only to its author and the owner, not counted, its mentions not notified, until the
owner approves it (``approve``: the flag goes and the counter moves in one transaction).
Comments holding the owner's hidden words (``accounts.hidden_words``) are left out of the
owner's listing only.
"""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import DeleteError

from chalicelib.accounts import hidden_words, profiles
from chalicelib.accounts.models import User
from chalicelib.core.dynamodb import Transaction, TransactionCancelled
from chalicelib.core.errors import Forbidden, NotFound, ValidationError
from chalicelib.core.ids import new_id, now_ms
from chalicelib.core.pagination import Page, decode_cursor, encode_cursor
from chalicelib.graph import restricts, visibility
from chalicelib.posts import captions, visible
from chalicelib.posts.models import Comment, Post

TEXT_MAX = 2200
ORDERS = ("newest", "oldest")


def add(viewer_id: str, post_id: str, text: object) -> dict[str, Any]:
    if not isinstance(text, str) or not text.strip() or len(text) > TEXT_MAX:
        raise ValidationError(f"text must be 1 to {TEXT_MAX} characters", field="text")
    post = visible.get(viewer_id, post_id)
    pending = restricts.is_restricted(post.author_id, viewer_id)
    comment = Comment(
        post_id,
        new_id(),
        author_id=viewer_id,
        post_author_id=post.author_id,
        text=text,
        created_at=now_ms(),
        pending=True if pending else None,
    )
    try:
        with Transaction() as write:
            write.save(comment)
            if pending:  # not counted until approved; the post must still exist
                write.condition_check(Post, post_id, None, Post.post_id.exists(), label="post")
            else:
                write.update(
                    Post(post_id),
                    actions=[Post.comments_count.add(1)],
                    condition=Post.post_id.exists(),
                    label="post",
                )
    except TransactionCancelled:
        raise visible.not_found() from None
    return _view(comment, profiles.by_id(viewer_id))


def approve(viewer_id: str, post_id: str, comment_id: str) -> dict[str, Any]:
    """The post's owner lets a waiting comment show to everyone who may see the post, and
    count. Idempotent: approving a comment that is not waiting changes nothing."""
    post = visible.get(viewer_id, post_id)
    try:
        comment = Comment.get(post_id, comment_id, consistent_read=True)
    except Comment.DoesNotExist:
        raise NotFound("No such comment", code="comment_not_found") from None
    if post.author_id != viewer_id:
        raise Forbidden("Only the post's owner can approve its comments", code="not_post_author")
    if comment.pending:
        try:
            with Transaction() as write:
                write.update(
                    Comment(post_id, comment_id),
                    actions=[Comment.pending.remove()],
                    condition=Comment.pending.exists(),
                    label="comment",
                )
                write.update(
                    Post(post_id),
                    actions=[Post.comments_count.add(1)],
                    condition=Post.post_id.exists(),
                    label="post",
                )
        except TransactionCancelled as cancelled:
            if "post" in cancelled.failed:
                raise visible.not_found() from None
            # "comment": approved (or deleted) a moment ago by another request
        comment.pending = None
    return _view(comment, profiles.by_id(comment.author_id))


def remove(viewer_id: str, post_id: str, comment_id: str) -> None:
    try:
        comment = Comment.get(post_id, comment_id, consistent_read=True)
    except Comment.DoesNotExist:
        raise NotFound("No such comment", code="comment_not_found") from None
    visible.get(viewer_id, post_id)
    if viewer_id not in (comment.author_id, comment.post_author_id):
        raise Forbidden(
            "Only its author or the post's owner can delete a comment", code="not_comment_author"
        )
    erase(post_id, comment_id)


def erase(post_id: str, comment_id: str) -> bool:
    """The comment goes with one off the post's counter, in one transaction (no checks of who
    asks: also for an account's end, ``posts.erasure``). False if it was gone already (the
    other party who may delete it did, a moment ago: the outcome is the same). A comment
    whose post is gone (or whose counter is already 0) goes alone, and so does a comment
    still waiting for approval (it was never counted)."""
    try:
        with Transaction() as write:
            write.delete(
                Comment(post_id, comment_id),
                condition=Comment.comment_id.exists() & Comment.pending.does_not_exist(),
                label="comment",
            )
            write.update(
                Post(post_id),
                actions=[Post.comments_count.add(-1)],
                condition=Post.comments_count > 0,
                label="post",
            )
    except TransactionCancelled as cancelled:
        if "comment" in cancelled.failed:  # gone already, or waiting (never counted)
            return _delete_if_there(post_id, comment_id)
        Comment(post_id, comment_id).delete()
    return True


def _delete_if_there(post_id: str, comment_id: str) -> bool:
    try:
        Comment(post_id, comment_id).delete(condition=Comment.comment_id.exists())
    except DeleteError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def listing(
    viewer_id: str, post_id: str, order: str | None, limit: int, cursor: str | None
) -> Page:
    order = order or "newest"
    if order not in ORDERS:
        raise ValidationError("order must be newest or oldest", field="order")
    post = visible.get(viewer_id, post_id)
    # The owner's hidden words hide others' comments from the owner only.
    hides = hidden_words.matcher(viewer_id) if post.author_id == viewer_id else None
    start = decode_cursor(cursor, {"post_id", "comment_id"}, ("post_id", post_id))
    result = Comment.query(
        post_id, scan_index_forward=order == "oldest", limit=limit, last_evaluated_key=start
    )
    comments = list(result)
    sight = visibility.look(viewer_id, users=[c.author_id for c in comments])
    items = []
    for comment in comments:
        # Blocked accounts do not see each other, in comments either.
        author = sight.account(comment.author_id)
        if author is None:
            continue
        # A waiting comment is for its author and the post's owner only.
        if comment.pending and viewer_id not in (comment.author_id, comment.post_author_id):
            continue
        if hides is not None and comment.author_id != viewer_id and hides(comment.text):
            continue
        items.append(_view(comment, author))
    return Page(items=items, next_cursor=encode_cursor(result.last_evaluated_key))


def _view(comment: Comment, author: User) -> dict[str, Any]:
    view = _public_view(comment, author)
    if comment.pending:
        view["pending"] = True  # only ever shown to its author and the post's owner
    return view


def _public_view(comment: Comment, author: User) -> dict[str, Any]:
    return {
        "comment_id": comment.comment_id,
        "post_id": comment.post_id,
        "author": profiles.summary(author),
        "text": comment.text,
        "hashtags": captions.hashtags(comment.text),
        "mentions": captions.mentions(comment.text),
        "created_at": int(comment.created_at),
    }
