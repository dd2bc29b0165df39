"""Reports (``POST /reports``) and the cases moderators read (``GET /moderation/reports``).

A report names something the reporter can see: a post, a comment, an account or a message
of a conversation they are in, each checked through the one visibility policy, so a report
of something hidden from the reporter is the 404 it would get for reading it. Reports of
the same target fold into one case (``models``); a second report by the same person
changes nothing. A message report keeps that message and the few around it as the
reporter's history showed them, since the sender may delete them (or the account) later.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, NamedTuple

from pynamodb.exceptions import PutError, UpdateError

from chalicelib.accounts import profiles
from chalicelib.accounts.models import User
from chalicelib.core.dynamodb import batch_get
from chalicelib.core.errors import NotFound, ValidationError
from chalicelib.core.ids import now_ms
from chalicelib.core.pagination import Page, decode_cursor, encode_cursor
from chalicelib.graph import people, visibility
from chalicelib.messaging import messages
from chalicelib.moderation.models import (
    BY,
    CASE,
    CLOSED,
    OPEN,
    ReportCase,
    ReportEntry,
    Snapshot,
)
from chalicelib.posts import visible
from chalicelib.posts.models import Comment
from chalicelib.stories import authoring as story_authoring
from chalicelib.stories import reading as story_reading

TARGET_TYPES = ("post", "comment", "user", "message", "story")
REASONS = ("spam", "nudity", "harassment", "violence", "hate", "self_harm", "scam", "other")
NOTE_MAX = 500
ID_MAX = 64
# A case's rank in the queue sorts most reported first, then oldest: the count is stored as
# its distance from this bound so that ascending order is descending count.
_RANK_BOUND = 10**9


class Target(NamedTuple):
    target_type: str
    target_id: str
    owner_id: str
    post_id: str | None = None
    conversation_id: str | None = None
    context: list[Snapshot] | None = None

    @property
    def report_id(self) -> str:
        # One case per target: ids are base32 (no "-"), so the parts cannot run together.
        parts = [self.target_type, self.conversation_id or self.post_id, self.target_id]
        return "-".join(part for part in parts if part)


def report(reporter_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """Files one report; answers the case's id and that it was received (never the count
    or who else reported: that is the moderators')."""
    target_type = body.get("target_type")
    if target_type not in TARGET_TYPES:
        raise ValidationError(
            f"target_type must be one of {', '.join(TARGET_TYPES)}", field="target_type"
        )
    reason = body.get("reason")
    if reason not in REASONS:
        raise ValidationError(f"reason must be one of {', '.join(REASONS)}", field="reason")
    note = body.get("note")
    if note is not None and (not isinstance(note, str) or len(note) > NOTE_MAX):
        raise ValidationError(f"note must be at most {NOTE_MAX} characters", field="note")
    target = _resolve(reporter_id, str(target_type), body)
    if target.owner_id == reporter_id:
        raise ValidationError("You cannot report your own content", code="cannot_report_own")
    _file(reporter_id, target, str(reason), (note or "").strip() or None)
    return {"report_id": target.report_id, "status": "received"}


def _id(body: dict[str, Any], field: str) -> str:
    value = body.get(field)
    if not isinstance(value, str) or not 0 < len(value) <= ID_MAX:
        raise ValidationError(f"{field} must be an id", field=field)
    return value


def _resolve(reporter_id: str, target_type: str, body: dict[str, Any]) -> Target:
    """The target, if the reporter may see it; the 404 they would get reading it if not."""
    target_id = _id(body, "target_id")
    if target_type == "post":
        post = visible.get(reporter_id, target_id)
        return Target("post", post.post_id, post.author_id)
    if target_type == "comment":
        post_id = _id(body, "post_id")
        visible.get(reporter_id, post_id)
        found = batch_get([(Comment, post_id, target_id)]).get((Comment, post_id, target_id))
        sight = visibility.look(reporter_id, users=[found.author_id] if found else [])
        if found is None or sight.account(found.author_id) is None:
            raise NotFound("No such comment", code="comment_not_found")
        return Target("comment", target_id, found.author_id, post_id=post_id)
    if target_type == "user":
        user, _ = people.named_by(reporter_id, target_id)
        return Target("user", user.user_id, user.user_id)
    if target_type == "story":
        story = story_authoring.get(target_id)
        if story_reading.read_one(reporter_id, story) is None:  # expired, or not for them
            raise NotFound("No such story", code="story_not_found")
        return Target("story", story.story_id, story.author_id)
    conversation_id = _id(body, "conversation_id")
    seen = messages.around(reporter_id, conversation_id, target_id)
    if seen is None or not seen[0].sender_id:
        raise NotFound("No such message", code="message_not_found")
    message, window = seen
    context = [
        Snapshot(
            message_id=m.message_id,
            sender_id=m.sender_id,
            text=m.text,
            post_id=m.post_id,
            created_at=m.created_at,
        )
        for m in window
    ]
    return Target(
        "message", target_id, message.sender_id, conversation_id=conversation_id, context=context
    )


