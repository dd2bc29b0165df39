"""Lists of posts and news: the home feed, explore, suggestions, activity, hashtag and place
pages; and the view events the app reports."""

from __future__ import annotations

from typing import Any

from chalice import Response

from chalicelib import activity, feed, hashtags, interactions, places, recommendations
from chalicelib.routes.http import ApiBlueprint, caller, json_body, page_args

discovery = ApiBlueprint(__name__)


@discovery.route("/feed", methods=["GET"])
def home_feed() -> dict[str, Any]:
    request = discovery.current_request
    return feed.read(caller(request).user_id, *page_args(request)).to_dict()


@discovery.route("/feed/explore", methods=["GET"])
def explore_feed() -> dict[str, Any]:
    request = discovery.current_request
    limit, _ = page_args(request)
    return recommendations.explore(caller(request).user_id, limit)


@discovery.route("/suggestions/users", methods=["GET"])
def suggested_users() -> dict[str, Any]:
    request = discovery.current_request
    limit, _ = page_args(request)
    return recommendations.suggested_accounts(caller(request).user_id, limit)


@discovery.route("/events", methods=["POST"])
def report_events() -> Response:
    request = discovery.current_request
    accepted = interactions.record_events(caller(request).user_id,
                                          json_body(request).get("events"))  # fmt: skip
    return Response(accepted, status_code=202)


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
