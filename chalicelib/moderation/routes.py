"""Reports (``/reports``, anyone) and the moderators' queue (``/moderation/reports``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Response

from chalicelib.core.deferred import deferred
from chalicelib.core.http import ApiBlueprint, caller, json_body, page_args

if TYPE_CHECKING:  # imported on a route's first call: chalicelib/core/deferred.py
    from chalicelib.moderation import actions, moderators, reports
else:
    actions, moderators, reports = deferred("chalicelib.moderation", "actions, moderators, reports")

reporting = ApiBlueprint(__name__)
moderation = ApiBlueprint(__name__)


@reporting.route("/", methods=["POST"])
def file_report() -> Response:
    request = reporting.current_request
    return Response(reports.report(caller(request).user_id, json_body(request)), status_code=202)


@moderation.route("/", methods=["GET"])
def open_cases() -> dict[str, Any]:
    request = moderation.current_request
    moderators.require(caller(request).user_id)
    limit, cursor = page_args(request)
    return reports.queue(limit, cursor).to_dict()


@moderation.route("/{report_id}", methods=["GET"])
def one_case(report_id: str) -> dict[str, Any]:
    request = moderation.current_request
    moderators.require(caller(request).user_id)
    return reports.detail(report_id)


@moderation.route("/{report_id}", methods=["POST"])
def act_on_case(report_id: str) -> dict[str, Any]:
    request = moderation.current_request
    moderator_id = caller(request).user_id
    moderators.require(moderator_id)
    return actions.act(moderator_id, report_id, json_body(request))
