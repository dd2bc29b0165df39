"""Your data, downloadable: ``POST /me/export`` asks, an ``export`` job builds a zip in the
exports bucket (``lifecycle.archive``), ``GET /me/export`` hands out a presigned link that
expires, and a mail says when it is ready.

This module is what the API imports; the job's half (zipfile, the streaming upload, the
queries of every table) is in ``archive`` so that no API cold start pays for it.
"""

from __future__ import annotations

from typing import Any

from chalicelib.accounts import jobs, profiles
from chalicelib.accounts.models import Export, User
from chalicelib.core import ratelimit
from chalicelib.core.clients import client
from chalicelib.core.errors import Throttled
from chalicelib.core.ids import new_id, now_ms
from chalicelib.core.settings import settings

NONE, BUILDING, READY = "none", "building", "ready"
PER_DAY = 3  # exports one account may ask for in 24 hours
DAY = 86400
# A build not done after this long is taken for lost (its job ended in the dead-letter
# queue): the export reads "none" again, and a new one may be asked for.
STALE_MS = 30 * 60 * 1000
KEEP_DAYS = 7  # the exports bucket's lifecycle rule


def request(user_id: str) -> dict[str, Any]:
    """A new export, unless one is being built (that one is the answer). At most
    ``PER_DAY`` a day: 429 ``rate_limited`` beyond."""
    user = profiles.by_id(user_id)
    if _state(user.export) == BUILDING:
        return _view(user.export)
    wait = ratelimit.take(f"export#{user_id}", PER_DAY, DAY)
    if wait:
        raise Throttled(
            f"At most {PER_DAY} exports a day; try again later",
            code="rate_limited",
            retry_after=wait,
        )
    export = Export(status=BUILDING, requested_at=now_ms(), key=f"exports/{user_id}/{new_id()}.zip")
    user.update(actions=[User.export.set(export)], condition=User.deleted_at.does_not_exist())
    jobs.enqueue("export", user_id=user_id, key=export.key)
    return _view(export)


def status(user_id: str) -> dict[str, Any]:
    return _view(profiles.by_id(user_id).export)


def _state(export: Export | None) -> str:
    if export is None:
        return NONE
    if export.status == BUILDING:
        return BUILDING if now_ms() - int(export.requested_at) < STALE_MS else NONE
    if export.status == READY and now_ms() - int(export.ready_at or 0) < KEEP_DAYS * DAY * 1000:
        return READY
    return NONE


def _view(export: Export | None) -> dict[str, Any]:
    state = _state(export)
    shown: dict[str, Any] = {
        "status": state,
        "url": None,
        "expires_at": None,
        "requested_at": int(export.requested_at) if export and state != NONE else None,
        "ready_at": None,
    }
    if state == READY:
        seconds = settings().export_url_seconds
        shown["url"] = client("s3").generate_presigned_url(
            "get_object",
            Params={
                "Bucket": settings().exports_bucket,
                "Key": export.key,
                "ResponseContentDisposition": 'attachment; filename="glimpse-data.zip"',
            },
            ExpiresIn=seconds,
        )
        shown["expires_at"] = now_ms() + seconds * 1000
        shown["ready_at"] = int(export.ready_at)
    return shown
