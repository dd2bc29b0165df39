"""Single-use tokens: what account mail carries (email verification, password reset) and the
short-lived second step of a two-factor login.

A token is 256 random bits (``secrets.token_urlsafe``); only its SHA-256 is stored, with its
kind, its account and its expiry. Taking one deletes it in the same conditional write that
checks it, so it works once, however many requests present it at the same moment.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from datetime import UTC, datetime

from pynamodb.exceptions import DeleteError

from chalicelib.accounts.models import AccountToken
from chalicelib.core.ids import now_ms

VERIFY_EMAIL, RESET_PASSWORD, LOGIN_CHALLENGE = "verify_email", "reset_password", "login_challenge"
_MAX_LENGTH = 100


def issue(kind: str, user_id: str, seconds: int, email: str | None = None) -> str:
    token = secrets.token_urlsafe(32)
    AccountToken(
        _hash(token),
        kind=kind,
        user_id=user_id,
        email=email,
        created_at=now_ms(),
        expires_at=datetime.fromtimestamp(time.time() + seconds, UTC),
    ).save()
    return token


def peek(kind: str, token: object) -> AccountToken | None:
    """The live token of this kind, without using it up."""
    if not isinstance(token, str) or not 0 < len(token) <= _MAX_LENGTH:
        return None
    try:
        found = AccountToken.get(_hash(token), consistent_read=True)
    except AccountToken.DoesNotExist:
        return None
    # DynamoDB's TTL deletes lazily: an expired token must not work in between.
    if found.kind != kind or found.expires_at < datetime.now(UTC):
        return None
    return found


def take(kind: str, token: object) -> AccountToken | None:
    """The live token of this kind, used up: None if there is none (or someone took it a
    moment ago)."""
    found = peek(kind, token)
    if found is None:
        return None
    try:
        found.delete(condition=AccountToken.token_hash.exists())
    except DeleteError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return None
        raise
    return found


def void(user_id: str, kind: str) -> int:
    """Every outstanding token of this kind of an account (a reset voids the other resets)."""
    hashes = [key.token_hash for key in AccountToken.by_user.query(user_id)]
    found = [t for t in AccountToken.batch_get(hashes) if t.kind == kind] if hashes else []
    with AccountToken.batch_write() as batch:
        for token in found:
            batch.delete(token)
    return len(found)


def _hash(token: str) -> str:
    # 256 random bits: a fast hash is enough, no salt or stretching needed.
    return hashlib.sha256(token.encode()).hexdigest()
