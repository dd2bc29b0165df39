"""Deleting an account: ``DELETE /me {password}`` starts it, the account-jobs queue finishes it.

The request (``accounts.closing.close``) proves the password (through the login lockout),
leaves a ``delete`` job, and marks the account deleted (``deleted_at``): from that moment it
shows nowhere and can do nothing (the visibility policy and the session check read it), and
every session ends. This module is the job: only the account-jobs consumer loads it.

The job (``run``) then takes everything of the account out of every context, one step
after another, each step the "forget this account" operation of the context that owns what
it deletes. Every step is safe to repeat: it finds what is left (by the account's
partitions and indexes, or a Scan where nothing else reaches) and deletes that, and the
counters it corrects move in the same transaction as the item they count, so a redelivered
job (a crash halfway) finishes the work and changes nothing already done. A job that runs
short of time hands over to a new one starting at the step it was in, and where that step's
table Scans got to (``scans``, ``core.dynamodb.sweep``): a step that reads whole tables
goes on across jobs however large they grow, rather than start again in each. The user
item, with its username and email claims, goes last: once it is gone, both are free to
register again.

What stays, and why (the tombstones): README, "Deleting your account".
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from chalicelib.accounts import closing, jobs
from chalicelib.connections import registry
from chalicelib.core import ratelimit
from chalicelib.core.observability import logger
from chalicelib.core.settings import settings
from chalicelib.core.uploads import Upload
from chalicelib.discovery import erasure as discovery
from chalicelib.feed import erasure as feed
from chalicelib.graph import erasure as graph
from chalicelib.interactions import erasure as interactions
from chalicelib.messaging import erasure as messaging
from chalicelib.moderation import erasure as moderation
from chalicelib.notifications import erasure as notifications
from chalicelib.posts import erasure as posts
from chalicelib.recommendations import erasure as recommendations
from chalicelib.search import erasure as search
from chalicelib.stories import erasure as stories

# A job hands over to the next before this much of its invocation has passed: the
# consumer's timeout is 150 s (.chalice/config.json), the longest single item well below 30.
JOB_SECONDS = 120.0


class OutOfTime(Exception):
    """The job's time is up: the step in progress starts again in the next job."""


@dataclass
class Deletion:
    """One run of the job: who, and what it found to delete."""

    user_id: str
    username: str | None
    email: str | None
    post_ids: list[str]
    deadline: float
    # Where the step in progress got to in each table it Scans (core.dynamodb.ScanJob).
    scans: dict[str, Any] = field(default_factory=dict)
    removed: dict[str, Any] = field(default_factory=dict)

    def tick(self) -> None:
        if time.monotonic() > self.deadline:
            raise OutOfTime()


def run(job: dict[str, Any], seconds: float = JOB_SECONDS) -> dict[str, Any]:
    """The ``delete`` job: every step from ``job["step"]`` (0 at first). Returns what each
    step removed (also logged)."""
    user_id, first = str(job["user_id"]), int(job.get("step", 0))
    started = time.monotonic()
    user = closing.mark_deleted(user_id)  # the request may have crashed before it did
    deletion = Deletion(
        user_id,
        user.username if user else None,
        user.email if user else None,
        posts.post_ids(user_id),
        started + seconds,
        scans=dict(job.get("scans") or {}),
    )
    for index, (name, step) in enumerate(STEPS):
        if index < first:
            continue
        try:
            deletion.removed[name] = step(deletion)
        except OutOfTime:
            jobs.enqueue("delete", user_id=user_id, step=index, scans=deletion.scans)
            logger.info(
                "account deletion continues in the next job",
                extra={"user_id": user_id, "step": name, "removed": deletion.removed},
            )
            return deletion.removed
        deletion.scans = {}  # the next step's Scans start at the start
    logger.info(
        "account deleted",
        extra={
            "user_id": user_id,
            "removed": deletion.removed,
            "seconds": round(time.monotonic() - started, 2),
        },
    )
    return deletion.removed


def _sweep(d: Deletion) -> dict[str, Any]:
    """What names the account or its posts in other people's items where no index reaches:
    one parallel Scan per table. First, while its posts' ids can still be read."""
    named = [d.user_id, *d.post_ids]
    return {
        "interactions_about_it": interactions.forget_about(named, d),
        "searches_that_opened_it": search.forget_opened(named, d),
        "saves_of_its_posts": posts.drop_saves_of(d.user_id, d),
        "mentions": posts.unmention(d.username, d) if d.username else {},
    }


def _posts(d: Deletion) -> dict[str, int]:
    listed = posts.delete_posts(d.user_id, d.tick)
    discovery.forget_author(
        d.user_id,
        [tag for each in listed for tag in each.hashtags],
        [each.place_id for each in listed if each.place_id],
    )
    return {"posts": len(listed)}


def _uploads(d: Deletion) -> dict[str, int]:
    """Its upload slots, whatever it uploaded (post photos, profile photos) and its profile
    photo's renditions."""
    slots = list(Upload.by_owner.query(d.user_id))
    with Upload.batch_write() as batch:
        for slot in slots:
            d.tick()
            batch.delete(Upload(slot.upload_id))
    s = settings()
    return {
        "slots": len(slots),
        "uploaded_objects": posts.delete_prefix(s.uploads_bucket, f"uploads/{d.user_id}/"),
        "avatar_objects": posts.delete_prefix(s.media_bucket, f"avatars/{d.user_id}/"),
    }


def _exports(d: Deletion) -> dict[str, int]:
    ratelimit.reset(f"export#{d.user_id}")
    return {"objects": posts.delete_prefix(settings().exports_bucket, f"exports/{d.user_id}/")}


Step = Callable[[Deletion], Any]
# In this order: the Scans while post ids exist; messages before blocks (a group's blocks
# say whose unread counts its messages are in); the account itself last.
STEPS: list[tuple[str, Step]] = [
    ("sweep", _sweep),
    ("messages", lambda d: messaging.forget(d.user_id, d.tick)),
    ("posts", _posts),
    ("likes", lambda d: posts.withdraw_likes(d.user_id, d.tick)),
    ("comments", lambda d: posts.erase_comments(d.user_id, d.tick)),
    ("saves", lambda d: posts.drop_saves(d.user_id, d.tick)),
    ("tags", lambda d: posts.untag(d.user_id, d.tick)),
    ("uploads", _uploads),
    ("stories", lambda d: stories.forget(d.user_id, d.tick)),
    ("graph", lambda d: graph.forget(d.user_id, d.tick)),
    ("feed", lambda d: feed.forget(d.user_id, d.tick)),
    ("search", lambda d: search.forget(d.user_id, d.post_ids)),
    ("recommendations", lambda d: recommendations.forget(d.user_id)),
    ("interactions", lambda d: interactions.forget(d.user_id, d.tick)),
    ("connections", lambda d: registry.forget_user(d.user_id)),
    # Its phones: SNS endpoints first, then the items, so nothing more reaches them.
    ("devices", lambda d: notifications.forget(d.user_id, d.tick)),
    ("reports", lambda d: moderation.forget(d.user_id, d.tick)),
    ("exports", _exports),
    ("activity_elsewhere", lambda d: feed.forget_in_others(d.user_id, d.username, d)),
    ("account", lambda d: closing.forget(d.user_id, d.username, d.email, d.tick)),
]
