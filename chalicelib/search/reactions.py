"""The search index kept in step with users, posts, hashtags and places (dispatched by
chalicelib/streams.py)."""

from __future__ import annotations

from chalicelib.discovery.models import SUMMARY_KEY
from chalicelib.posts import status
from chalicelib.search.documents import (
    PLACE,
    POST,
    TAG,
    USER,
    listing_document,
    post_document,
    user_document,
)
from chalicelib.search.engines import engine


def on_user(old: dict | None, new: dict | None) -> None:
    if new is None or new.get("deleted_at") is not None:
        # Gone, or its deletion began: it shows nowhere from that moment, search included.
        engine().delete(USER, [(new or old)["user_id"]])
    elif old is None or any(
        old.get(k) != new.get(k) for k in ("username", "full_name", "followers_count")
    ):
        engine().index([user_document(new)])


def on_post(old: dict | None, new: dict | None) -> None:
    change = status.change(old, new)
    if change == "ready" or (change == "edited" and old.get("caption") != new.get("caption")):
        engine().index([post_document(new)])
    elif change == "gone":
        engine().delete(POST, [old["post_id"]])


def on_listing(kind: str, key_name: str, old: dict | None, new: dict | None) -> None:
    """The summary item of a hashtag or place: its name and post count."""
    image = new or old
    if image is None or image.get("post_id") != SUMMARY_KEY:
        return
    key = image[key_name]
    document = new and listing_document(kind, key, new.get("name"), new.get("public_count"))
    if document:
        engine().index([document])
    else:
        engine().delete(kind, [key])


def on_hashtag(old: dict | None, new: dict | None) -> None:
    on_listing(TAG, "tag", old, new)


def on_place(old: dict | None, new: dict | None) -> None:
    on_listing(PLACE, "place_id", old, new)
