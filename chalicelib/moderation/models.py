"""The ``reports`` table: one case per reported target, and one entry per reporter of it.

A case's partition is ``report_id`` (``<target_type>-<target ids>``: one per target, so
reports of the same thing fold into it). Its items, by ``entry``:

- ``case``: the target, its owner, the count and reasons of the open reports, the actions
  taken (who, when, why). While open it carries ``queue`` and ``rank``, the keys of the
  sparse ``reports_queue`` index, so the moderators' queue is one Query of open cases only.
- ``by#<reporter_id>``: one person's report (reason, note; for a message, the messages
  around it as the reporter saw them). The conditional put of this item is what makes a
  second report by the same person count nothing.
"""

from __future__ import annotations

from pynamodb.attributes import (
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection

from chalicelib.core.dynamodb import Model, meta

CASE = "case"
BY = "by#"
OPEN, CLOSED = "open", "closed"


class Queue(GlobalSecondaryIndex):
    Meta = meta("reports", index="reports_queue", projection=AllProjection())

    queue = UnicodeAttribute(hash_key=True)
    rank = UnicodeAttribute(range_key=True)


class ByOwner(GlobalSecondaryIndex):
    Meta = meta("reports", index="reports_by_owner", projection=KeysOnlyProjection())

    owner_id = UnicodeAttribute(hash_key=True)
    report_id = UnicodeAttribute(range_key=True)


class ByReporter(GlobalSecondaryIndex):
    Meta = meta("reports", index="reports_by_reporter", projection=KeysOnlyProjection())

    reporter_id = UnicodeAttribute(hash_key=True)
    report_id = UnicodeAttribute(range_key=True)


class Action(MapAttribute):
    """One moderator's decision on the case."""

    action = UnicodeAttribute()  # dismiss | remove | suspend
    moderator_id = UnicodeAttribute(null=True)  # dropped if that account is deleted
    reason = UnicodeAttribute()
    at = NumberAttribute()
    days = NumberAttribute(null=True)
    suspended_until = NumberAttribute(null=True)
    reports = NumberAttribute(default=0)  # how many reports it answered


class ReportCase(Model):
    Meta = meta("reports")

    report_id = UnicodeAttribute(hash_key=True)
    entry = UnicodeAttribute(range_key=True, default=CASE)
    target_type = UnicodeAttribute(null=True)
    target_id = UnicodeAttribute(null=True)
    post_id = UnicodeAttribute(null=True)  # a comment's post
    conversation_id = UnicodeAttribute(null=True)  # a message's conversation
    owner_id = UnicodeAttribute(null=True)  # who wrote it (the user, for a user report)
    status = UnicodeAttribute(null=True)
    report_count = NumberAttribute(null=True)
    reasons = ListAttribute(of=UnicodeAttribute, null=True)
    opened_at = NumberAttribute(null=True)
    queue = UnicodeAttribute(null=True)
    rank = UnicodeAttribute(null=True)
    actions = ListAttribute(of=Action, null=True)

    in_queue = Queue()
    by_owner = ByOwner()


class Snapshot(MapAttribute):
    """A message as the reporter's history showed it when they reported."""

    message_id = UnicodeAttribute()
    sender_id = UnicodeAttribute(null=True)
    text = UnicodeAttribute(null=True)
    post_id = UnicodeAttribute(null=True)
    created_at = NumberAttribute(null=True)


class ReportEntry(Model):
    Meta = meta("reports")

    report_id = UnicodeAttribute(hash_key=True)
    entry = UnicodeAttribute(range_key=True)
    reporter_id = UnicodeAttribute()
    reason = UnicodeAttribute()
    note = UnicodeAttribute(null=True)
    reported_at = NumberAttribute()
    context = ListAttribute(of=Snapshot, null=True)

    by_reporter = ByReporter()
