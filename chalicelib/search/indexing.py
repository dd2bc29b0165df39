"""Search documents from table images (stream records) and from the tables (rebuild)."""

from __future__ import annotations

from typing import Any

from chalicelib.search.documents import PLACE, POST, TAG, USER, Document
from chalicelib.search.engines import engine
from chalicelib.tables import SUMMARY_KEY


def user_document(user: dict[str, Any]) -> Document:
    return Document(USER, user["user_id"], f"{user['username']} {user.get('full_name', '')}",
                    popularity=float(user.get("followers_count", 0)))  # fmt: skip


def post_document(post: dict[str, Any]) -> Document:
    return Document(POST, post["post_id"], "", body=post.get("caption", ""),
                    popularity=float(post.get("likes_count", 0)),
                    author_id=post["author_id"])  # fmt: skip


def on_user(old: dict | None, new: dict | None) -> None:
    if new is None:
        engine().delete(USER, [old["user_id"]])
    elif old is None or any(old.get(k) != new.get(k)
                            for k in ("username", "full_name", "followers_count")):  # fmt: skip
        engine().index([user_document(new)])


def on_post(old: dict | None, new: dict | None) -> None:
    ready = new is not None and new.get("status") == "ready"
    if ready and (old is None or old.get("status") != "ready" or
                  old.get("caption") != new.get("caption")):  # fmt: skip
        engine().index([post_document(new)])
    elif not ready and old is not None and old.get("status") == "ready":
        engine().delete(POST, [old["post_id"]])


def listing_document(kind: str, key: str, name: str | None,
                     post_count: float | None) -> Document | None:  # fmt: skip
    """A hashtag or a place, by the name and post count on its summary item; None once it
    has no posts (nothing to find there)."""
    count = float(post_count or 0)
    return Document(kind, key, name or key, popularity=count) if count > 0 else None


def on_listing(kind: str, key_name: str, old: dict | None, new: dict | None) -> None:
    """The summary item of a hashtag or place: its name and post count."""
    image = new or old
    if image is None or image.get("post_id") != SUMMARY_KEY:
        return
    key = image[key_name]
    document = new and listing_document(kind, key, new.get("name"), new.get("post_count"))
    if document:
        engine().index([document])
    else:
        engine().delete(kind, [key])


def on_hashtag(old: dict | None, new: dict | None) -> None:
    on_listing(TAG, "tag", old, new)


def on_place(old: dict | None, new: dict | None) -> None:
    on_listing(PLACE, "place_id", old, new)
