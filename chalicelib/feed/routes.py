"""Your home feed (/feed) and your activity (/activity)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Response

from chalicelib.core.deferred import deferred
from chalicelib.core.http import ApiBlueprint, caller, page_args

if TYPE_CHECKING:  # imported on a route's first call: chalicelib/core/deferred.py
    from chalicelib.feed import activity, home
else:
    activity, home = deferred("chalicelib.feed", "activity, home")

home_feed = ApiBlueprint(__name__)  # url_prefix /feed
news = ApiBlueprint(__name__)  # url_prefix /activity


@home_feed.route("/", methods=["GET"])
def read_feed() -> dict[str, Any]:
    request = home_feed.current_request
    return home.read(caller(request).user_id, *page_args(request)).to_dict()


@news.route("/", methods=["GET"])
def my_activity() -> dict[str, Any]:
    request = news.current_request
    return activity.inbox(caller(request).user_id, *page_args(request))


@news.route("/seen", methods=["POST"])
def seen_activity() -> Response:
    activity.mark_seen(caller(news.current_request).user_id)
    return Response(body="", status_code=204)
