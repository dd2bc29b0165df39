"""An account's standing: whether it shows and may act. Deleted (``deleted_at``) is for
good; suspended (``suspended_until``, set by a moderator) is until a time, after which the
account and its content are back unchanged. One place decides, so the visibility policy,
sign-in and the session check agree."""

from __future__ import annotations

from datetime import UTC, datetime

from chalicelib.accounts.models import User
from chalicelib.core.errors import Forbidden
from chalicelib.core.ids import now_ms


def suspended(user: User, at_ms: int | None = None) -> bool:
    until = user.suspended_until
    return until is not None and int(until) > (now_ms() if at_ms is None else at_ms)


def shown(user: User) -> bool:
    """The account exists for others: not being deleted, not suspended now."""
    return user.deleted_at is None and not suspended(user)


def require_active(user: User) -> None:
    """Sign-in is refused while suspended, with when it ends: the person must know why."""
    if suspended(user):
        raise Forbidden(
            f"This account is suspended until {_when(int(user.suspended_until or 0))}",
            code="account_suspended",
        )


def _when(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="seconds")
