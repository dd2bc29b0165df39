"""Accounts: registration, login with brute-force protection, token refresh, logout."""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from pynamodb.exceptions import DoesNotExist, UpdateError

from chalicelib import passwords, sessions
from chalicelib.errors import Conflict, Throttled, Unauthenticated, ValidationError
from chalicelib.ids import new_id, now_ms
from chalicelib.settings import settings
from chalicelib.tables import LoginAttempts, Transaction, TransactionCancelled, UniqueKey, User
from chalicelib.tokens import AccessToken, issue_access_token

USERNAME_MAX = 30
FULL_NAME_MAX = 64
EMAIL_MAX = 254

_USERNAME = re.compile(r"[a-z0-9._]{1,30}")
# Deliberately simple: one @, no spaces, a dot in the domain. Deliverability is proven by
# e-mail, not by a regex.
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")

# Names that would read as official, or collide with the app's own paths.
RESERVED_USERNAMES = frozenset(
    {
        "about", "admin", "administrator", "api", "app", "auth", "explore", "feed",
        "glimpse", "help", "login", "logout", "me", "moderator", "null", "official",
        "register", "root", "search", "security", "settings", "signup", "support",
        "system", "undefined", "www",
    }
)  # fmt: skip


@dataclass(frozen=True)
class SignedIn:
    user: User
    access_token: AccessToken
    refresh_token: str


@dataclass(frozen=True)
class Refreshed:
    access_token: AccessToken
    refresh_token: str


def normalize_username(raw: object) -> str:
    if not isinstance(raw, str):
        raise ValidationError("username must be a string", field="username")
    username = raw.strip().lower()
    if not _USERNAME.fullmatch(username):
        raise ValidationError(
            "username must be 1-30 characters of a-z, 0-9, '.' and '_'", field="username"
        )
    if username.startswith(".") or username.endswith(".") or ".." in username:
        raise ValidationError(
            "username cannot start or end with '.' or contain '..'", field="username"
        )
    if username in RESERVED_USERNAMES:
        raise Conflict("This username is reserved", code="username_taken", field="username")
    return username


def normalize_email(raw: object) -> str:
    if not isinstance(raw, str):
        raise ValidationError("email must be a string", field="email")
    email = raw.strip().lower()
    if len(email) > EMAIL_MAX or not _EMAIL.fullmatch(email):
        raise ValidationError("email is not a valid e-mail address", field="email")
    return email


def check_password(raw: object) -> str:
    if not isinstance(raw, str):
        raise ValidationError("password must be a string", field="password")
    if len(raw) < passwords.MIN_LENGTH:
        raise ValidationError(
            f"password must be at least {passwords.MIN_LENGTH} characters", field="password"
        )
    if len(raw) > passwords.MAX_LENGTH:
        raise ValidationError(
            f"password must be at most {passwords.MAX_LENGTH} characters", field="password"
        )
    return raw


def check_full_name(raw: object) -> str:
    if not isinstance(raw, str):
        raise ValidationError("full_name must be a string", field="full_name")
    if len(raw) > FULL_NAME_MAX:
        raise ValidationError(
            f"full_name must be at most {FULL_NAME_MAX} characters", field="full_name"
        )
    return raw.strip()


def username_key(username: str) -> str:
    return f"username#{username}"


def email_key(email: str) -> str:
    return f"email#{email}"


def register(username: str, email: str, password: str, full_name: str = "") -> SignedIn:
    username = normalize_username(username)
    email = normalize_email(email)
    password = check_password(password)
    full_name = check_full_name(full_name)
    user = User(
        new_id(),
        username=username,
        email=email,
        full_name=full_name,
        password_hash=passwords.hash_password(password),
        created_at=now_ms(),
    )
    # The two claims and the user are written together or not at all, so two people racing
    # for one name cannot both get it and a failed sign-up leaves no half-claimed name.
    try:
        with Transaction() as transaction:
            transaction.save(
                UniqueKey(username_key(username), user_id=user.user_id),
                condition=UniqueKey.key.does_not_exist(),
                label="username",
            )
            transaction.save(
                UniqueKey(email_key(email), user_id=user.user_id),
                condition=UniqueKey.key.does_not_exist(),
                label="email",
            )
            transaction.save(user, condition=User.user_id.does_not_exist(), label="user")
    except TransactionCancelled as cancelled:
        if "username" in cancelled.failed:
            raise Conflict(
                "This username is taken", code="username_taken", field="username"
            ) from None
        if "email" in cancelled.failed:
            raise Conflict(
                "An account with this email exists", code="email_taken", field="email"
            ) from None
        raise
    return _sign_in(user)


