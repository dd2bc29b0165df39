"""Accounts: registration, login with brute-force protection, token refresh, logout."""

from __future__ import annotations

import hashlib
import re
from typing import NamedTuple

from pynamodb.exceptions import DoesNotExist

from chalicelib.accounts import jobs, lockout, passwords, sessions, standing, two_factor
from chalicelib.accounts.models import UniqueKey, User
from chalicelib.accounts.tokens import AccessToken, issue_access_token
from chalicelib.core.dynamodb import Transaction, TransactionCancelled
from chalicelib.core.errors import Conflict, Unauthenticated, ValidationError
from chalicelib.core.ids import new_id, now_ms

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
        "about",
        "admin",
        "administrator",
        "api",
        "app",
        "auth",
        "explore",
        "feed",
        "glimpse",
        "help",
        "login",
        "logout",
        "me",
        "moderator",
        "null",
        "official",
        "register",
        "root",
        "search",
        "security",
        "settings",
        "signup",
        "support",
        "system",
        "undefined",
        "www",
    }
)


class SignedIn(NamedTuple):
    user: User
    access_token: AccessToken
    refresh_token: str


class SecondStep(NamedTuple):
    """The password was right and the account has two-factor authentication: the login
    goes on at ``POST /auth/login/2fa`` with this challenge and a code."""

    challenge: str


class Refreshed(NamedTuple):
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


def register(
    username: str, email: str, password: str, full_name: str = "", user_agent: str | None = None
) -> SignedIn:
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
    # The claims and the user are written together or not at all, so two people racing for
    # one name cannot both get it and a failed sign-up leaves no half-claimed name. A taken
    # address gets the same answer and the same work as a free one (one read of its claim,
    # one transaction, one job): it is recorded on the account but not claimed, so this
    # account can never verify it, and its owner is told (accounts/verification.py).
    for attempt in range(3):
        taken = _is_claimed(email)
        try:
            with Transaction() as transaction:
                transaction.save(
                    UniqueKey(username_key(username), user_id=user.user_id),
                    condition=UniqueKey.key.does_not_exist(),
                    label="username",
                )
                if taken:
                    transaction.condition_check(
                        UniqueKey,
                        email_key(email),
                        None,
                        condition=UniqueKey.key.exists(),
                        label="email",
                    )
                else:
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
            if "email" in cancelled.failed and attempt < 2:
                continue  # the address changed hands since it was read: read it again
            raise
        break
    jobs.enqueue("address_in_use" if taken else "verify_email", user_id=user.user_id, email=email)
    return sign_in(user, user_agent)


def _is_claimed(email: str) -> bool:
    try:
        UniqueKey.get(email_key(email), consistent_read=True)
    except DoesNotExist:
        return False
    return True


def login(
    login_name: object, password: object, user_agent: str | None = None
) -> SignedIn | SecondStep:
    if not isinstance(login_name, str) or not login_name.strip():
        raise ValidationError("login (a username or an email) is required", field="login")
    if not isinstance(password, str) or not password:
        raise ValidationError("password is required", field="password")
    name = login_name.strip().lower()[:EMAIL_MAX]
    user = find_by_login(name)
    # Unknown names get a counter of their own, so lockouts cannot tell whether they exist.
    subject = user.user_id if user else "unknown#" + hashlib.sha256(name.encode()).hexdigest()
    lockout.take_a_try(subject)
    stored = user.password_hash if user else passwords.dummy_hash()
    if not passwords.verify_password(password[: passwords.MAX_LENGTH], stored) or user is None:
        raise Unauthenticated("The login or password is incorrect", code="invalid_credentials")
    # Only after the password: a guesser learns nothing of a suspension.
    standing.require_active(user)
    if two_factor.required(user):
        # The tries are cleared only when the code is right too: a stolen password alone
        # gets login_max_failures guesses at the code, as it would at the password.
        return SecondStep(two_factor.challenge(user))
    lockout.clear(subject)  # a success starts the count again
    return sign_in(user, user_agent)


def complete_login(
    challenge: object,
    code: object = None,
    recovery_code: object = None,
    user_agent: str | None = None,
) -> SignedIn:
    """The second step of a two-factor login: the challenge ``login`` answered, and a code
    (or a recovery code). A wrong code counts toward the lockout; the challenge works once."""
    user_id = two_factor.peek_challenge(challenge)
    try:
        user = User.get(user_id, consistent_read=True)
    except DoesNotExist:
        raise two_factor.invalid_challenge() from None
    two_factor.prove(user, code, recovery_code)
    standing.require_active(user)  # suspended between the two steps
    two_factor.take_challenge(challenge)  # two completions at once: one signs in
    return sign_in(user, user_agent)


def change_password(user_id: str, session_id: str, current: object, new: object) -> None:
    """A new password, proven with the current one (a wrong one counts toward the lockout);
    every other session of the account ends."""
    user = User.get(user_id, consistent_read=True)
    lockout.take_a_try(user_id)
    if not isinstance(current, str) or not passwords.verify_password(
        current[: passwords.MAX_LENGTH], user.password_hash
    ):
        raise Unauthenticated("The current password is incorrect", code="invalid_credentials")
    lockout.clear(user_id)
    set_password(user_id, check_password(new))
    sessions.end_all(user_id, keep=session_id)


def set_password(user_id: str, password: str) -> None:
    User(user_id).update(actions=[User.password_hash.set(passwords.hash_password(password))])


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
        user = User.get(claim.user_id)
    except DoesNotExist:
        return None
    # An account whose deletion began signs in no more (its claims go at the job's end).
    return None if user.deleted_at is not None else user


def sign_in(user: User, user_agent: str | None = None) -> SignedIn:
    """A new session for someone who proved who they are."""
    session_id, refresh_token = sessions.start(user.user_id, user_agent)
    return SignedIn(user, issue_access_token(user.user_id, session_id), refresh_token)
