"""Lists of posts and news: the home feed, activity, hashtag and place pages."""

from __future__ import annotations

from typing import Any

from chalicelib import activity, feed, hashtags, places
from chalicelib.routes.http import ApiBlueprint, caller, page_args

discovery = ApiBlueprint(__name__)


@discovery.route("/feed", methods=["GET"])
def home_feed() -> dict[str, Any]:
    request = discovery.current_request
    return feed.read(caller(request).user_id, *page_args(request)).to_dict()


@discovery.route("/activity", methods=["GET"])
def my_activity() -> dict[str, Any]:
    request = discovery.current_request
    return activity.listing(caller(request).user_id, *page_args(request)).to_dict()


@discovery.route("/tags/{tag}/posts", methods=["GET"])
def tag_posts(tag: str) -> dict[str, Any]:
    request = discovery.current_request
    return hashtags.page(caller(request).user_id, _unquote(tag), *page_args(request))


@discovery.route("/places/{place_id}/posts", methods=["GET"])
def place_posts(place_id: str) -> dict[str, Any]:
    request = discovery.current_request
    return places.page(caller(request).user_id, place_id, *page_args(request))


def _unquote(segment: str) -> str:
    # API Gateway passes path parameters percent-encoded: /tags/caf%C3%A9/posts.
    from urllib.parse import unquote

    return unquote(segment)
