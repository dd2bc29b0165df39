"""The graph's reactions to table changes (dispatched by chalicelib/streams.py)."""

from __future__ import annotations

from typing import Any

from chalicelib.core.observability import logger
from chalicelib.graph import follows

Image = dict[str, Any] | None


def on_user(old: Image, new: Image) -> None:
    """An account that goes from private to public lets in everyone who asked to follow."""
    if old and new and old.get("is_private") and not new.get("is_private"):
        approved = follows.approve_all(new["user_id"])
        logger.info("account went public", extra={"user_id": new["user_id"], "approved": approved})
