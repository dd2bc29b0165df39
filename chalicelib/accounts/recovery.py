"""A forgotten password: a reset link by mail, then a new password with it.

``POST /auth/password/forgot {login}`` enqueues one job and answers 202, whether the login
names an account or not: the request does exactly the same work either way, and the job
(``send_reset``) looks the account up. A reset mail goes only to an address the account
holds (``verification.holds``), at most ``mail_per_address_per_hour`` an hour (``outbox``).
Its token (``onetime``, kind ``reset_password``) lives ``reset_password_seconds`` (30 min).

``POST /auth/password/reset {token, password}`` takes the token (once: a conditional delete),
sets the password, ends every session of the account (refresh tokens refused, sockets told
``session.revoked`` and closed), clears the login tries and voids the account's other reset
tokens. It never signs in: the next login asks for the second factor as always.
"""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import DoesNotExist

from chalicelib.accounts import auth, jobs, letters, lockout, onetime, sessions, verification
from chalicelib.accounts.models import User
from chalicelib.core.errors import ValidationError
from chalicelib.core.observability import logger
from chalicelib.core.settings import settings
from chalicelib.mail import outbox


def forgot(login: object) -> None:
    if not isinstance(login, str) or not login.strip():
        raise ValidationError("login (a username or an email) is required", field="login")
    jobs.enqueue("forgot_password", login=login.strip().lower()[: auth.EMAIL_MAX])


def reset(token: object, password: object) -> None:
    new_password = auth.check_password(password)  # checked first: a bad one keeps the token
    found = onetime.take(onetime.RESET_PASSWORD, token)
    if found is None:
        raise _invalid_token()
    try:
        user = User.get(found.user_id, consistent_read=True)
    except DoesNotExist:
        raise _invalid_token() from None
    if user.deleted_at is not None:
        raise _invalid_token()
    auth.set_password(user.user_id, new_password)
    sessions.end_all(user.user_id)
    lockout.clear(user.user_id)
    onetime.void(user.user_id, onetime.RESET_PASSWORD)


def send_reset(job: dict[str, Any]) -> None:
    """The job of a forgot-password request: the reset mail, if the login names an account
    that holds its address."""
    user = auth.find_by_login(str(job["login"]))
    if user is None or user.deleted_at is not None or not verification.holds(user):
        return
    if outbox.reserve(user.email):
        logger.warning("mail not sent: the address's hourly limit is reached")
        return
    lifetime = settings().reset_password_seconds
    token = onetime.issue(onetime.RESET_PASSWORD, user.user_id, lifetime, email=user.email)
    outbox.deliver(user.email, *letters.reset_password(user.username, token, lifetime))


def _invalid_token() -> ValidationError:
    return ValidationError(
        "This reset link is not valid (unknown, used or expired); ask for a new one",
        code="invalid_reset_token",
        field="token",
    )
