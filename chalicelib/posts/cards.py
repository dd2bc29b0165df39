"""Posts as a viewer sees them: the card of a feed, a grid, a tag or place page, a search
result, explore. A page of cards is one BatchGetItem of the posts, their authors, the
viewer's like and save flags and the edges that decide visibility (``posts.visible``).

This is the read model that may read other contexts' models (the authors) for its one
round trip.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.accounts import profiles
from chalicelib.accounts.models import User
from chalicelib.core.pagination import decode_cursor, encode_cursor
from chalicelib.core.storage import media_url
from chalicelib.graph import relationships, visibility
from chalicelib.posts import place, visible
from chalicelib.posts.models import Like, Post, PostImage, Save
from chalicelib.posts.status import READY


def read(viewer_id: str, post_id: str) -> dict[str, Any]:
    """``GET /posts/{id}`` in two round trips: the post, then one batch of its author, the
    relationships that decide visibility and the like/save flags (as a feed card). The
    author also sees their own post while it is processing or failed."""
    shown = _cards(viewer_id, [(post_id, None)], ready_only=False)
    if not shown:
        raise visible.not_found()
    return shown[0]


def view(post: Post, viewer_id: str) -> dict[str, Any]:
    """The author's own post, just written, as they see it (whatever its status)."""
    return _cards(viewer_id, [(post.post_id, post.author_id)], ready_only=False)[0]


def of(viewer_id: str, refs: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """Ready posts (``(post_id, author_id)``, in order) as cards, leaving out what the viewer
    may not see: posts, authors, like/save flags and the relationships that decide visibility
    all come from one BatchGetItem (its chunks sent side by side)."""
    return _cards(viewer_id, refs, ready_only=True)


def in_feed(viewer_id: str, refs: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """``of``, for a feed (home, explore): posts of accounts the viewer muted are left out
    too (``visibility.Sight.in_feeds``), their mute edges read in the same BatchGetItem."""
    return _cards(viewer_id, refs, ready_only=True, feed=True)


def _cards(
    viewer_id: str, refs: list[tuple[str, str | None]], ready_only: bool, feed: bool = False
) -> list[dict[str, Any]]:
    if not refs:
        return []
    flags: list[tuple] = [
        key
        for post_id, _ in refs
        for key in ((Like, post_id, viewer_id), (Save, viewer_id, post_id))
    ]
    if feed:
        flags += visibility.feed_keys(viewer_id, [author for _, author in refs if author])
    sight = visible.look(viewer_id, posts=refs, extra=flags)
    posts = [post for post_id, _ in refs if (post := sight.post(post_id)) is not None]
    if feed:
        posts = [post for post in posts if sight.in_feeds(post.author_id)]
    posts = [post for post in posts if not (ready_only and post.status != READY)]
    tagged = _tagged_sight(viewer_id, posts, sight)
    return [
        _card(post, sight.found[(User, post.author_id, None)], sight.found, viewer_id, tagged)
        for post in posts
    ]


def _tagged_sight(
    viewer_id: str, posts: list[Post], sight: visibility.Sight
) -> visibility.Sight | None:
    """The people tagged on the page's posts, with the edges that decide whether the viewer
    may see them: one more BatchGetItem for the whole page (none when nobody is tagged),
    whatever the number of cards."""
    user_ids = {tag.user_id for post in posts for image in post.images for tag in image.tags}
    if not user_ids:
        return None
    return visibility.look_for([viewer_id], sorted(user_ids), known=sight.found)[viewer_id]


def by_author(viewer_id: str, username: str, limit: int, cursor: str | None) -> dict[str, Any]:
    """A profile's grid: the author's ready posts, newest first, for whoever may see them."""
    author = profiles.by_username(username)
    visibility.require_content(viewer_id, author, relationships.between(viewer_id, author.user_id))
    start = decode_cursor(cursor, {"author_id", "post_id"}, ("author_id", author.user_id))
    result = Post.by_author.query(
        author.user_id, scan_index_forward=False, limit=limit, last_evaluated_key=start
    )
    refs = [(item.post_id, author.user_id) for item in result]
    next_cursor = encode_cursor(result.last_evaluated_key)
    return {"items": of(viewer_id, refs), "next_cursor": next_cursor}


def _card(
    post: Post, author: User, found: Mapping, viewer_id: str, tagged: visibility.Sight | None
) -> dict[str, Any]:
    return {
        "post_id": post.post_id,
        "author": profiles.summary(author),
        "created_at": int(post.created_at),
        "status": post.status,
        "failure_reason": post.failure_reason,
        "caption": post.caption,
        "hashtags": list(post.hashtags),
        "mentions": list(post.mentions),
        "filter": post.filter,
        "place": place.view(post.place),
        "images": [_image_view(image, tagged) for image in post.images],
        "likes_count": int(post.likes_count),
        "comments_count": int(post.comments_count),
        "liked": (Like, post.post_id, viewer_id) in found,
        "saved": (Save, viewer_id, post.post_id) in found,
    }


def _image_view(image: PostImage, tagged: visibility.Sight | None) -> dict[str, Any]:
    video = image.type == "video"
    return {
        "alt_text": image.alt_text,
        "tags": _tags_view(image, tagged),
        "type": image.type,
        "status": image.status,
        "width": None if image.width is None else int(image.width),
        "height": None if image.height is None else int(image.height),
        "placeholder": image.placeholder,
        # A photo's JPEGs (large…thumb), a video's MP4s (720p, 480p).
        "renditions": _renditions(image.renditions),
        "duration_ms": int(image.duration_ms) if video and image.duration_ms else None,
        "poster": _renditions(image.poster) if video and image.poster else None,
        "faces": [
            {"x": float(f.x), "y": float(f.y), "w": float(f.w), "h": float(f.h)}
            for f in image.faces
        ],
        "failure_reason": image.failure_reason,
    }


def _tags_view(image: PostImage, tagged: visibility.Sight | None) -> list[dict[str, Any]]:
    """The people tagged on the item whom the viewer may see: never an account across a
    block, a private account the viewer does not follow, or one being deleted (that tag is
    left out for this viewer only)."""
    shown = []
    for tag in image.tags:
        user = tagged.content_of(tag.user_id) if tagged is not None else None
        if user is not None:
            shown.append({"user": profiles.summary(user), "x": float(tag.x), "y": float(tag.y)})
    return shown


def _renditions(renditions: list) -> dict[str, dict[str, Any]]:
    return {
        rendition.name: {
            "url": media_url(rendition.key),
            "width": int(rendition.width),
            "height": int(rendition.height),
            "bytes": int(rendition.bytes),
        }
        for rendition in renditions
    }
