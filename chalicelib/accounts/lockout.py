"""The login lockout: at most ``login_max_failures`` secrets (a password, a second-factor
code) are checked for one account in a window, however many guesses arrive at once.

The try is taken *before* the check (``core.ratelimit``: a conditional atomic ADD). The
window slides: it ends ``login_lockout_seconds`` after the latest try; a success clears it.
Unknown login names get a subject of their own, so a lock tells nobody whether an account
exists.
"""

from __future__ import annotations

from chalicelib.core import ratelimit
from chalicelib.core.errors import Throttled
from chalicelib.core.settings import settings


def take_a_try(subject: str) -> None:
    """Reserve one check for ``subject`` (a user id), or refuse with 429."""
    s = settings()
    wait = ratelimit.take(
        _key(subject), s.login_max_failures, s.login_lockout_seconds, sliding=True
    )
    if wait:
        raise Throttled(
            "Too many failed logins; try again later", code="too_many_attempts", retry_after=wait
        )


def clear(subject: str) -> None:
    ratelimit.reset(_key(subject))


def _key(subject: str) -> str:
    return f"login#{subject}"
