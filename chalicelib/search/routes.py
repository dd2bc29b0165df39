"""Search: GET /search, and the recent searches.

Its modules are deferred like every route's (chalicelib/core/deferred.py); here it matters
most, since the search engine's client comes with them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Response

from chalicelib.core.deferred import deferred
from chalicelib.core.http import ApiBlueprint, caller, json_body, page_args

if TYPE_CHECKING:  # imported on a route's first call: chalicelib/core/deferred.py
    from chalicelib.search import query, recent
else:
    query, recent = deferred("chalicelib.search", "query, recent")

search_api = ApiBlueprint(__name__)  # url_prefix /search


@search_api.route("/", methods=["GET"])
def search() -> dict[str, Any]:
    request = search_api.current_request
    params = request.query_params or {}
    return query.search(
        caller(request).user_id, params.get("q"), params.get("type"), *page_args(request)
    )


@search_api.route("/recent", methods=["GET"])
def recent_searches() -> dict[str, Any]:
    return recent.listing(caller(search_api.current_request).user_id)


@search_api.route("/recent", methods=["POST"])
def record_search() -> Response:
    request = search_api.current_request
    return Response(recent.record(caller(request).user_id, json_body(request)), status_code=201)


@search_api.route("/recent", methods=["DELETE"])
def clear_searches() -> Response:
    recent.clear(caller(search_api.current_request).user_id)
    return Response("", status_code=204)
