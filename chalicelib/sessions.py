"""Login sessions and their rotating refresh tokens.

A refresh token is ``<session_id>.<secret>``. Only the secret's hash is stored. Each refresh
replaces the secret; presenting a secret that was already rotated away means the token was
copied, so the whole session (the token family) is revoked, as OAuth 2.0 Security BCP advises.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

from pynamodb.exceptions import DoesNotExist, UpdateError

from chalicelib.errors import Unauthenticated, ValidationError
from chalicelib.ids import new_id, now_ms
from chalicelib.settings import settings
from chalicelib.tables import Session
from chalicelib.tokens import hash_refresh_secret, new_refresh_secret

# Enough to recognise a replay of any recent token; older ones are simply invalid.
_REMEMBERED_SECRETS = 50
_MAX_TOKEN_LENGTH = 200


@dataclass(frozen=True)
class Rotated:
    user_id: str
    session_id: str
    refresh_token: str


def start(user_id: str) -> tuple[str, str]:
    """Open a session for a user who just proved who they are; returns (id, refresh token)."""
    session_id = new_id()
    secret = new_refresh_secret()
    Session(
        session_id,
        user_id=user_id,
        secret_hash=hash_refresh_secret(secret),
        created_at=now_ms(),
        expires_at=_expiry(),
    ).save()
    return session_id, f"{session_id}.{secret}"


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


def _expiry() -> datetime:
    return datetime.fromtimestamp(time.time() + settings().refresh_token_seconds, UTC)


def _invalid() -> Unauthenticated:
    return Unauthenticated(
        "The refresh token is not valid; sign in again", code="invalid_refresh_token"
    )