def login(login_name: object, password: object) -> SignedIn:
    if not isinstance(login_name, str) or not login_name.strip():
        raise ValidationError("login (a username or an email) is required", field="login")
    if not isinstance(password, str) or not password:
        raise ValidationError("password is required", field="password")
    name = login_name.strip().lower()[:EMAIL_MAX]
    user = find_by_login(name)
    # Unknown names get a counter of their own, so lockouts cannot tell whether they exist.
    subject = user.user_id if user else "unknown#" + hashlib.sha256(name.encode()).hexdigest()
    attempts = _attempts(subject)
    _refuse_if_locked(attempts)
    stored = user.password_hash if user else passwords.dummy_hash()
    if not passwords.verify_password(password[: passwords.MAX_LENGTH], stored) or user is None:
        _record_failure(subject)
        raise Unauthenticated(
            "The login or password is incorrect", code="invalid_credentials"
        )
    if attempts is not None:
        attempts.delete()
    return _sign_in(user)


def refresh(refresh_token: object) -> Refreshed:
    rotated = sessions.rotate(refresh_token)  # type: ignore[arg-type]
    return Refreshed(
        access_token=issue_access_token(rotated.user_id, rotated.session_id),
        refresh_token=rotated.refresh_token,
    )


def logout(refresh_token: object) -> None:
    sessions.end(refresh_token)  # type: ignore[arg-type]


def find_by_login(name: str) -> User | None:
    key = email_key(name) if "@" in name else username_key(name)
    try:
        claim = UniqueKey.get(key)
        return User.get(claim.user_id)
    except DoesNotExist:
        return None


def _sign_in(user: User) -> SignedIn:
    session_id, refresh_token = sessions.start(user.user_id)
    return SignedIn(user, issue_access_token(user.user_id, session_id), refresh_token)


def _attempts(subject: str) -> LoginAttempts | None:
    try:
        attempts = LoginAttempts.get(subject, consistent_read=True)
    except DoesNotExist:
        return None
    # DynamoDB's TTL deletes lazily: an expired counter must restart, not carry on.
    return None if attempts.expires_at < datetime.now(UTC) else attempts


def _refuse_if_locked(attempts: LoginAttempts | None) -> None:
    if attempts is None:
        return
    wait = int(attempts.locked_until - time.time())
    if wait > 0:
        raise Throttled(
            f"Too many failed logins; try again in {wait} seconds",
            code="too_many_attempts",
            retry_after=wait,
        )


def _record_failure(subject: str) -> None:
    """One more failure in the window; the lock once there are too many. Counted with an
    atomic ADD, so that failures sent side by side each count."""
    s = settings()
    now = time.time()
    window_end = datetime.fromtimestamp(now + s.login_lockout_seconds, UTC)
    live = LoginAttempts.expires_at > datetime.fromtimestamp(now, UTC)
    attempts = LoginAttempts(subject)
    try:
        attempts.update(
            actions=[LoginAttempts.failures.add(1), LoginAttempts.expires_at.set(window_end)],
            condition=live,
        )
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
        # No counter, or an expired one TTL has not deleted yet: this failure starts a new one.
        # Should a parallel failure start it first, the restart fails and this one adds to it.
        try:
            attempts.update(
                actions=[
                    LoginAttempts.failures.set(1),
                    LoginAttempts.locked_until.set(0),
                    LoginAttempts.expires_at.set(window_end),
                ],
                condition=~live,
            )
        except UpdateError as again:
            if again.cause_response_code != "ConditionalCheckFailedException":
                raise
            attempts.update(actions=[LoginAttempts.failures.add(1)])
    if attempts.failures >= s.login_max_failures:
        attempts.update(
            actions=[
                LoginAttempts.failures.set(0),
                LoginAttempts.locked_until.set(int(now) + s.login_lockout_seconds),
                LoginAttempts.expires_at.set(window_end),
            ]
        )
