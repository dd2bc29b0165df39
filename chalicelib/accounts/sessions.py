"""Login sessions and their rotating refresh tokens.

A refresh token is ``<session_id>.<secret>``. Only the secret's hash is stored. Each refresh
replaces the secret; presenting a secret that was already rotated away means the token was
copied, so the whole session (the token family) is revoked, as OAuth 2.0 Security BCP advises.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import NamedTuple

from pynamodb.exceptions import DoesNotExist, UpdateError

from chalicelib.accounts import standing
from chalicelib.accounts.models import Session, User
from chalicelib.accounts.tokens import hash_refresh_secret, new_refresh_secret, verify_access_token
from chalicelib.connections import registry
from chalicelib.core.dynamodb import batch_get
from chalicelib.core.errors import NotFound, Unauthenticated, ValidationError
from chalicelib.core.ids import new_id, now_ms
from chalicelib.core.principal import Principal
from chalicelib.core.settings import settings

# session id -> until when (monotonic) this process trusts that it is live.
_checked: dict[str, float] = {}

# Enough to recognise a replay of any recent token; older ones are simply invalid.
_REMEMBERED_SECRETS = 50
_MAX_TOKEN_LENGTH = 200


class Rotated(NamedTuple):
    user_id: str
    session_id: str
    refresh_token: str


USER_AGENT_MAX = 256
# "last used" is kept to this precision: at most one write per session per 5 minutes.
LAST_USED_PRECISION_MS = 5 * 60 * 1000


def start(user_id: str, user_agent: str | None = None) -> tuple[str, str]:
    """Open a session for a user who just proved who they are; returns (id, refresh token).
    ``user_agent`` (the device's, as its app sends it) is what the session list shows."""
    session_id = new_id()
    secret = new_refresh_secret()
    now = now_ms()
    Session(
        session_id,
        user_id=user_id,
        secret_hash=hash_refresh_secret(secret),
        created_at=now,
        last_used_at=now,
        user_agent=(user_agent or "")[:USER_AGENT_MAX] or None,
        expires_at=_expiry(),
    ).save()
    return session_id, f"{session_id}.{secret}"


def listing(user_id: str, current_session_id: str) -> list[dict[str, object]]:
    """The account's live sessions, newest first (one Query of the sessions_by_user index)."""
    now = datetime.now(UTC)
    live = [
        session
        for session in Session.by_user.query(user_id, scan_index_forward=False)
        if not session.revoked and session.expires_at > now
    ]
    return [
        {
            "session_id": session.session_id,
            "created_at": int(session.created_at),
            "last_used_at": int(session.last_used_at or session.created_at),
            "user_agent": session.user_agent,
            "current": session.session_id == current_session_id,
        }
        for session in live
    ]


def end_one(user_id: str, session_id: str) -> None:
    """End one of the account's own sessions (another device's, or this one: a logout)."""
    try:
        session = Session.get(session_id, consistent_read=True)
    except DoesNotExist:
        session = None
    if session is None or session.user_id != user_id or session.revoked:
        raise NotFound("No such session", code="session_not_found")
    _revoke(session)


def rotate(refresh_token: str) -> Rotated:
    session_id, secret = _parse(refresh_token)
    session = _load_live(session_id)
    presented = hash_refresh_secret(secret)
    if presented != session.secret_hash:
        if presented in session.previous_hashes:
            _revoke(session)
            raise Unauthenticated(
                "This refresh token was already used; sign in again",
                code="refresh_token_reused",
            )
        raise _invalid()
    new_secret = new_refresh_secret()
    try:
        session.update(
            actions=[
                Session.last_used_at.set(now_ms()),
                Session.secret_hash.set(hash_refresh_secret(new_secret)),
                Session.previous_hashes.set(
                    (session.previous_hashes + [presented])[-_REMEMBERED_SECRETS:]
                ),
                Session.expires_at.set(_expiry()),
            ],
            condition=(Session.secret_hash == presented) & (Session.revoked == False),  # noqa: E712
        )
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
        # Someone refreshed with this very token a moment ago: the token is in two hands.
        _revoke(session)
        raise Unauthenticated(
            "This refresh token was already used; sign in again", code="refresh_token_reused"
        ) from None
    return Rotated(session.user_id, session_id, f"{session_id}.{new_secret}")


def end(refresh_token: str) -> None:
    """Log out. Needs a secret of the session, so a guessed session id logs nobody out."""
    session_id, secret = _parse(refresh_token)
    try:
        session = Session.get(session_id, consistent_read=True)
    except DoesNotExist:
        return
    presented = hash_refresh_secret(secret)
    if presented == session.secret_hash or presented in session.previous_hashes:
        _revoke(session)


def end_all(user_id: str, keep: str | None = None) -> int:
    """End every live session of an account (but ``keep``): a password reset, a password
    change, 2FA turned on, the account's deletion. Each is revoked as by logout: its refresh
    token refused at once, its sockets closed, its access tokens refused within
    ``session_check_seconds``. Returns how many ended."""
    ended = 0
    for session in Session.by_user.query(user_id):
        if session.session_id != keep and not session.revoked:
            _revoke(session)
            ended += 1
    return ended


def authenticate(token: str) -> Principal:
    """A bearer token to whom it proves: a valid access token of a live session of an
    existing account (the check the HTTP and websocket edges make)."""
    principal = verify_access_token(token)
    require_live(principal)
    return principal


def require_live(principal: Principal) -> None:
    """An access token counts only while its session is live and its account exists: after
    logout, revocation or the account's end it is refused within ``session_check_seconds``
    (the time one process trusts a check it made), not at the token's expiry. A check is one
    BatchGetItem of the session and the account, made at most once per that time per
    session and process."""
    now = time.monotonic()
    if _checked.get(principal.session_id, 0.0) > now:
        return
    found = batch_get([(Session, principal.session_id, None), (User, principal.user_id, None)])
    session = found.get((Session, principal.session_id, None))
    if (
        session is None
        or session.user_id != principal.user_id
        or session.revoked
        or session.expires_at < datetime.now(UTC)
        or (User, principal.user_id, None) not in found
        or found[(User, principal.user_id, None)].deleted_at is not None
    ):
        _checked.pop(principal.session_id, None)
        raise Unauthenticated("This session has ended; sign in again", code="session_ended")
    if standing.suspended(found[(User, principal.user_id, None)]):
        # Its sessions were ended with the suspension; this holds if one slipped through.
        _checked.pop(principal.session_id, None)
        standing.require_active(found[(User, principal.user_id, None)])
    if len(_checked) > 10_000:
        _checked.clear()
    _checked[principal.session_id] = now + settings().session_check_seconds
    if now_ms() - int(session.last_used_at or 0) > LAST_USED_PRECISION_MS:
        session.update(actions=[Session.last_used_at.set(now_ms())])


def _parse(refresh_token: object) -> tuple[str, str]:
    if not isinstance(refresh_token, str) or len(refresh_token) > _MAX_TOKEN_LENGTH:
        raise ValidationError("refresh_token must be the string you were given")
    session_id, dot, secret = refresh_token.partition(".")
    if not dot or not session_id or not secret:
        raise _invalid()
    return session_id, secret


def _load_live(session_id: str) -> Session:
    try:
        session = Session.get(session_id, consistent_read=True)
    except DoesNotExist:
        raise _invalid() from None
    # DynamoDB deletes expired items lazily (up to days later), so check expiry ourselves.
    if session.revoked or session.expires_at < datetime.now(UTC):
        raise _invalid()
    return session


def _revoke(session: Session) -> None:
    session.update(actions=[Session.revoked.set(True)])
    _checked.pop(session.session_id, None)
    # Its open websockets end now, not when API Gateway's two hours are up.
    registry.close_session(session.user_id, session.session_id)


def _expiry() -> datetime:
    return datetime.fromtimestamp(time.time() + settings().refresh_token_seconds, UTC)


def _invalid() -> Unauthenticated:
    return Unauthenticated(
        "The refresh token is not valid; sign in again", code="invalid_refresh_token"
    )
