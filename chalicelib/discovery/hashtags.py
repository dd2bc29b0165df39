"""Hashtag pages: the posts under a tag, newest first, with the tag's post count.

A post is listed under the hashtags of its caption once it is ready (the page shows the posts
the viewer may see, and counts those of public accounts); editing the caption or
deleting the post updates the pages through the posts stream. Comments' hashtags are shown
with the comment but do not list the post (a stranger's comment must not put a post on a page).
"""

from __future__ import annotations

from typing import Any

from chalicelib.core.dynamodb import pool
from chalicelib.core.errors import ValidationError
from chalicelib.discovery import listings
from chalicelib.discovery.models import HashtagEntry
from chalicelib.posts import captions


def check_tag(raw: str) -> str:
    tag = captions.normalise_tag(raw.lstrip("#"))
    if captions.hashtags(f"#{tag}") != [tag]:
        raise ValidationError("Not a hashtag", code="invalid_hashtag", field="tag")
    return tag


def index(post_id: str, author_id: str, tags: list[str], public: bool) -> None:
    for tag in tags:
        listings.add(HashtagEntry, tag, post_id, author_id, public)


def unindex(post_id: str, tags: list[str]) -> None:
    for tag in tags:
        listings.remove(HashtagEntry, tag, post_id)


def page(viewer_id: str, raw_tag: str, limit: int, cursor: str | None) -> dict[str, Any]:
    tag = check_tag(raw_tag)
    summary = pool().submit(listings.summary, HashtagEntry, tag)
    listing = listings.page(HashtagEntry, tag, viewer_id, limit, cursor)
    # Posts of public accounts only: a count of private ones would tell what they post about.
    return {"tag": tag, "post_count": listings.public_count(summary.result()), **listing.to_dict()}
