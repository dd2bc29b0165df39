"""What the recommender suggests (/feed/explore, /suggestions/users) and the view events the
app reports to it (/events). The paths are the mobile app's contract, older than this
folder: no one prefix fits them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Response

from chalicelib.core.deferred import deferred
from chalicelib.core.http import ApiBlueprint, caller, json_body, page_args

if TYPE_CHECKING:  # imported on a route's first call: chalicelib/core/deferred.py
    from chalicelib.recommendations import events, explore, hide
else:
    events, explore, hide = deferred("chalicelib.recommendations", "events, explore, hide")

recommended = ApiBlueprint(__name__)


@recommended.route("/feed/explore", methods=["GET"])
def explore_feed() -> dict[str, Any]:
    request = recommended.current_request
    limit, _ = page_args(request)
    return explore.explore(caller(request).user_id, limit)


@recommended.route("/feed/explore/{post_id}/hide", methods=["POST"])
def hide_from_explore(post_id: str) -> Response:
    hide.hide(caller(recommended.current_request).user_id, post_id)
    return Response("", status_code=204)


@recommended.route("/suggestions/users", methods=["GET"])
def suggested_users() -> dict[str, Any]:
    request = recommended.current_request
    limit, _ = page_args(request)
    return explore.suggested_accounts(caller(request).user_id, limit)


@recommended.route("/events", methods=["POST"])
def report_events() -> Response:
    request = recommended.current_request
    accepted = events.record_events(caller(request).user_id, json_body(request).get("events"))
    return Response(accepted, status_code=202)
