"""Hashtag and place listings kept in step with posts and accounts (dispatched by
chalicelib/streams.py): a ready post is listed under its tags and place, an edited caption
moves it between tags and an edited place between places, a deleted post leaves them, and
an account that turns private (or public) takes its posts out of (or back into) the public
counts."""

from __future__ import annotations

from typing import Any

from chalicelib.accounts.models import User
from chalicelib.discovery import hashtags, listings, places
from chalicelib.discovery.models import HashtagEntry, PlaceEntry
from chalicelib.posts import status
from chalicelib.posts.models import Post

Image = dict[str, Any] | None


def on_user(old: Image, new: Image) -> None:
    if not (old and new) or bool(old.get("is_private")) == bool(new.get("is_private")):
        return
    user_id = new["user_id"]
    ids = [item.post_id for item in Post.by_author.query(user_id)]
    for start in range(0, len(ids), 100):
        found = Post.batch_get(ids[start : start + 100])
        _listed_privacy(user_id, [_image_of(post) for post in found])


def on_post(old: Image, new: Image) -> None:
    change = status.change(old, new)
    if change == "ready":
        _list(new)
    elif change == "edited":
        before, after = set(old.get("hashtags") or []), set(new.get("hashtags") or [])
        hashtags.unindex(new["post_id"], sorted(before - after))
        public = _is_public(new["author_id"])
        hashtags.index(new["post_id"], new["author_id"], sorted(after - before), public)
        _move_place(old, new, public)
    elif change == "gone":
        hashtags.unindex(old["post_id"], list(old.get("hashtags") or []))
        if (old.get("place") or {}).get("place_id"):
            places.unindex(old["post_id"], old["place"]["place_id"])


def _move_place(old: dict[str, Any], new: dict[str, Any], public: bool) -> None:
    """An edited place (``PATCH /posts/{id}``): off the old place's page, onto the new one."""
    before = (old.get("place") or {}).get("place_id")
    after = (new.get("place") or {}).get("place_id")
    if before == after:
        return
    if before:
        places.unindex(new["post_id"], before)
    if after:
        places.index(new["post_id"], new["author_id"], new["place"], public)


def _list(post: dict[str, Any]) -> None:
    post_id, author_id = post["post_id"], post["author_id"]
    public = _is_public(author_id)
    hashtags.index(post_id, author_id, list(post.get("hashtags") or []), public)
    if (post.get("place") or {}).get("place_id"):
        places.index(post_id, author_id, post["place"], public)
    if _is_public(author_id) != public:
        # The account changed sides while this post was being listed, and the users stream
        # may have flipped its posts before this one was there: bring this one in step.
        _listed_privacy(author_id, [post])


def _is_public(user_id: str) -> bool:
    try:
        return not User.get(user_id, consistent_read=True).is_private
    except User.DoesNotExist:
        return False


def _listed_privacy(author_id: str, posts: list[dict[str, Any]]) -> None:
    """Bring the tag and place entries of these posts in step with the author's account as
    it is now (read again, so that two quick changes end where the account ends)."""
    public = _is_public(author_id)
    for post in posts:
        if post.get("status") != status.READY:
            continue
        for tag in post.get("hashtags") or []:
            listings.set_public(HashtagEntry, tag, post["post_id"], public)
        place = post.get("place") or {}
        if place.get("place_id"):
            listings.set_public(PlaceEntry, place["place_id"], post["post_id"], public)


def _image_of(post: Post) -> dict[str, Any]:
    return {
        "post_id": post.post_id,
        "status": post.status,
        "hashtags": list(post.hashtags),
        "place": {"place_id": post.place.place_id} if post.place else None,
    }
