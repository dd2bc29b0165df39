"""What a moderator does with a case (``POST /moderation/reports/{report_id}``).

- ``dismiss``: the case closes, nothing else changes;
- ``remove``: the content goes through the paths its author's own deletion takes (a post:
  its photos' perceptual hashes kept first, so a re-upload is refused; then
  ``authoring.delete``, whose stream reactions take it out of feeds, search, explore,
  listings; a comment: ``comments.erase``; a message: deleted for everyone, previews and
  unread counts corrected), then the case closes. An account is suspended, not removed;
- ``suspend``: the owner's account gets ``suspended_until``: it cannot sign in, every session
  ends now (sockets told ``session.revoked``), and it and its content show nowhere until
  then (``accounts.standing``, read by the visibility policy); then all of it is back.

The effect comes first and the case closes after, conditionally: a crash in between leaves
the case open to act on again, and every effect is safe to repeat. Two moderators acting at
once: one closes it, the other gets ``409 report_closed``. Every action is kept on the case
(who, when, why); each reporter gets an activity item with the outcome and the author one
with the reason; then the reporters' entries go, so the target can be reported afresh.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from typing import Any

from pynamodb.exceptions import UpdateError

from chalicelib.accounts import sessions
from chalicelib.accounts.models import User
from chalicelib.core.dynamodb import batch_get
from chalicelib.core.errors import Conflict, NotFound, ValidationError
from chalicelib.core.ids import now_ms
from chalicelib.feed import activity
from chalicelib.messaging import erasure as message_erasure
from chalicelib.moderation import reports
from chalicelib.moderation.models import BY, OPEN, Action, ReportCase, ReportEntry
from chalicelib.posts import authoring, comments, media
from chalicelib.posts.models import Post
from chalicelib.stories import authoring as story_authoring

ACTIONS = ("dismiss", "remove", "suspend")
REASON_MAX = 500
DAYS_MAX = 3650
_DAY_MS = 86_400_000

_OUTCOME = {
    "dismiss": "We reviewed your report of a {what} and found it does not break our rules.",
    "remove": "Thanks for your report: we removed the {what} you reported.",
    "suspend": "Thanks for your report: we suspended the account behind the {what} you reported.",
}
_NOTICE = {
    "remove": "Your {what} was removed by our moderators: {reason}",
    "suspend": "Your account is suspended until {until} by our moderators: {reason}",
}
_WHAT = {
    "post": "post",
    "comment": "comment",
    "user": "account",
    "message": "message",
    "story": "story",
}


def act(moderator_id: str, report_id: str, body: dict[str, Any]) -> dict[str, Any]:
    found = reports.case(report_id)
    action = body.get("action")
    if action not in ACTIONS:
        raise ValidationError(f"action must be one of {', '.join(ACTIONS)}", field="action")
    reason = body.get("reason")
    if not isinstance(reason, str) or not reason.strip() or len(reason) > REASON_MAX:
        raise ValidationError(f"reason must be 1 to {REASON_MAX} characters", field="reason")
    reason = reason.strip()
    if found.status != OPEN:
        raise _closed()
    record = Action(action=action, moderator_id=moderator_id, reason=reason, at=now_ms())
    if action == "remove":
        if found.target_type == "user":
            raise ValidationError(
                "An account is suspended, not removed", code="validation_error", field="action"
            )
        _remove(found)
    elif action == "suspend":
        days = body.get("days")
        if isinstance(days, bool) or not isinstance(days, int | float) or not 0 < days <= DAYS_MAX:
            raise ValidationError(
                f"days must be a number of days, more than 0 and at most {DAYS_MAX}",
                field="days",
            )
        record.days = days
        record.suspended_until = suspend(str(found.owner_id), days)
    record.reports = int(found.report_count or 0)
    _close(found, record)
    _tell(found, record)
    closed = reports.case(report_id)
    return reports.view(closed, None)


def suspend(user_id: str, days: float) -> int:
    """The account is suspended until now + ``days`` (a later end already set stays): it
    cannot sign in and every session ends now."""
    until = now_ms() + int(days * _DAY_MS)
    try:
        User(user_id).update(
            actions=[User.suspended_until.set(until)],
            condition=User.user_id.exists()
            & (User.suspended_until.does_not_exist() | (User.suspended_until < until)),
        )
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
        # Gone, or suspended for longer already: the longer one holds.
    sessions.end_all(user_id)
    return until


def _remove(found: ReportCase) -> None:
    target, owner = str(found.target_id), str(found.owner_id)
    if found.target_type == "post":
        post = batch_get([(Post, target, None)]).get((Post, target, None))
        if isinstance(post, Post):
            # Its photos' hashes first: the same photo uploaded again is refused.
            media.remember_removed(post)
        # Deleted already (by its author, or a first try of this action): the same outcome.
        with contextlib.suppress(NotFound):
            authoring.delete(owner, target)
    elif found.target_type == "comment":
        comments.erase(str(found.post_id), target)
    elif found.target_type == "message":
        message_erasure.remove_message(str(found.conversation_id), target)
    elif found.target_type == "story":
        story_authoring.take_down(owner, target)  # a highlight keeping it goes too


def _close(found: ReportCase, record: Action) -> None:
    """The case closes with the action on record; the count, reasons and queue keys go, so
    a new report opens it afresh."""
    try:
        found.update(
            actions=[
                ReportCase.status.set(reports.CLOSED),
                ReportCase.actions.set((ReportCase.actions | []).append([record])),
                ReportCase.queue.remove(),
                ReportCase.rank.remove(),
                ReportCase.report_count.remove(),
                ReportCase.reasons.remove(),
                ReportCase.opened_at.remove(),
            ],
            condition=ReportCase.status == OPEN,
        )
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            raise _closed() from None
        raise


def _tell(found: ReportCase, record: Action) -> None:
    what = _WHAT.get(str(found.target_type), "content")
    entries = list(
        ReportEntry.query(
            found.report_id, ReportEntry.entry.startswith(BY), attributes_to_get=["entry"]
        )
    )
    key = f"report#{found.report_id}#{int(record.at)}"
    for entry in entries:
        reporter = entry.entry.removeprefix(BY)
        activity.notice(
            reporter,
            activity.REPORT_OUTCOME,
            key,
            _OUTCOME[record.action].format(what=what),
        )
    if record.action in _NOTICE and found.owner_id:
        until = record.suspended_until or 0
        activity.notice(
            str(found.owner_id),
            activity.MODERATION_NOTICE,
            key,
            _NOTICE[record.action].format(what=what, reason=record.reason, until=_iso(int(until))),
        )
    with ReportEntry.batch_write() as batch:
        for entry in entries:
            batch.delete(ReportEntry(found.report_id, entry.entry))


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="seconds")


def _closed() -> Conflict:
    return Conflict("This case is closed already", code="report_closed")
