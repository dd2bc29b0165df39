"""Hashtag and place pages: /tags/{tag}/posts, /places/{place_id}/posts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from chalicelib.core.deferred import deferred
from chalicelib.core.http import ApiBlueprint, caller, page_args

if TYPE_CHECKING:  # imported on a route's first call: chalicelib/core/deferred.py
    from chalicelib.discovery import hashtags, places
else:
    hashtags, places = deferred("chalicelib.discovery", "hashtags, places")

tags = ApiBlueprint(__name__)  # url_prefix /tags
place_pages = ApiBlueprint(__name__)  # url_prefix /places


@tags.route("/{tag}/posts", methods=["GET"])
def tag_posts(tag: str) -> dict[str, Any]:
    request = tags.current_request
    # API Gateway passes path parameters percent-encoded: /tags/caf%C3%A9/posts.
    return hashtags.page(caller(request).user_id, unquote(tag), *page_args(request))


@place_pages.route("/{place_id}/posts", methods=["GET"])
def place_posts(place_id: str) -> dict[str, Any]:
    request = place_pages.current_request
    return places.page(caller(request).user_id, place_id, *page_args(request))