def _file(reporter_id: str, target: Target, reason: str, note: str | None) -> None:
    now = now_ms()
    entry = ReportEntry(
        target.report_id,
        BY + reporter_id,
        reporter_id=reporter_id,
        reason=reason,
        note=note,
        reported_at=now,
        context=target.context,
    )
    try:
        entry.save(condition=ReportEntry.entry.does_not_exist())
    except PutError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return  # this person reported it already: one report per person
        raise
    case = ReportCase(target.report_id, CASE)
    # Created on the first report, or opened again after it was closed (closing removes the
    # count, reasons, opened_at, rank: ``actions._close``). If the process dies after the
    # entry was saved, the entry is there without being counted: a retry by the same person
    # is then a no-op. Rare, and the moderators still see the entry.
    case.update(
        actions=[
            ReportCase.target_type.set(target.target_type),
            ReportCase.target_id.set(target.target_id),
            ReportCase.owner_id.set(target.owner_id),
            *([ReportCase.post_id.set(target.post_id)] if target.post_id else []),
            *(
                [ReportCase.conversation_id.set(target.conversation_id)]
                if target.conversation_id
                else []
            ),
            ReportCase.status.set(OPEN),
            ReportCase.queue.set(OPEN),
            ReportCase.opened_at.set(ReportCase.opened_at | now),
            ReportCase.report_count.add(1),
            # In the queue from the first report on, even if the rank below never lands.
            ReportCase.rank.set(ReportCase.rank | rank(1, now)),
            ReportCase.reasons.set((ReportCase.reasons | []).append([reason])),
        ]
    )
    count, opened = int(case.report_count or 1), int(case.opened_at or now)
    try:
        # The rank follows the count; a report counted after this one sets its own, and this
        # condition keeps an older count from overwriting a newer one.
        case.update(
            actions=[ReportCase.rank.set(rank(count, opened))],
            condition=(ReportCase.report_count == count) & (ReportCase.status == OPEN),
        )
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise


def rank(count: int, opened_at: int) -> str:
    return f"{_RANK_BOUND - min(count, _RANK_BOUND - 1):010d}#{opened_at:013d}"


# -- what moderators read ----------------------------------------------------------------------


def queue(limit: int, cursor: str | None) -> Page:
    """Open cases, most reported first, then oldest: one Query of the sparse queue index and
    one BatchGetItem of the owners."""
    start = decode_cursor(cursor, {"report_id", "entry", "queue", "rank"}, ("queue", OPEN))
    result = ReportCase.in_queue.query(OPEN, limit=limit, last_evaluated_key=start)
    cases = list(result)
    owners = batch_get([(User, c.owner_id, None) for c in cases if c.owner_id])
    return Page(
        items=[view(c, owners.get((User, c.owner_id, None))) for c in cases],
        next_cursor=encode_cursor(result.last_evaluated_key),
    )


def case(report_id: str) -> ReportCase:
    if not 0 < len(report_id) <= 3 * ID_MAX + 10:
        raise not_found()
    found = batch_get([(ReportCase, report_id, CASE)]).get((ReportCase, report_id, CASE))
    if found is None or found.status is None:
        raise not_found()
    return found  # type: ignore[return-value]


def detail(report_id: str) -> dict[str, Any]:
    """One case with its reports (reasons, notes, a message's context) and its actions."""
    found = case(report_id)
    entries = list(ReportEntry.query(report_id, ReportEntry.entry.startswith(BY)))
    users = batch_get(
        [(User, u, None) for u in {found.owner_id, *(e.reporter_id for e in entries)} if u]
    )
    return {
        **view(found, users.get((User, found.owner_id, None))),
        "reports": [
            {
                "reporter": _summary(users.get((User, e.reporter_id, None))),
                "reason": e.reason,
                "note": e.note,
                "reported_at": int(e.reported_at),
                "context": [
                    {
                        "message_id": m.message_id,
                        "sender_id": m.sender_id,
                        "text": m.text,
                        "post_id": m.post_id,
                        "created_at": int(m.created_at) if m.created_at is not None else None,
                    }
                    for m in e.context or []
                ]
                or None,
            }
            for e in entries
        ],
    }


def view(found: ReportCase, owner: Any) -> dict[str, Any]:
    return {
        "report_id": found.report_id,
        "target_type": found.target_type,
        "target_id": found.target_id,
        "post_id": found.post_id,
        "conversation_id": found.conversation_id,
        "owner": _summary(owner),
        "status": found.status,
        "report_count": int(found.report_count or 0),
        "reasons": dict(Counter(found.reasons or [])),
        "opened_at": int(found.opened_at) if found.opened_at is not None else None,
        "actions": [
            {
                "action": a.action,
                "moderator_id": a.moderator_id,
                "reason": a.reason,
                "at": int(a.at),
                "days": a.days,
                "suspended_until": int(a.suspended_until) if a.suspended_until else None,
                "reports": int(a.reports or 0),
            }
            for a in found.actions or []
        ],
    }


def _summary(user: Any) -> dict[str, Any] | None:
    return profiles.summary(user) if isinstance(user, User) and user.deleted_at is None else None


def not_found() -> NotFound:
    return NotFound("No such report", code="report_not_found")


__all__ = ["CLOSED", "OPEN", "REASONS", "TARGET_TYPES", "case", "queue", "report"]
