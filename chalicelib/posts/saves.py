"""Saved posts: a private bookmark list, newest save first."""

from __future__ import annotations

from pynamodb.exceptions import PutError

from chalicelib.core.ids import now_ms
from chalicelib.core.pagination import Page, decode_cursor, encode_cursor
from chalicelib.interactions import feedback
from chalicelib.posts import cards, visible
from chalicelib.posts.models import Save


def save(viewer_id: str, post_id: str) -> dict[str, bool]:
    post = visible.get(viewer_id, post_id)
    try:
        # Saving twice keeps the first save's time: the list's order does not jump.
        Save(viewer_id, post_id, author_id=post.author_id, saved_at=now_ms()).save(
            condition=Save.post_id.does_not_exist()
        )
    except PutError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
    else:
        feedback.record(viewer_id, "post", post_id, "save")
    return {"saved": True}


def unsave(viewer_id: str, post_id: str) -> dict[str, bool]:
    # No visibility check: anyone may drop a bookmark, even to a post they can no longer see.
    Save(viewer_id, post_id).delete()
    return {"saved": False}


def saved(viewer_id: str, limit: int, cursor: str | None) -> Page:
    """Saved posts the viewer may still see; a post deleted or hidden since is left out."""
    start = decode_cursor(cursor, {"user_id", "post_id", "saved_at"}, ("user_id", viewer_id))
    result = Save.by_time.query(
        viewer_id, scan_index_forward=False, limit=limit, last_evaluated_key=start
    )
    refs = [(entry.post_id, entry.author_id) for entry in result]
    return Page(
        items=cards.of(viewer_id, refs), next_cursor=encode_cursor(result.last_evaluated_key)
    )
