"""Search: GET /search, and the recent searches.

The search modules are imported by the handlers, not here: every other route of the API
Lambda would pay for them at cold start (bench/cold_start).
"""

from __future__ import annotations

from typing import Any

from chalice import Response

from chalicelib.core.http import ApiBlueprint, caller, json_body, page_args

search_api = ApiBlueprint(__name__)  # url_prefix /search


@search_api.route("/", methods=["GET"])
def search() -> dict[str, Any]:
    request = search_api.current_request
    params = request.query_params or {}
    from chalicelib.search import query

    return query.search(
        caller(request).user_id, params.get("q"), params.get("type"), *page_args(request)
    )


@search_api.route("/recent", methods=["GET"])
def recent_searches() -> dict[str, Any]:
    from chalicelib.search import recent

    return recent.listing(caller(search_api.current_request).user_id)


@search_api.route("/recent", methods=["POST"])
def record_search() -> Response:
    request = search_api.current_request
    from chalicelib.search import recent

    return Response(recent.record(caller(request).user_id, json_body(request)), status_code=201)


@search_api.route("/recent", methods=["DELETE"])
def clear_searches() -> Response:
    from chalicelib.search import recent

    recent.clear(caller(search_api.current_request).user_id)
    return Response("", status_code=204)
